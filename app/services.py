"""The app's only door into phusong: cached calls, session state, jobs and error display.

Pages import from here, :mod:`strings` and :mod:`fmt`; they compute nothing.

Caching (sizes measured on the shipped sample network):

- the audit (:func:`audit`) is cached on everything *except the goal*
  (sites, wards, population raster, model settings), so moving the goal
  slider never recomputes coverage; :func:`judged` re-judges a cached audit
  against a goal with the library's own goal functions (0.1–1 s), cached
  per goal;
- :class:`~phusong.audit.AuditResult` and :class:`~phusong.plan.PlanRun` are
  ``st.cache_resource``, shared between sessions and treated as read-only
  (``st.cache_data`` would pickle a copy on every rerun: a raster-route grid
  is hundreds of MB);
- tables and file bytes are ``st.cache_data`` (every caller gets its own copy);
  entries derived from the inputs expire after :data:`DATA_TTL_S`;
- the map's geometry (:func:`map_data`) is built once per audit and cached;
  each run sends only colours and tooltips (:mod:`mapview`).

Start-up: :func:`warm_up` (called from ``server.py`` when the server process
starts) computes the default audit, its map and the fast estimate of new
sites in a background thread, then judges the audit against every goal the
slider offers (:func:`prefetch_goals`), so that the first visitor does not
wait for them, a new session on a warm server computes nothing, and the
slider answers from the caches. The shipped data's audit, map and estimate
are also kept on disk between server processes (:mod:`diskcache`; the entry
names cover the code, the data, the settings and the library versions).

Long jobs (a plan, the fast estimate, the goals judged ahead) run in
background threads (:mod:`jobs`) with progress and a cancel button.

Uploads are identified by the SHA-256 of their bytes (:class:`InputFile`);
an upload that cannot be used never replaces the data in use
(:func:`accept_file`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import io
import logging
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import diskcache
import fmt
import geopandas as gpd
import jobs
import mapview
import numpy as np
import pandas as pd
import streamlit as st
import wardmap
from strings import default_language, has_text, lang, t

from phusong.audit import AuditParams, AuditResult, run_audit
from phusong.errors import ConfigError, DataError, PhusongError
from phusong.goals import Goal
from phusong.models import FOOTPRINT_MODELS as VECTOR_MODELS
from phusong.models import MODEL_CHOICES
from phusong.options import AUDIT, PLAN
from phusong.plan import PlanRun, run_plan
from phusong.planning.required import TARGET_REASON_PREFIX  # issue #15

# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True, eq=False)
class InputFile:
    """An uploaded file: its name, bytes and their SHA-256 (the cache identity)."""

    name: str
    data: bytes = field(repr=False)
    digest: str = ""

    @classmethod
    def from_bytes(cls, name: str, data: bytes) -> InputFile:
        """An upload from its name and bytes."""
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

    @property
    def stem(self) -> str:
        """The file name without its suffixes (for download names)."""
        return self.name.split(".")[0] or "upload"


@dataclass(frozen=True)
class Settings:
    """Model settings that change the coverage (everything but the goal)."""

    model: str = AuditParams.model
    threshold_dbm: float = AuditParams.threshold_dbm
    resolution_m: float = AuditParams.resolution_m
    operators: tuple[str, ...] | None = None
    radio: tuple[str, ...] | None = ("NR",)
    #: ``calibration.json`` text applied to the path-loss model (Model page), or ``None``.
    calibration: str | None = None

    @property
    def is_vector(self) -> bool:
        """Whether the model is a footprint model (exact vector route)."""
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
            "calibration": self.calibration.encode() if self.calibration else None,
        }


@dataclass(frozen=True)
class PlanOptions:
    """What the Plan page asks of the planner (see :func:`phusong.plan.run_plan`).

    ``target_pct`` [%] is population-weighted; with ``budget`` set the plan is
    the best coverage with at most that many new sites and the target is only
    the yardstick. ``min_spacing_m`` [m], ``time_limit_s`` [s] (MILP only);
    ``operator=None`` lets the planner choose. ``ward_floor_pct`` [%]: every
    ward must reach it as well (``None``: only the city target).
    """

    target_pct: float = float(AUDIT["goal"].default)
    budget: int | None = None
    method: str = str(PLAN["method"].default)
    min_spacing_m: float = float(PLAN["min_spacing_m"].default)
    operator: str | None = None
    time_limit_s: float = float(PLAN["time_limit_s"].default)
    ward_floor_pct: float | None = None
    cover_targets: bool = bool(PLAN["cover_targets"].default)  # issue #15: needs target places


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

# Session-state keys (prefix = page that owns them; "goal_" = the goal controls,
# "data_" = Data page, "model_" = Model page, "cmp_" = Compare page).
K_SITES = "data_sites"
K_WARDS = "data_wards"
K_RASTER = "data_raster"
#: The last upload that could not be used, per kind: ``{"name", "error", "report"}``.
K_FAILED = "data_failed"
K_MODEL = "model_settings"
K_GOAL_TARGET = "goal_target"
K_GOAL_METRIC = "goal_metric"
#: Slot the Plan page fills with proposed sites to compare against the baseline:
#: ``{"label": str, "sites": InputFile | DataFrame, "key": str}``.
K_CANDIDATE = "compare_candidate_sites"
#: Plan page: the uploaded candidate positions and excluded zones (InputFile), and
#: the last plan asked for (:class:`PlanRequest`); none is widget state, so all
#: survive page changes.
K_PLAN_CANDIDATES = "plan_candidates"
K_PLAN_EXCLUDED = "plan_excluded"
K_PLAN_TARGETS = "plan_targets"  # issue #15: target places (InputFile)
K_PLAN_REQUEST = "plan_request"

#: Upload kinds and their session-state slots.
UPLOAD_SLOTS = {"sites": K_SITES, "wards": K_WARDS, "raster": K_RASTER}


def sample_sites_path() -> Path:
    """Path of the shipped SYNTHETIC sample network (operator sheet)."""
    from phusong.io.sites import sample_sites_path as _sample

    return Path(_sample("sheet"))


def sample_measurements() -> InputFile:
    """The shipped SYNTHETIC drive test (made from the model with a known error)."""
    from phusong.io.shipped import data_path

    path = Path(data_path("sample")) / "hanoi_drive_test_SYNTHETIC.csv"
    return InputFile.from_bytes(path.name, path.read_bytes())


@st.cache_resource(max_entries=4, show_spinner=False, hash_funcs=HASH_FUNCS)
def calibration(
    sites: InputFile | None,
    wards: InputFile | None,
    measurements: InputFile,
    model: str,
    language: str,
) -> Any:
    """Fit the model to the measurements (:func:`phusong.calibration.view.calibration_view`), cached."""
    from phusong.calibration.view import calibration_view

    return calibration_view(
        sites.open() if sites is not None else sample_sites_path(),
        measurements.open(),
        wards.open() if wards is not None else None,
        model=model,
        lang=language,
    )


def current_sites() -> InputFile | None:
    """The uploaded sites in use, or ``None`` for the shipped synthetic sample."""
    return st.session_state.get(K_SITES)


def current_wards() -> InputFile | None:
    """The uploaded ward boundaries in use, or ``None`` for the shipped wards."""
    return st.session_state.get(K_WARDS)


def current_raster() -> InputFile | None:
    """The uploaded population raster in use, or ``None``."""
    return st.session_state.get(K_RASTER)


def current_settings() -> Settings:
    """The model settings in use (the Model page's)."""
    return st.session_state.get(K_MODEL) or Settings()


def set_settings(settings: Settings) -> None:
    """Use these model settings from now on."""
    st.session_state[K_MODEL] = settings


def current_inputs() -> tuple[InputFile | None, InputFile | None, InputFile | None, Settings]:
    """(sites, wards, raster, settings) in use: the arguments of :func:`audit`."""
    return current_sites(), current_wards(), current_raster(), current_settings()


def current_goal() -> Goal:
    """The goal chosen with the goal controls (default: 99 % of the population)."""
    target = float(st.session_state.get(K_GOAL_TARGET, DEFAULT_GOAL.target_pct))
    metric = st.session_state.get(K_GOAL_METRIC, DEFAULT_GOAL.metric)
    return Goal.target(target, metric)


def goal_bounds() -> tuple[float, float]:
    """Lowest and highest goal target the controls offer [%] (from ``phusong.options``)."""
    opt = AUDIT["goal"]
    return float(opt.low if opt.low is not None else 0.0), float(
        opt.high if opt.high is not None else 100.0
    )


# --------------------------------------------------------------------------- timing

log = logging.getLogger("phusong.app")


@contextlib.contextmanager
def timed(what: str) -> Iterator[None]:
    """Log how long a section of a page took (logger ``phusong.app``, level INFO)."""
    t0 = time.perf_counter()
    try:
        yield
    finally:
        log.info("%s: %.3f s", what, time.perf_counter() - t0)


# --------------------------------------------------------------------------- errors


def show_error(exc: BaseException) -> None:
    """Show any exception as a friendly message (never a traceback page)."""
    if isinstance(exc, DataError):
        st.error(t("err_data"))
        rows = [
            {
                t("col_file"): p.file,
                t("col_row"): p.row,
                t("col_column"): p.column,
                t("col_problem"): p.reason,
            }
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


# --------------------------------------------------------------------------- uploads


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


def check_raster(raster: InputFile) -> None:
    """Open a population raster once; raise :class:`DataError` if it is no raster."""
    from phusong.io.population import open_population

    with open_population(raster.path()):
        pass


def _check_upload(kind: str, upload: InputFile) -> Any:
    """Read an upload the way the audit will; return the sites' report (or ``None``).

    Raises
    ------
    PhusongError
        The file cannot be used (nothing readable, or no site accepted).
    """
    if kind == "sites":
        table, report = read_sites(upload, current_wards(), current_settings().radio)
        if len(table) == 0:
            raise DataError(t("err_no_usable_sites", name=upload.name))
        return report
    if kind == "wards":
        wards_table(upload)
    else:
        check_raster(upload)
    return None


#: Uploads received but not yet checked: ``[(kind, InputFile)]`` (the Data page checks them).
K_PENDING = "data_pending_uploads"


def receive_upload(kind: str, widget_key: str) -> None:
    """Uploader callback: queue the new file; :func:`accept_pending` checks it."""
    up = st.session_state.get(widget_key)
    if up is not None:
        pending = list(st.session_state.get(K_PENDING) or [])
        pending.append((kind, InputFile.from_upload(up)))
        st.session_state[K_PENDING] = pending


def accept_file(kind: str, upload: InputFile) -> bool:
    """Use ``upload`` for ``kind`` only if it can be read; else keep the data in use.

    A file that fails is remembered in ``K_FAILED[kind]`` (name and error) so
    the Data page can say that the previous data is still in use.
    """
    failed = dict(st.session_state.get(K_FAILED) or {})
    try:
        _check_upload(kind, upload)
    except Exception as exc:  # any failure keeps the last good data
        failed[kind] = {"name": upload.name, "error": exc}
        st.session_state[K_FAILED] = failed
        return False
    failed.pop(kind, None)
    st.session_state[K_FAILED] = failed
    st.session_state[UPLOAD_SLOTS[kind]] = upload
    return True


def accept_pending() -> None:
    """Check every queued upload (:func:`receive_upload`), oldest first."""
    pending = list(st.session_state.get(K_PENDING) or [])
    st.session_state[K_PENDING] = []
    for kind, upload in pending:
        accept_file(kind, upload)


def failed_upload(kind: str) -> dict[str, Any] | None:
    """The last upload of ``kind`` that could not be used (``name``, ``error``), if any."""
    return (st.session_state.get(K_FAILED) or {}).get(kind)


def reset_upload(kind: str) -> None:
    """Go back to the shipped data for ``kind`` (and forget a failed upload)."""
    st.session_state.pop(UPLOAD_SLOTS[kind], None)
    failed = dict(st.session_state.get(K_FAILED) or {})
    failed.pop(kind, None)
    st.session_state[K_FAILED] = failed


def validation_csv(report: Any, synthetic: bool) -> bytes:
    """The validation report as CSV, with the ``synthetic`` column of every output table."""
    from phusong.output.tables import csv_bytes, with_synthetic_flag

    return csv_bytes(with_synthetic_flag(report.to_frame(), synthetic))


def data_label(sites: InputFile | None) -> str:
    """What the site data is, in words: the upload's name or the synthetic sample."""
    return sites.name if sites is not None else t("sample_name")


# --------------------------------------------------------------------------- audits


# AuditResult and PlanRun caches are st.cache_resource (see the module docstring).
@st.cache_resource(max_entries=8, show_spinner=False, hash_funcs=HASH_FUNCS)
def audit(
    sites: InputFile | None,
    wards: InputFile | None,
    raster: InputFile | None,
    settings: Settings,
) -> AuditResult:
    """``run_audit`` on the inputs and settings, with the default goal (cached).

    The shipped data's audit is also kept on disk between server processes
    (:func:`shipped_or_compute`).
    """
    return on_inputs("audit", run_audit, sites, wards, raster, settings)


def on_inputs(
    what: str,
    run: Callable[..., Any],
    sites: InputFile | None,
    wards: InputFile | None,
    raster: InputFile | None,
    settings: Settings,
    *key: Any,
) -> Any:
    """``run(sites, wards, **settings, goal=DEFAULT_GOAL)`` (``run_audit``, ``run_progress``).

    On the shipped data (nothing uploaded) the result goes through the disk
    cache under ``what``, the settings and ``key`` (:func:`shipped_or_compute`).
    """

    def compute() -> Any:
        return run(
            sites.open() if sites is not None else sample_sites_path(),
            wards.open() if wards is not None else None,
            **settings.audit_kwargs(raster),
            goal=DEFAULT_GOAL,
        )

    if sites is None and wards is None and raster is None:
        return shipped_or_compute(what, settings, compute, *key)
    return compute()


def shipped_or_compute(what: str, settings: Settings, compute: Callable[[], Any], *key: Any) -> Any:
    """A result on the shipped data: from the disk cache (:mod:`diskcache`), else computed and stored.

    Only results of the shipped wards and sample network go there; the entry's
    name covers the code, the data, the settings, ``key`` and the library versions.
    """
    name = diskcache.fingerprint(what, dataclasses.astuple(settings), *key)
    found = diskcache.load(name)
    if found is not None:
        log.info("disk cache: %s of the shipped data loaded", what)
        return found
    value = compute()
    diskcache.save(name, value)
    return value


def progress_run(
    sites: InputFile | None,
    wards: InputFile | None,
    raster: InputFile | None,
    settings: Settings,
) -> Any:
    """``run_progress`` (every quarter's end since the first on-air date, as of today), cached.

    Same model and settings as the audit; judged against the city's dated
    targets (:data:`DEFAULT_GOAL`: 99 % of the population by 2030). Cached per
    day (the series ends today); the shipped data's run is also kept on disk.
    """
    return _progress_run(sites, wards, raster, settings, dt.date.today().isoformat())


@st.cache_resource(max_entries=4, show_spinner=False, hash_funcs=HASH_FUNCS)
def _progress_run(
    sites: InputFile | None,
    wards: InputFile | None,
    raster: InputFile | None,
    settings: Settings,
    day: str,
) -> Any:
    from phusong.progress.run import run_progress

    return on_inputs("progress", run_progress, sites, wards, raster, settings, day)


def progress_view(run: Any, language: str) -> dict[str, Any]:
    """What the Progress panel shows (:func:`phusong.output.progress_report.progress_overview`)."""
    from phusong.output.progress_report import progress_overview

    return progress_overview(run, language)


def with_goal(result: AuditResult, goal: Goal) -> AuditResult:
    """The same audit judged against another goal, without recomputing coverage.

    Uses the library's own assembly step (:meth:`AuditResult.with_goal`), so the
    figures are exactly those ``run_audit(..., goal=goal)`` gives.
    """
    return result.with_goal(goal)


#: Every goal the slider offers, for both metrics, fits in the cache.
JUDGED_ENTRIES = 256


@st.cache_resource(max_entries=JUDGED_ENTRIES, show_spinner=False, hash_funcs=HASH_FUNCS)
def judged(
    sites: InputFile | None,
    wards: InputFile | None,
    raster: InputFile | None,
    settings: Settings,
    goal: Goal,
) -> AuditResult:
    """The cached audit judged against ``goal`` (coverage is not recomputed)."""
    return with_goal(audit(sites, wards, raster, settings), goal)


def inputs_key(
    sites: InputFile | None, wards: InputFile | None, raster: InputFile | None, settings: Settings
) -> str:
    """Text naming the inputs and settings of an audit (key of jobs and derived caches)."""
    files = "|".join(_file_key(f) for f in (sites, wards, raster))
    return f"{files}|{dataclasses.astuple(settings)}"


def is_synthetic(result: AuditResult | PlanRun) -> bool:
    """Whether the figures come from the synthetic sample (or data derived from it)."""
    return bool(result.summary.get("synthetic"))


# --------------------------------------------------------------------------- verdict


@dataclass(frozen=True)
class SiteEstimate:
    """The fast estimate of new sites: the planner's greedy curve to full coverage.

    The greedy adds sites in the same order whatever the target, so the number
    of sites for *any* target is read off one curve (``sites_for``); the
    figures are those of ``propose_sites(audit, target_pct=t, ...)``.

    Attributes
    ----------
    n_sites : ndarray of int
        0, 1, 2, … sites added.
    coverage_pct : ndarray of float
        Population coverage after that many sites (planner's estimate) [%].
    demand_cell_m : float
        Side of the demand grid the estimate counts people on [m].
    operator : str
        Operator of the new sites.
    """

    n_sites: np.ndarray
    coverage_pct: np.ndarray
    demand_cell_m: float
    operator: str

    def sites_for(self, target_pct: float) -> int | None:
        """Fewest new sites whose estimate reaches ``target_pct``; ``None`` if never."""
        hit = np.flatnonzero(self.coverage_pct >= float(target_pct) - 1e-9)
        return int(self.n_sites[hit[0]]) if len(hit) else None


#: Demand grid of the fast estimate [m] (coarser than a plan's 100 m: about 4× faster).
ESTIMATE_DEMAND_CELL_M = 300.0
#: Wards (worst first) whose own needs the overview estimates.
NEEDS_WARDS = 5


def _curve_estimate(plan: Any) -> SiteEstimate:
    curve = plan.curve[plan.curve["method"] == "greedy"]
    return SiteEstimate(
        n_sites=curve["n_sites"].to_numpy("int64"),
        coverage_pct=curve["population_coverage_pct"].to_numpy("float64"),
        demand_cell_m=float(plan.summary["demand_cell_m"]),
        operator=str(plan.summary["operator"]),
    )


def city_estimate(result: AuditResult) -> SiteEstimate:
    """Greedy curve of new sites for the whole city (fast settings, no re-audit)."""
    from phusong.planning import propose_sites

    return _curve_estimate(
        propose_sites(result, target_pct=100.0, demand_cell_m=ESTIMATE_DEMAND_CELL_M)
    )


def ward_estimate(result: AuditResult, ward_id: str) -> SiteEstimate:
    """Greedy curve of new sites for one ward on its own (its people only)."""
    from phusong.planning import PlanInputs, propose_sites

    inputs = dataclasses.replace(
        PlanInputs.from_audit(result),
        wards=result.wards[result.wards["ward_id"].astype(str) == str(ward_id)],
        gaps=result.gaps[result.gaps["ward_id"].astype(str) == str(ward_id)],
    )
    return _curve_estimate(
        propose_sites(inputs, target_pct=100.0, demand_cell_m=ESTIMATE_DEMAND_CELL_M)
    )


@dataclass(frozen=True)
class Estimates:
    """The fast estimates of the overview: the city's curve and the worst wards' own."""

    city: SiteEstimate
    wards: dict[str, SiteEstimate]


def _estimates(result: AuditResult, *, progress: Callable[[str, float], None]) -> Estimates:
    """Compute :class:`Estimates` (a job: progress after each step)."""
    progress("city", 0.0)
    city = city_estimate(result)
    worst = [str(w) for w in result.wards["ward_id"].head(NEEDS_WARDS)]
    wards = {}
    for i, ward_id in enumerate(worst):
        progress("ward", (i + 1) / (len(worst) + 1))
        wards[ward_id] = ward_estimate(result, ward_id)
    progress("done", 1.0)
    return Estimates(city=city, wards=wards)


def _estimates_of(inputs: tuple[Any, ...], *, progress: Callable[[str, float], None]) -> Estimates:
    result = audit(*inputs)
    sites, wards, raster, settings = inputs
    if sites is None and wards is None and raster is None:
        return shipped_or_compute(
            "estimates", settings, lambda: _estimates(result, progress=progress)
        )
    return _estimates(result, progress=progress)


def estimate_job(inputs: tuple[Any, ...]) -> jobs.Job:
    """The background job estimating new sites for these inputs (started once)."""
    return jobs.submit(f"estimate|{inputs_key(*inputs)}", _estimates_of, inputs)


@dataclass(frozen=True)
class WardNeed:
    """What one of the worst wards needs to reach the goal."""

    ward_id: str
    name: str
    coverage_pct: float
    shortfall: float
    sites: int | None
    meets: bool


@dataclass(frozen=True)
class Verdict:
    """The overview's verdict: met or not, by how much, and what it would take.

    ``value_pct`` is the city's coverage in the goal's metric [%];
    ``shortfall`` the people (population goal) or km² (area goal) still
    missing; ``sites`` the fast estimate of new sites (``None``: not
    estimated, e.g. for an area goal, or unreachable on the candidate grid).
    """

    met: bool
    metric: str
    value_pct: float
    target_pct: float
    year: int
    shortfall: float
    sites: int | None
    reachable: bool
    needs: list[WardNeed]


def verdict(result: AuditResult, goal: Goal, estimates: Estimates | None) -> Verdict:
    """The verdict on ``result`` (judged against ``goal``) with the estimates, if ready.

    The shortfall is the library's: ``max(0, target × total − covered)`` summed
    city-wide (:func:`phusong.goals.evaluate` per ward, here for the city).
    """
    s = result.summary
    value = float(s[goal.column])
    if goal.metric == "population":
        shortfall = max(goal.target_pct / 100.0 * s["population"] - s["covered_population"], 0.0)
    else:
        shortfall = max(goal.target_pct / 100.0 * s["area_km2"] - s["covered_area_km2"], 0.0)
    sites = reachable = None
    if estimates is not None and goal.metric == "population":
        sites = estimates.city.sites_for(goal.target_pct)
        reachable = sites is not None
    return Verdict(
        met=bool(s["meets_goal"]),
        metric=goal.metric,
        value_pct=value,
        target_pct=float(goal.target_pct),
        year=int(goal.year),
        shortfall=float(shortfall),
        sites=sites,
        reachable=bool(reachable) if reachable is not None else True,
        needs=ward_needs(result, goal, estimates),
    )


def ward_needs(result: AuditResult, goal: Goal, estimates: Estimates | None) -> list[WardNeed]:
    """The worst wards (rank order) below the goal, with their shortfall and sites needed."""
    short = "shortfall_population" if goal.metric == "population" else "shortfall_area_km2"
    rows = result.wards[~result.wards["meets_goal"].astype(bool)].head(NEEDS_WARDS)
    out = []
    for r in rows.itertuples(index=False):
        ward_id = str(r.ward_id)
        est = estimates.wards.get(ward_id) if estimates is not None else None
        sites = (
            est.sites_for(goal.target_pct)
            if est is not None and goal.metric == "population"
            else None
        )
        out.append(
            WardNeed(
                ward_id=ward_id,
                name=str(r.name),
                coverage_pct=float(getattr(r, goal.column)),
                shortfall=float(getattr(r, short)),
                sites=sites,
                meets=bool(r.meets_goal),
            )
        )
    return out


# --------------------------------------------------------------------------- maps


@st.cache_resource(max_entries=8, show_spinner=False, hash_funcs=HASH_FUNCS)
def map_data(
    sites: InputFile | None,
    wards: InputFile | None,
    raster: InputFile | None,
    settings: Settings,
) -> wardmap.MapData:
    """Geometry of the overview map for these inputs (built once, shared)."""
    result = audit(sites, wards, raster, settings)
    key = f"audit|{inputs_key(sites, wards, raster, settings)}"
    if sites is None and wards is None and raster is None:
        return shipped_or_compute("map", settings, lambda: mapview.audit_geometry(result, key=key))
    return mapview.audit_geometry(result, key=key)


def judged_key(inputs: tuple[Any, ...], goal: Goal) -> str:
    """Text naming an audit judged against a goal (key of the caches of its texts)."""
    return f"{inputs_key(*inputs)}|{dataclasses.astuple(goal)}"


@st.cache_data(max_entries=JUDGED_ENTRIES, ttl=DATA_TTL_S, show_spinner=False)
def _goal_style(_result: AuditResult, key: str, language: str) -> tuple[dict, dict]:
    return mapview.goal_style(_result, _result.params.goal, language)


def goal_style(inputs: tuple[Any, ...], result: AuditResult) -> tuple[dict, dict]:
    """(fill colour, tooltip) of each ward of a judged audit, cached per goal and language."""
    return _goal_style(result, judged_key(inputs, result.params.goal), lang())


@st.cache_data(max_entries=JUDGED_ENTRIES, ttl=DATA_TTL_S, show_spinner=False)
def _ward_table_texts(_result: AuditResult, key: str, language: str) -> pd.DataFrame:
    return mapview.ward_table_texts(_result, language)


def ward_table_texts(inputs: tuple[Any, ...], result: AuditResult) -> pd.DataFrame:
    """The overview's ward table, figures as text, cached per goal and language."""
    return _ward_table_texts(result, judged_key(inputs, result.params.goal), lang())


def show_ward_map(
    inputs: tuple[Any, ...], result: AuditResult, goal: Goal, selected: str | None
) -> str | None:
    """Show the overview map; return the ward id of the last click (or ``None``)."""
    data = map_data(*inputs)
    style, info = goal_style(inputs, result)
    language = lang()
    recolour = recolour_payload(inputs, result, goal.metric, language)
    out = wardmap.show(
        data,
        key="ov_map",
        style=style,
        info=info,
        legend=mapview.goal_legend(goal, lang()),
        layers=mapview.layer_names(lang()),
        attribution=mapview.attribution(result),
        synthetic=t("map_synthetic") if is_synthetic(result) else "",
        selected=selected,
        clickable=True,
        height=mapview.MAP_HEIGHT,
        recolour=recolour,
        recolour_key=f"{goal.metric}|{language}",
    )
    return str(out["ward_id"]) if isinstance(out, dict) and out.get("ward_id") else None


@st.cache_data(max_entries=16, ttl=DATA_TTL_S, show_spinner=False)
def _recolour_payload(_result: AuditResult, key: str, metric: str, language: str) -> dict:
    return mapview.recolour_payload(_result, metric, goal_steps(), language)


def recolour_payload(
    inputs: tuple[Any, ...], result: AuditResult, metric: str, language: str
) -> dict[str, Any]:
    """What the browser needs to recolour the overview map by itself (cached per metric, language)."""
    return _recolour_payload(result, inputs_key(*inputs), metric, language)


# --------------------------------------------------------------------------- start-up

#: Whether the pages judge every goal of the slider ahead, in the background
#: (set by ``server.py``: on a real server, not in tests).
PREFETCH = {"on": False}


#: Pause between two goals judged ahead [s]: the prefetch yields to page runs.
PREFETCH_PAUSE_S = 0.2


def goal_steps() -> list[float]:
    """Every target the goal slider offers [%] (steps of 0.5 from 50 % to the option's maximum)."""
    low, high = goal_bounds()
    steps = [low + 0.5 * i for i in range(round((high - low) / 0.5) + 1)]
    return [x for x in steps if x >= 50.0]


def _prefetch(
    inputs: tuple[Any, ...],
    metric: str,
    language: str,
    first: float,
    *,
    progress: Callable[[str, float], None],
) -> int:
    """Judge the audit against every slider target (nearest ``first`` first); cache the texts."""
    steps = sorted(goal_steps(), key=lambda x: (abs(x - first), x))
    for i, target in enumerate(steps):
        progress("goal", i / len(steps))
        goal = Goal.target(target, metric)  # type: ignore[arg-type]
        sites, wards, raster, settings = inputs
        result = judged(sites, wards, raster, settings, goal)
        key = judged_key(inputs, goal)
        _goal_style(result, key, language)
        _ward_table_texts(result, key, language)
        time.sleep(PREFETCH_PAUSE_S)  # let the visitors' page runs have the interpreter
    return len(steps)


def prefetch_goals(inputs: tuple[Any, ...], goal: Goal, language: str) -> jobs.Job | None:
    """Judge every goal of the slider ahead (one background job per inputs, metric, language).

    The slider then answers from the caches for any value. Only on a real
    server (:data:`PREFETCH`).
    """
    if not PREFETCH["on"]:
        return None
    key = f"prefetch|{inputs_key(*inputs)}|{goal.metric}|{language}"
    return jobs.submit(key, _prefetch, inputs, goal.metric, language, float(goal.target_pct))


_WARM_LOCK = threading.Lock()
_WARM: dict[str, Any] = {}


def warm_up() -> threading.Thread | None:
    """Compute the default audit, its map and the fast estimate in a background thread.

    Called once per server process (``server.py``'s start-up hook); later
    calls do nothing. The results land in the same caches the pages read, so
    the first visitor finds them ready (or waits only for what is left).
    """
    with _WARM_LOCK:
        if "thread" in _WARM:
            return None

        def run() -> None:
            t0 = time.monotonic()
            inputs = (None, None, None, Settings())
            try:
                judged(*inputs, DEFAULT_GOAL)
                map_data(*inputs)
                _WARM["audit_s"] = time.monotonic() - t0
                log.info("warm-up: default audit and map ready after %.1f s", _WARM["audit_s"])
                estimate_job(inputs).wait()
                _WARM["estimate_s"] = time.monotonic() - t0
                log.info("warm-up: estimate ready after %.1f s", _WARM["estimate_s"])
                PREFETCH["on"] = True
                job = prefetch_goals(inputs, DEFAULT_GOAL, default_language())
                if job is not None:
                    job.wait()
                _WARM["goals_s"] = time.monotonic() - t0
                log.info("warm-up: every goal judged after %.1f s", _WARM["goals_s"])
                warm_planner(inputs)
                _WARM["planner_s"] = time.monotonic() - t0
                log.info("warm-up: planner ready after %.1f s", _WARM["planner_s"])
            except Exception as exc:  # shown to no one: the page computes it again
                _WARM["error"] = repr(exc)

        thread = threading.Thread(target=run, name="phusong-warm-up", daemon=True)
        _WARM["thread"] = thread
        thread.start()
        return thread


def warm_planner(inputs: tuple[Any, ...]) -> None:
    """Make ready what a first plan on ``inputs`` reads, without caching any result.

    The default audit may come from the disk cache, which holds its figures
    but not what an audit leaves behind for the next one on the same grid
    (compiled kernels loaded, terrain windows, ward pixels and gaps, the new
    site's templates: :mod:`phusong.caches`). An audit of the same inputs and
    a one-site proposal recompute them, in the background, once.
    """
    if inputs[3].is_vector:  # footprint models: nothing of this is read
        return
    from phusong.planning import propose_sites

    sites, wards, raster, settings = inputs
    fresh = run_audit(
        sites.open() if sites is not None else sample_sites_path(),
        wards.open() if wards is not None else None,
        **settings.audit_kwargs(raster),
        goal=DEFAULT_GOAL,
    )
    propose_sites(fresh, budget=1)


def warm_up_state() -> dict[str, Any]:
    """What the warm-up did: ``audit_s``, ``estimate_s`` [s] or ``error``."""
    return {k: v for k, v in _WARM.items() if k != "thread"}


# --------------------------------------------------------------------------- comparing


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


def alternative_audit(candidate: dict[str, Any], inputs: tuple[Any, ...], goal: Goal) -> Any:
    """Audit of the Compare page's alternative (an upload or a table), or ``None`` on error."""
    _, wards, raster, settings = inputs
    cand = candidate.get("sites")
    if isinstance(cand, InputFile):
        return guarded(candidate_audit, cand, wards, raster, settings, goal)
    return guarded(
        candidate_frame_audit,
        str(candidate.get("key", "")),
        cand,
        wards,
        raster,
        settings,
        goal,
    )


def ward_change(base: AuditResult, other: AuditResult) -> pd.DataFrame:
    """Per-ward coverage of the baseline and the alternative in the goal's metric."""
    col = base.params.goal.column
    a = base.wards[["ward_id", "name", col]]
    b = other.wards[["ward_id", col, "meets_goal"]]
    out = a.merge(b, on="ward_id", how="left", suffixes=("_base", "_other"))
    out["change"] = out[f"{col}_other"] - out[f"{col}_base"]
    return out.sort_values("change", ascending=False, kind="mergesort").reset_index(drop=True)


def show_compare_map(base: AuditResult, other: AuditResult, key: str) -> None:
    """Show the per-ward change map of two judged audits."""
    data = compare_geometry(base, key)
    style, info = mapview.change_style(base, other, lang())
    wardmap.show(
        data,
        key="cmp_map",
        style=style,
        info=info,
        legend=mapview.change_legend(base.params.goal, lang()),
        layers=mapview.layer_names(lang()),
        attribution=mapview.attribution(base),
        synthetic=t("map_synthetic") if is_synthetic(base) or is_synthetic(other) else "",
        height=mapview.MAP_HEIGHT,
    )


def compare_geometry(base: AuditResult, key: str) -> wardmap.MapData:
    """Ward geometry of the baseline (no gaps, no sites) for the change map."""
    return _plain_geometry(base, key)


@st.cache_resource(max_entries=8, show_spinner=False)
def _plain_geometry(_result: AuditResult, key: str) -> wardmap.MapData:
    return mapview.audit_geometry(_result, key=f"plain|{key}", gaps=False, sites=False)


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
    targets: InputFile | None = None  # issue #15: target places

    @property
    def key(self) -> str:
        """Text naming the request (key of its job and of the derived map and files)."""
        files = "|".join(
            _file_key(f)
            for f in (
                self.sites,
                self.wards,
                self.raster,
                self.candidates,
                self.excluded,
                self.targets,
            )
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
            self.targets,
        )


def plan_operators() -> list[str]:
    """Operators a new site can belong to (those with 5G spectrum on record)."""
    from phusong.operators import SPECTRUM_5G

    return list(SPECTRUM_5G)


def _plan_kwargs(options: PlanOptions) -> dict[str, Any]:
    """Keyword arguments of ``run_plan`` for the Plan page's options."""
    kw: dict[str, Any] = {
        "target_pct": float(options.target_pct),
        "budget": options.budget,
        "min_spacing_m": float(options.min_spacing_m),
        "operator": options.operator,
        "method": options.method,
        "time_limit_s": float(options.time_limit_s),
    }
    if options.ward_floor_pct is not None:
        kw["ward_floor_pct"] = float(options.ward_floor_pct)
    if options.cover_targets:  # issue #15: every target place covered
        kw["cover_targets"] = True
    return kw


@st.cache_resource(max_entries=4, show_spinner=False, hash_funcs=HASH_FUNCS)
def plan(
    sites: InputFile | None,
    wards: InputFile | None,
    raster: InputFile | None,
    settings: Settings,
    options: PlanOptions,
    candidates: InputFile | None = None,
    excluded: InputFile | None = None,
    targets: InputFile | None = None,
    _progress: Callable[[str, float], None] | None = None,
) -> PlanRun:
    """``run_plan`` on the inputs, model settings and plan options (cached).

    The audits inside use the same model settings as :func:`audit`; the goal
    is the plan's population target. The audit of the existing network is
    :func:`audit`'s (cached: the Overview's), judged against the plan's goal,
    on the raster route (the planner's demand is its unserved pixels) and
    without target places (their audit judges them too).
    ``_progress`` (not part of the cache key) receives the library's progress.
    """

    def run(before: AuditResult | None) -> PlanRun:
        return run_plan(
            sites.open() if sites is not None else sample_sites_path(),
            wards.open() if wards is not None else None,
            candidates=candidates.path() if candidates is not None else None,
            excluded=excluded.path() if excluded is not None else None,
            targets=targets.path() if targets is not None else None,  # issue #15
            progress=_progress,
            before=before,  # issue #17: no second audit of the same network
            **_plan_kwargs(options),
            **settings.audit_kwargs(raster),
        )

    if targets is not None or settings.is_vector:  # disc/sector: the demand is its gaps
        return run(None)
    before = audit(sites, wards, raster, settings)
    try:
        return run(before)
    except ConfigError as exc:
        if not str(exc).startswith("before:"):
            raise
        log.warning("plan: the cached audit was not the plan's (%s); auditing again", exc)
        return run(None)


def _plan_job_fn(request: PlanRequest, *, progress: Callable[[str, float], None]) -> PlanRun:
    r = request
    return plan(
        r.sites,
        r.wards,
        r.raster,
        r.settings,
        r.options,
        r.candidates,
        r.excluded,
        r.targets,
        progress,
    )


def plan_job(request: PlanRequest) -> jobs.Job:
    """The background job computing ``request`` (started once; shared by sessions)."""
    return jobs.submit(request.key, _plan_job_fn, request)


def plan_job_if_any(request: PlanRequest) -> jobs.Job | None:
    """The job of ``request`` if one was started (running, done, failed or cancelled)."""
    return jobs.get(request.key)


def forget_plan_job(request: PlanRequest) -> None:
    """Forget a failed or cancelled plan, so that asking again starts afresh."""
    jobs.forget(request.key)


def show_plan_map(run: PlanRun, key: str) -> None:
    """Show the re-audit's wards coloured against the target, with the proposed sites."""
    after = run.after if run.after is not None else run.before
    goal = after.params.goal
    data = plan_geometry(run, key)
    style, info = mapview.goal_style(after, goal, lang())
    wardmap.show(
        data,
        key="plan_map",
        style=style,
        info=info,
        legend=mapview.plan_legend(goal, len(run.new_sites()), lang()),
        layers=mapview.layer_names(lang()),
        attribution=mapview.attribution(after),
        synthetic=t("map_synthetic") if is_synthetic(run) else "",
        height=mapview.MAP_HEIGHT,
    )


@st.cache_resource(max_entries=4, show_spinner=False)
def _plan_geometry(_run: PlanRun, key: str, language: str) -> wardmap.MapData:
    return mapview.plan_geometry(_run, key=f"plan|{key}|{language}", lang=language)


def plan_geometry(run: PlanRun, key: str) -> wardmap.MapData:
    """Geometry of the plan map (wards, gap outlines after the plan, proposed sites)."""
    return _plan_geometry(run, key, lang())


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


def place_of_reason(reason: str) -> str | None:
    """Issue #15: the target place a site was placed for (``P001 (name)``), else ``None``."""
    reason = str(reason)
    return (
        reason.removeprefix(TARGET_REASON_PREFIX)
        if reason.startswith(TARGET_REASON_PREFIX)
        else None
    )


def plan_new_sites(run: PlanRun) -> pd.DataFrame:
    """One row per proposed site: order, id, ward, position, people added (``PlanRun.new_sites``)."""
    return run.new_sites()


def wards_meeting_after(run: PlanRun) -> tuple[int, int, int]:
    """(wards meeting the target before, after, all wards), from the audited tables."""
    table = run.ward_table()
    return (
        int(table["meets_target_before"].sum()),
        int(table["meets_target_after"].sum()),
        len(table),
    )


def worst_ward_after(run: PlanRun) -> tuple[str, float] | None:
    """The ward with the lowest population coverage after the plan (name, %)."""
    table = run.ward_table()
    values = table["population_coverage_pct_after"].astype("float64")
    if not values.notna().any():
        return None
    i = int(values.idxmin())
    return str(table.loc[i, "name"]), float(values.loc[i])


def plan_sites_for_compare(run: PlanRun) -> pd.DataFrame:
    """Existing plus proposed cells as one table (what the re-audit audited)."""
    return pd.DataFrame(run.plan.sites_for_audit(run.before.sites))


# --------------------------------------------------------------------------- downloads


def geotiff(result: AuditResult) -> bytes | None:
    """``coverage.tif`` of a raster-route audit (as the CLI writes it), or ``None``."""
    if result.grid is None:
        return None
    from phusong.io.outputs import write_coverage_raster

    with tempfile.TemporaryDirectory() as tmp:
        path = write_coverage_raster(Path(tmp), result)
        return path.read_bytes() if path is not None else None


def standalone_map_html(result: AuditResult) -> bytes:
    """The map as one self-contained HTML file, as the CLI writes ``map.html``."""
    from phusong.output.bundle import map_html
    from phusong.output.maps import audit_map

    return map_html(audit_map(result, goal=result.params.goal, lang=lang()))


@st.cache_data(max_entries=4, ttl=DATA_TTL_S, show_spinner=False)
def _download_files(_result: AuditResult, key: str, language: str) -> dict[str, bytes]:
    from phusong.output.bundle import render_audit_folder

    files = dict(render_audit_folder(_result, language))
    tif = geotiff(_result)
    if tif is not None:
        files["coverage.tif"] = tif
    return files


def download_files(result: AuditResult, inputs: tuple[Any, ...], goal: Goal) -> dict[str, bytes]:
    """Every file of the audit's folder (as the CLI writes it), cached per inputs, goal and language."""
    return _download_files(result, judged_key(inputs, goal), lang())


def plan_file_set(run: PlanRun, request: PlanRequest) -> dict[str, bytes]:
    """The plan's files plus ``proposed_sites_by_site.csv`` (one row per site, with its ward)."""
    from phusong.output.tables import csv_bytes, with_synthetic_flag

    files = dict(plan_files(run, request.key))
    table = with_synthetic_flag(plan_new_sites(run), is_synthetic(run))
    files["proposed_sites_by_site.csv"] = csv_bytes(table)
    return files


def download_name(name: str, synthetic: bool) -> str:
    """``wards.csv`` → ``wards_SYNTHETIC.csv`` when the data is synthetic (the library's rule)."""
    from phusong.output.bundle import download_name as _name

    return _name(name, synthetic)


def scenario_name(sites: InputFile | None, settings: Settings) -> str:
    """Words naming the scenario in file names: the data and the model (``sample disc``)."""
    return f"{'sample' if sites is None else sites.stem} {settings.model}"


def bundle(
    files: dict[str, bytes], summary: dict[str, Any], kind: str, scenario: str
) -> tuple[str, bytes]:
    """One ZIP of ``files``: ``(name, bytes)``, named with the scenario and the date.

    :func:`phusong.output.bundle.bundle_zip`: every entry and the bundle itself
    carry ``_SYNTHETIC`` when the data is synthetic.
    """
    from phusong.output.bundle import bundle_zip

    return bundle_zip(files, summary, kind=kind, scenario=scenario)


def model_label(settings: Settings) -> str:
    """Which model and settings produce the figures, in the interface language."""
    from phusong.models import get_model

    try:
        spec = get_model(settings.model)
    except PhusongError:
        return settings.model
    if spec.is_footprint:
        return t(f"model_label_{spec.name}") if has_text(f"model_label_{spec.name}") else spec.label
    key = f"model_label_{spec.name}"
    return t(
        key if has_text(key) else "model_label_pathloss",
        name=spec.name,
        threshold=fmt.unit(settings.threshold_dbm, "dBm"),
        resolution=fmt.unit(settings.resolution_m, "m"),
    )


def model_label_of(result: AuditResult) -> str:
    """:func:`model_label` of the settings that produced ``result``."""
    p = result.params
    return model_label(
        Settings(model=p.model, threshold_dbm=p.threshold_dbm, resolution_m=p.resolution_m)
    )


def goal_text(goal: Goal) -> str:
    """The goal in words: ``99 % dân số vào năm 2030 (Kế hoạch 58/KH-UBND)``."""
    what = t(f"verdict_what_{goal.metric}")
    key = "goal_text_plan" if goal.source == DEFAULT_GOAL.source else "goal_text_custom"
    return t(key, target=fmt.target(goal.target_pct), what=what, year=goal.year)


def operator_name(operator: str) -> str:
    """An operator's name as shown (``any`` → "all operators")."""
    from phusong.schema import ANY_OPERATOR

    return t("operator_any") if str(operator) == ANY_OPERATOR else str(operator)


def vega_locale() -> dict[str, Any]:
    """Number format of the charts in the interface language (Vega ``config.locale``)."""
    if lang() == "vi":
        number = {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["", " ₫"]}
    else:
        number = {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["$", ""]}
    return {"number": number}


def model_description(name: str) -> str:
    """What a model is, in the interface language (the library's label otherwise)."""
    key = f"model_desc_{name}"
    return t(key) if has_text(key) else MODEL_CHOICES.get(name, name)


def side_label(name: str, result: AuditResult) -> str:
    """One side of a comparison in words: its data, its sites and its model."""
    sites = result.summary.get("sites") or {}
    return t(
        "cmp_side",
        name=name,
        sites=fmt.count(sites.get("sites", 0)),
        model=model_label_of(result),
    )


def model_choices() -> dict[str, str]:
    """Short model name → what it is (the library's registry)."""
    return dict(MODEL_CHOICES)


@st.cache_data(max_entries=8, ttl=DATA_TTL_S, show_spinner=False, hash_funcs=HASH_FUNCS)
def operators_present(sites: InputFile | None, wards: InputFile | None) -> list[str]:
    """Operators in the site data (any radio), for the operator filter."""
    from phusong.io.sites import read_sites as _read

    source = sites.open() if sites is not None else sample_sites_path()
    table, _ = _read(source, radio=None, study_area=wards_table(wards))
    return sorted(str(o) for o in table["operator"].dropna().unique())


RADIOS = ("NR", "LTE", "UMTS", "GSM", "CDMA")


def show_sites_preview(sites: InputFile, report: Any, table: Any) -> None:
    """Map of an upload's sites: accepted, fixed (accepted with a note) and rejected rows."""
    data = mapview.preview_geometry(
        table, report, wards_table(current_wards()), key=f"preview|{sites.digest}", lang=lang()
    )
    wardmap.show(
        data,
        key="data_preview_map",
        style={},
        info={},
        legend=mapview.preview_legend(table, report, lang()),
        layers=mapview.layer_names(lang()),
        attribution=mapview.maps.OSM_ATTRIBUTION,
        height=420,
    )


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
]
