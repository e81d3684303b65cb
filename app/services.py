"""The app's only door into phusong: cached calls, session state and error display.

Pages import from here and from :mod:`strings`; they compute nothing. Caching:

- the audit (:func:`audit`) is cached on everything *except the goal*
  (sites, wards, population raster, model settings), so moving the goal
  slider never recomputes coverage;
- :func:`judged` re-judges a cached audit against a goal with the library's
  own goal functions (cheap), cached per goal;
- :func:`plan` (``run_plan``: propose new sites and re-audit) is cached on
  the inputs, the model settings, the plan options and the candidate upload;
  the Plan page calls it only after its button was pressed.

Which cache holds what (sizes measured on the shipped sample network):

- tables and file bytes (wards, validated sites, operators, report files) are
  ``st.cache_data``: every caller gets its own copy, so a page can never
  change what another session sees. Entries derived from the inputs expire
  after :data:`DATA_TTL_S`.
- :class:`~phusong.audit.AuditResult` and :class:`~phusong.plan.PlanRun` are
  ``st.cache_resource``, shared between sessions and treated as read-only.
  ``st.cache_data`` would pickle a copy on every rerun: cheap for a
  footprint-route audit (3.3 MB, about 0.02 s each way) but not for a
  raster-route audit (the grid: 626 MB at 20 m, 2.2 s to pickle and 2.3 s to
  unpickle) nor for a plan (19 MB, 0.36 s and 0.45 s).
- folium maps are not cached: ``st_folium`` renders a map and renames its
  elements in place, so a map object can be shown only once, and a map does
  not pickle (its style functions are lambdas). :func:`ward_map`,
  :func:`compare_map` and :func:`plan_map` build a new one from the cached
  result on each run (about 0.2 s; ``st_folium`` then takes about 0.6 s).

Uploads are identified by the SHA-256 of their bytes (:class:`InputFile`),
never by the bytes themselves, so hashing a cache key stays cheap.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
import streamlit as st
from strings import t

from phusong.audit import AuditParams, AuditResult, run_audit
from phusong.errors import ConfigError, DataError, PhusongError
from phusong.goals import Goal
from phusong.models import FOOTPRINT_MODELS as VECTOR_MODELS
from phusong.models import MODEL_CHOICES
from phusong.output.maps import embed_assets
from phusong.plan import PlanRun, run_plan

# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True, eq=False)
class InputFile:
    """An uploaded file: its name, bytes and their SHA-256 (the cache identity)."""

    name: str
    data: bytes = field(repr=False)
    digest: str = ""

    @classmethod
    def from_bytes(cls, name: str, data: bytes) -> InputFile:
        return cls(name=name, data=data, digest=hashlib.sha256(data).hexdigest())

    @classmethod
    def from_upload(cls, uploaded: Any) -> InputFile:
        """From a Streamlit ``UploadedFile`` (read once)."""
        return cls.from_bytes(Path(uploaded.name).name, uploaded.getvalue())

    def open(self) -> io.BytesIO:
        """A fresh binary file object with the upload's name (readers use its suffix)."""
        buf = io.BytesIO(self.data)
        buf.name = self.name
        return buf

    def path(self) -> Path:
        """The bytes written once to a temporary file (for readers that need a path)."""
        folder = Path(tempfile.gettempdir()) / "phusong-app"
        folder.mkdir(parents=True, exist_ok=True)
        p = folder / f"{self.digest}{''.join(Path(self.name).suffixes[-2:]) or '.bin'}"
        if not p.exists():
            p.write_bytes(self.data)
        return p


@dataclass(frozen=True)
class Settings:
    """Model settings that change the coverage (everything but the goal)."""

    model: str = AuditParams.model
    threshold_dbm: float = AuditParams.threshold_dbm
    resolution_m: float = AuditParams.resolution_m
    operators: tuple[str, ...] | None = None
    radio: tuple[str, ...] | None = ("NR",)

    @property
    def is_vector(self) -> bool:
        return self.model in VECTOR_MODELS

    def audit_kwargs(self, raster: InputFile | None) -> dict[str, Any]:
        """Keyword arguments of ``run_audit`` / ``run_plan`` for these settings."""
        return {
            "model": self.model,
            "threshold_dbm": self.threshold_dbm,
            "resolution_m": self.resolution_m,
            "operators": self.operators,
            "radio": self.radio,
            "population_raster": raster.path() if raster is not None else None,
        }


@dataclass(frozen=True)
class PlanOptions:
    """What the Plan page asks of the planner (see :func:`phusong.plan.run_plan`).

    ``target_pct`` [%] is population-weighted; with ``budget`` set the plan is
    the best coverage with at most that many new sites and the target is only
    the yardstick. ``min_spacing_m`` [m], ``time_limit_s`` [s] (MILP only);
    ``operator=None`` lets the planner choose.
    """

    target_pct: float = 99.0
    budget: int | None = None
    method: str = "greedy"
    min_spacing_m: float = 0.0
    operator: str | None = None
    time_limit_s: float = 60.0


def _file_key(f: InputFile | None) -> str:
    return "" if f is None else f"{f.name}:{f.digest}"


HASH_FUNCS: dict[Any, Callable[[Any], Any]] = {
    InputFile: _file_key,
    Settings: dataclasses.astuple,
    Goal: dataclasses.astuple,
    PlanOptions: dataclasses.astuple,
}

DEFAULT_GOAL = Goal()

#: How long tables and files derived from the inputs stay cached [s]. Inputs are
#: content-addressed, so entries never go stale; the limit only frees memory
#: once the sessions that used them have gone.
DATA_TTL_S = 3600

# Session-state keys (prefix = page that owns them; "model_" = Model page,
# "goal_" = the sidebar, "data_" = Data page, "cmp_" = Compare page).
K_SITES = "data_sites"
K_WARDS = "data_wards"
K_RASTER = "data_raster"
K_MODEL = "model_settings"
K_GOAL_TARGET = "goal_target"
K_GOAL_METRIC = "goal_metric"
#: Slot the Plan page fills with proposed sites to compare against the baseline:
#: ``{"label": str, "sites": InputFile | DataFrame, "key": str}``.
K_CANDIDATE = "compare_candidate_sites"
#: Plan page: the uploaded candidate positions (InputFile) and the last plan asked
#: for (:class:`PlanRequest`); neither is widget state, so both survive page changes.
K_PLAN_CANDIDATES = "plan_candidates"
K_PLAN_EXCLUDED = "plan_excluded"
K_PLAN_REQUEST = "plan_request"


def sample_sites_path() -> Path:
    """Path of the shipped SYNTHETIC sample network (operator sheet)."""
    from phusong.io.sites import sample_sites_path as _sample

    return Path(_sample("sheet"))


def current_sites() -> InputFile | None:
    """The uploaded sites in use, or ``None`` for the shipped synthetic sample."""
    return st.session_state.get(K_SITES)


def current_wards() -> InputFile | None:
    return st.session_state.get(K_WARDS)


def current_raster() -> InputFile | None:
    return st.session_state.get(K_RASTER)


def current_settings() -> Settings:
    return st.session_state.get(K_MODEL) or Settings()


def set_settings(settings: Settings) -> None:
    st.session_state[K_MODEL] = settings


def current_goal() -> Goal:
    target = float(st.session_state.get(K_GOAL_TARGET, DEFAULT_GOAL.target_pct))
    metric = st.session_state.get(K_GOAL_METRIC, DEFAULT_GOAL.metric)
    return Goal.target(target, metric)


# --------------------------------------------------------------------------- errors


def show_error(exc: BaseException) -> None:
    """Show any exception as a friendly message (never a traceback page)."""
    if isinstance(exc, DataError):
        st.error(t("err_data"))
        rows = [
            {"file": p.file, "row": p.row, "column": p.column, "problem": p.reason}
            for p in exc.problems
        ]
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    elif isinstance(exc, PhusongError):
        kind = t("err_config") if isinstance(exc, ConfigError) else t("err_data")
        st.error(f"{kind}\n\n{exc}")
    else:
        st.error(t("err_other"))
        with st.expander(t("err_details")):
            st.code("".join(traceback.format_exception_only(type(exc), exc)).strip())


def guarded(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call ``fn``; on any exception show it with :func:`show_error` and return ``None``."""
    try:
        return fn(*args, **kwargs)
    except Exception as exc:  # the app must never crash on a file
        show_error(exc)
        return None


# --------------------------------------------------------------------------- cached calls


@st.cache_data(max_entries=1, show_spinner=False)
def shipped_wards() -> gpd.GeoDataFrame:
    """The shipped Hà Nội wards."""
    from phusong.io.wards import read_wards

    return read_wards()


@st.cache_data(max_entries=8, ttl=DATA_TTL_S, show_spinner=False, hash_funcs=HASH_FUNCS)
def wards_table(wards: InputFile | None) -> gpd.GeoDataFrame:
    """Ward table from an upload (or the shipped wards)."""
    if wards is None:
        return shipped_wards()
    from phusong.io.wards import read_wards

    return read_wards(wards.open())


@st.cache_data(max_entries=8, ttl=DATA_TTL_S, show_spinner=False, hash_funcs=HASH_FUNCS)
def read_sites(sites: InputFile, wards: InputFile | None, radio: tuple[str, ...] | None):
    """Read and validate uploaded sites: ``(sites, ValidationReport)``."""
    from phusong.io.sites import read_sites as _read

    return _read(sites.open(), radio=list(radio) if radio else None, study_area=wards_table(wards))


# AuditResult and PlanRun caches are st.cache_resource: a copy per rerun would cost up
# to 2.3 s for a raster-route audit (see the module docstring).
@st.cache_resource(max_entries=8, show_spinner=False, hash_funcs=HASH_FUNCS)
def audit(
    sites: InputFile | None,
    wards: InputFile | None,
    raster: InputFile | None,
    settings: Settings,
) -> AuditResult:
    """``run_audit`` on the inputs and settings, with the default goal (cached).

    Runs under the caller's spinner; a progress bar cannot be drawn from inside a
    cached function (Streamlit replays cached elements).
    """
    return run_audit(
        sites.open() if sites is not None else sample_sites_path(),
        wards.open() if wards is not None else None,
        **settings.audit_kwargs(raster),
        goal=DEFAULT_GOAL,
    )


def with_goal(result: AuditResult, goal: Goal) -> AuditResult:
    """The same audit judged against another goal, without recomputing coverage.

    Uses the library's own assembly step (goal evaluation, ranking and city
    figures of :mod:`phusong.goals`) on the cached coverage table, so the
    figures are exactly those ``run_audit(..., goal=goal)`` gives.
    """
    return result.with_goal(goal)


@st.cache_resource(max_entries=32, show_spinner=False, hash_funcs=HASH_FUNCS)
def judged(
    sites: InputFile | None,
    wards: InputFile | None,
    raster: InputFile | None,
    settings: Settings,
    goal: Goal,
) -> AuditResult:
    """The cached audit judged against ``goal`` (coverage is not recomputed)."""
    return with_goal(audit(sites, wards, raster, settings), goal)


def ward_map(
    sites: InputFile | None,
    wards: InputFile | None,
    raster: InputFile | None,
    settings: Settings,
    goal: Goal,
) -> folium.Map:
    """A new folium map of the judged audit (the audit itself is cached), for :func:`show_map`."""
    from phusong.output.maps import audit_map

    return embed_assets(audit_map(judged(sites, wards, raster, settings, goal), goal=goal))


@st.cache_resource(max_entries=8, show_spinner=False, hash_funcs=HASH_FUNCS)
def candidate_audit(
    candidate: InputFile,
    wards: InputFile | None,
    raster: InputFile | None,
    settings: Settings,
    goal: Goal,
) -> AuditResult:
    """Audit of an alternative network with the same wards, settings and goal."""
    return with_goal(audit(candidate, wards, raster, settings), goal)


@st.cache_resource(max_entries=8, show_spinner=False, hash_funcs=HASH_FUNCS)
def candidate_frame_audit(
    key: str,
    _frame: pd.DataFrame,
    wards: InputFile | None,
    raster: InputFile | None,
    settings: Settings,
    goal: Goal,
) -> AuditResult:
    """Audit of an alternative site table (e.g. the Plan page's proposals), keyed by ``key``."""
    base = run_audit(
        _frame,
        wards_table(wards),
        **settings.audit_kwargs(raster),
        goal=DEFAULT_GOAL,
    )
    return with_goal(base, goal)


def compare_map(base: AuditResult, other: AuditResult) -> folium.Map:
    """A new per-ward change map of two judged audits, for :func:`show_map`."""
    from phusong.output.maps import compare_map as _compare_map

    return embed_assets(_compare_map(base, other, goal=base.params.goal))


def ward_change(base: AuditResult, other: AuditResult) -> pd.DataFrame:
    """Per-ward coverage of the baseline and the alternative in the goal's metric."""
    col = base.params.goal.column
    a = base.wards[["ward_id", "name", col]]
    b = other.wards[["ward_id", col]]
    out = a.merge(b, on="ward_id", how="left", suffixes=("_base", "_other"))
    out["change"] = out[f"{col}_other"] - out[f"{col}_base"]
    return out.sort_values("change", ascending=False, kind="mergesort").reset_index(drop=True)


# --------------------------------------------------------------------------- planning


@dataclass(frozen=True)
class PlanRequest:
    """A plan the user asked for: the inputs and settings in use, and the options."""

    sites: InputFile | None
    wards: InputFile | None
    raster: InputFile | None
    settings: Settings
    options: PlanOptions
    candidates: InputFile | None = None
    excluded: InputFile | None = None

    @property
    def key(self) -> str:
        """Text naming the request (cache key of the derived map and files)."""
        files = "|".join(
            _file_key(f)
            for f in (self.sites, self.wards, self.raster, self.candidates, self.excluded)
        )
        return (
            f"plan|{files}|{dataclasses.astuple(self.settings)}|{dataclasses.astuple(self.options)}"
        )

    def args(self) -> tuple[Any, ...]:
        """Arguments of :func:`plan`."""
        return (
            self.sites,
            self.wards,
            self.raster,
            self.settings,
            self.options,
            self.candidates,
            self.excluded,
        )


def plan_operators() -> list[str]:
    """Operators a new site can belong to (those with 5G spectrum on record)."""
    from phusong.operators import SPECTRUM_5G

    return list(SPECTRUM_5G)


@st.cache_resource(max_entries=4, show_spinner=False, hash_funcs=HASH_FUNCS)
def plan(
    sites: InputFile | None,
    wards: InputFile | None,
    raster: InputFile | None,
    settings: Settings,
    options: PlanOptions,
    candidates: InputFile | None = None,
    excluded: InputFile | None = None,
) -> PlanRun:
    """``run_plan`` on the inputs, model settings and plan options (cached).

    The audits inside use the same model settings as :func:`audit`; the goal
    is the plan's population target. Runs under the caller's spinner.
    """
    return run_plan(
        sites.open() if sites is not None else sample_sites_path(),
        wards.open() if wards is not None else None,
        target_pct=float(options.target_pct),
        budget=options.budget,
        candidates=candidates.path() if candidates is not None else None,
        excluded=excluded.path() if excluded is not None else None,
        min_spacing_m=float(options.min_spacing_m),
        operator=options.operator,
        method=options.method,
        time_limit_s=float(options.time_limit_s),
        **settings.audit_kwargs(raster),
    )


def plan_map(run: PlanRun) -> folium.Map:
    """A new map of the re-audit with the proposed sites on top, for :func:`show_map`."""
    from phusong.output.plan import plan_map as _plan_map

    m = _plan_map(run)
    new = run.plan.sites
    if len(new):  # open on the proposed sites (padded by about 1 km), not the whole city
        w, s, e, n = new.total_bounds
        pad = 0.01
        m.fit_bounds([[float(s) - pad, float(w) - pad], [float(n) + pad, float(e) + pad]])
    return embed_assets(m)


@st.cache_data(max_entries=4, ttl=DATA_TTL_S, show_spinner=False)
def _plan_files(_run: PlanRun, key: str) -> dict[str, bytes]:
    from phusong.output.bundle import render_plan_outputs

    return render_plan_outputs(_run)


def plan_files(run: PlanRun, key: str) -> dict[str, bytes]:
    """``proposed_sites.csv``, ``curve.csv``, ``wards_plan.csv`` and ``plan_summary.json``."""
    return _plan_files(run, key)


def plan_curve(run: PlanRun) -> pd.DataFrame:
    """Sites added → population coverage: the planner's curve and the audited points."""
    from phusong.output.plan import plan_curve_table

    return plan_curve_table(run)


def plan_wards(run: PlanRun) -> pd.DataFrame:
    """Per ward: audited coverage before and after, new sites (``PlanRun.ward_table``)."""
    return run.ward_table()


def plan_sites_for_compare(run: PlanRun) -> pd.DataFrame:
    """Existing plus proposed cells as one table (what the re-audit audited)."""
    return pd.DataFrame(run.plan.sites_for_audit(run.before.sites))


# --------------------------------------------------------------------------- outputs


def ward_table_frame(result: AuditResult) -> pd.DataFrame:
    """The per-ward table without geometry, sorted by shortfall in the goal's metric."""
    goal = result.params.goal
    short = "shortfall_population" if goal.metric == "population" else "shortfall_area_km2"
    table = pd.DataFrame(result.wards.drop(columns="geometry"))
    return table.sort_values([short, "ward_id"], ascending=[False, True], kind="mergesort")


@st.cache_data(max_entries=4, ttl=DATA_TTL_S, show_spinner=False)
def _outputs(_result: AuditResult, key: str) -> dict[str, bytes]:
    from phusong.output.bundle import render_outputs

    return render_outputs(_result)


def outputs(result: AuditResult, key: str) -> dict[str, bytes]:
    """Every file of the CLI's report folder as bytes (``phusong.output.bundle``), cached by ``key``."""
    return _outputs(result, key)


def geotiff(result: AuditResult) -> bytes | None:
    """``coverage.tif`` of a raster-route audit (as the CLI writes it), or ``None``."""
    if result.grid is None:
        return None
    from phusong.io.outputs import write_coverage_raster

    with tempfile.TemporaryDirectory() as tmp:
        path = write_coverage_raster(Path(tmp), result)
        return path.read_bytes() if path is not None else None


def map_html(m: folium.Map) -> bytes:
    """The map as one self-contained HTML file (as the CLI writes ``map.html``)."""
    from phusong.output.bundle import map_html as _map_html

    return _map_html(m)


def model_choices() -> dict[str, str]:
    return dict(MODEL_CHOICES)


__all__ = [
    "HASH_FUNCS",
    "K_CANDIDATE",
    "InputFile",
    "PlanOptions",
    "PlanRequest",
    "Settings",
    "audit",
    "current_goal",
    "current_settings",
    "guarded",
    "judged",
    "plan",
    "show_error",
    "ward_map",
]


def settings_label(settings: Settings) -> str:
    """Which model and threshold produce the figures (the library's own label)."""
    from phusong.models import resolve_model

    try:
        model = resolve_model(settings.model)
    except PhusongError:
        model = settings.model
    return AuditParams(
        model=model,
        threshold_dbm=settings.threshold_dbm,
        resolution_m=settings.resolution_m,
    ).describe()


@st.cache_data(max_entries=8, ttl=DATA_TTL_S, show_spinner=False, hash_funcs=HASH_FUNCS)
def operators_present(sites: InputFile | None, wards: InputFile | None) -> list[str]:
    """Operators in the site data (any radio), for the operator filter."""
    from phusong.io.sites import read_sites as _read

    source = sites.open() if sites is not None else sample_sites_path()
    table, _ = _read(source, radio=None, study_area=wards_table(wards))
    return sorted(str(o) for o in table["operator"].dropna().unique())


RADIOS = ("NR", "LTE", "UMTS", "GSM", "CDMA")


def standalone_map(result: AuditResult) -> folium.Map:
    """The map as the CLI draws it (judged against the audit's goal), for download."""
    from phusong.output.maps import audit_map

    return audit_map(result, goal=result.params.goal)


# --------------------------------------------------------------------------- map display


def show_map(
    m: folium.Map, *, key: str, height: int, returned_objects: list[str]
) -> dict[str, Any]:
    """Show a folium map with streamlit-folium's public ``st_folium``.

    Parameters
    ----------
    m : folium.Map
        A map built for this call (:func:`ward_map`, :func:`compare_map`,
        :func:`plan_map`): ``st_folium`` renders it and renames its elements in
        place, so a map object can be shown only once.
    key : str
        Stable widget key (prefixed per page); the component keeps its state
        across reruns as long as the map's script is the same.
    height : int
        Height [px]; the map takes the container's width.
    returned_objects : list of str
        What the browser sends back (``st_folium`` names such as
        ``"last_active_drawing"``); keep it short, every listed interaction
        reruns the page. ``[]`` for a map that only displays.

    Returns
    -------
    dict
        The returned objects (empty before any interaction, and for ``[]``).
    """
    from streamlit_folium import st_folium

    out = st_folium(
        m,
        key=key,
        height=height,
        use_container_width=True,
        returned_objects=returned_objects,
    )
    return dict(out or {})
