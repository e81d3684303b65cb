"""Every option of an audit and a plan: its default, its bounds, its help.

This module is the one owner of each default and bound. Everything that
accepts an option derives from the tables here:

- the API: :func:`phusong.audit.run_audit` and :func:`phusong.plan.run_plan`
  take their keyword defaults from :data:`AUDIT` / :data:`PLAN` and check every
  value with :meth:`Option.check` (a :class:`~phusong.errors.ConfigError`
  naming the argument);
- the command line: :mod:`phusong.cli` builds ``--threshold-dbm`` … from the
  same entries (help text, metavar, default shown in ``--help``) and names
  the flag in messages;
- a TOML config file (:func:`read_config`) holds the same keys
  (``threshold_dbm`` for ``--threshold-dbm``) and names the key and the file;
- the app's controls read their bounds and defaults from here.

A config file::

    # audit.toml
    sites = "sites.xlsx"            # relative paths are relative to this file
    model = "uma"
    threshold_dbm = -110
    resolution_m = 50
    goal = 99
    goal_metric = "population"
    operators = ["Viettel", "VinaPhone"]
    out = "reports/2025-q3"
    overwrite = true

Precedence: built-in defaults, then the file, then the command line.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

from phusong.errors import ConfigError

Kind = Literal["str", "path", "float", "int", "bool", "strlist"]

#: Default output folder of ``phusong audit``.
DEFAULT_OUT = "phusong-audit"
#: Default output folder of ``phusong plan``.
DEFAULT_PLAN_OUT = "phusong-plan"


@dataclass(frozen=True)
class Option:
    """One option: its kind, default, allowed values and help.

    Parameters
    ----------
    kind : {"str", "path", "float", "int", "bool", "strlist"}
        Value type. ``path`` is a string resolved against the config file's
        folder; ``strlist`` accepts a string or a list of strings.
    help : str
        What the option means (``--help``, messages, the app's tooltips).
    default : any
        Built-in default (``None``: not set).
    choices : tuple of str, optional
        Allowed values (``str`` kind).
    low, high : float, optional
        Inclusive bounds (numeric kinds).
    low_open : bool
        The lower bound is exclusive (e.g. a resolution must be > 0).
    metavar : str, optional
        Placeholder in ``--help`` (``DBM``).
    flags : tuple of str
        Extra command-line spellings (``--operator`` for ``operators``).
    """

    kind: Kind
    help: str
    default: Any = None
    choices: tuple[str, ...] | None = None
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    metavar: str | None = None
    flags: tuple[str, ...] = ()

    def describe_allowed(self) -> str:
        """Short text of what is allowed, for error messages."""
        if self.choices:
            return "one of " + ", ".join(self.choices)
        if self.kind in ("float", "int"):
            what = "a number" if self.kind == "float" else "a whole number"
            if self.low is not None and self.high is not None:
                op = "<" if self.low_open else "≤"
                return f"{what} with {self.low:g} {op} value ≤ {self.high:g}"
            if self.low is not None:
                return f"{what} {'>' if self.low_open else '≥'} {self.low:g}"
            return what
        return {
            "bool": "true or false",
            "strlist": "a string or a list of strings",
            "path": "a file path (string)",
        }.get(self.kind, "a string")

    def in_bounds(self, number: float) -> bool:
        """Whether a finite number lies within the bounds."""
        if self.low is not None and (number < self.low or (self.low_open and number == self.low)):
            return False
        return self.high is None or number <= self.high

    def check(self, value: Any, label: str, *, base: Path | None = None) -> Any:
        """Check and normalise one value; raise :class:`ConfigError` naming ``label``.

        Parameters
        ----------
        value : any
            The raw value (from the API, TOML or argparse).
        label : str
            How the option is named in the message (``--threshold-dbm``,
            ``threshold_dbm (in audit.toml)`` or ``threshold_dbm``).
        base : Path, optional
            Folder that relative paths are resolved against.
        """
        checker = _CHECKERS[self.kind]
        return checker(self, value, label, base)

    def refusal(self, value: Any, label: str, extra: str = "") -> ConfigError:
        """Return the error for a value this option does not accept."""
        return ConfigError(f"{label}: got {value!r}; expected {self.describe_allowed()}.{extra}")


def _check_bool(opt: Option, value: Any, label: str, base: Path | None) -> bool:
    if not isinstance(value, bool):
        raise opt.refusal(value, label)
    return value


def _check_number(opt: Option, value: Any, label: str, base: Path | None) -> float | int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:  # numpy scalars
            import numpy as np

            if not isinstance(value, np.number) or isinstance(value, np.bool_):
                raise opt.refusal(value, label)
        except ImportError:  # pragma: no cover - numpy is a dependency
            raise opt.refusal(value, label) from None
    number = float(value)
    if not math.isfinite(number) or not opt.in_bounds(number):
        raise opt.refusal(value, label)
    if opt.kind == "int":
        if not number.is_integer():
            raise opt.refusal(value, label)
        return int(number)
    return number


def _check_strlist(opt: Option, value: Any, label: str, base: Path | None) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or not all(isinstance(v, str) for v in items):
        raise opt.refusal(value, label)
    cleaned = tuple(v.strip() for v in items if v.strip())
    if not cleaned:
        raise opt.refusal(value, label, " Give at least one name.")
    return cleaned


def _check_path(opt: Option, value: Any, label: str, base: Path | None) -> Path:
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str) or not value.strip():
        raise opt.refusal(value, label)
    path = Path(os.path.expanduser(value.strip()))
    if base is not None and not path.is_absolute():
        path = base / path
    return path


def _check_str(opt: Option, value: Any, label: str, base: Path | None) -> str:
    if not isinstance(value, str) or not value.strip():
        raise opt.refusal(value, label)
    text = value.strip()
    if opt.choices and text not in opt.choices:
        raise opt.refusal(value, label)
    return text


_CHECKERS: dict[str, Callable[[Option, Any, str, Path | None], Any]] = {
    "bool": _check_bool,
    "float": _check_number,
    "int": _check_number,
    "strlist": _check_strlist,
    "path": _check_path,
    "str": _check_str,
}


# ---------------------------------------------------------------------------
# The tables
# ---------------------------------------------------------------------------
def _model_option() -> Option:
    from phusong.models import DEFAULT_MODEL, MODEL_NAMES

    return Option(
        "str",
        "coverage model: planning (3GPP TR 38.901, scenario per ward, outdoor and indoor), "
        "a single path-loss model on a raster, or the quick footprint estimates disc/sector "
        "(no propagation: an upper bound)",
        default=DEFAULT_MODEL,  # issue #12: was "disc"
        choices=MODEL_NAMES,
        metavar="MODEL",
    )


#: Options of ``phusong audit`` and :func:`phusong.audit.run_audit`.
AUDIT: dict[str, Option] = {
    "sites": Option(
        "path",
        "site/cell file: OpenCelliD CSV, operator sheet (CSV/XLSX), GeoJSON, GPKG…",
        metavar="FILE",
    ),
    "wards": Option(
        "path", "ward boundaries (default: the shipped 126 Hà Nội wards)", metavar="FILE"
    ),
    "model": _model_option(),
    "threshold_dbm": Option(
        "float",
        "SS-RSRP coverage threshold [dBm] for path-loss models",
        default=-110.0,
        low=-160.0,
        high=-30.0,
        metavar="DBM",
    ),
    "resolution_m": Option(
        "float",
        "raster resolution [m] for path-loss models",
        default=50.0,  # issue #12: was 20 m; 50 m resolves streets, the people weights are 1 km
        low=1.0,
        high=5000.0,
        metavar="M",
    ),
    "goal": Option(
        "float", "coverage target [%]", default=99.0, low=0.0, high=100.0, metavar="PCT"
    ),
    "goal_metric": Option(
        "str",
        "what the goal counts: population or area",
        default="population",
        choices=("population", "area"),
        metavar="METRIC",
    ),
    "operators": Option(
        "strlist",
        "keep only these operators (e.g. --operator Viettel VinaPhone; repeatable)",
        metavar="NAME",
        flags=("--operator", "--operators"),
    ),
    "radio": Option(
        "strlist",
        "radio technologies to keep (NR, LTE, …; 'all' keeps every one)",
        default=("NR",),
        metavar="RAT",
    ),
    "population_raster": Option("path", "people-per-pixel GeoTIFF (e.g. WorldPop)", metavar="FILE"),
    "radius_m": Option(
        "float",
        "footprint radius override for disc/sector [m]",
        low=0.0,
        low_open=True,
        high=100_000.0,
        metavar="M",
    ),
    "indoor_loss_db": Option(
        "float",
        "flat extra loss on every location [dB], single-scenario path-loss models only "
        "(planning computes indoor coverage with the TR 38.901 O2I model instead)",
        default=0.0,
        low=0.0,
        high=60.0,
        metavar="DB",
    ),
    "reliability": Option(
        "float",
        "cell-edge reliability (0.5 = no fading margin)",
        default=0.5,
        low=0.5,
        high=0.999,
        metavar="P",
    ),
    "min_gap_area_m2": Option(
        "float",
        "smallest gap polygon listed [m²]",
        default=10_000.0,
        low=0.0,
        high=1e9,
        metavar="M2",
    ),
    "route": Option(
        "str",
        "computation route: auto, vector, raster or tiled (per-ward sums tile by tile, "
        "no full raster; for country scale)",
        default="auto",
        choices=("auto", "vector", "raster", "tiled"),
        metavar="ROUTE",
    ),
    "tile_px": Option(
        "int", "raster tile size [pixels]", default=1024, low=16, high=16_384, metavar="PX"
    ),
    "scheduler": Option(
        "str",
        "run raster routes on Dask: processes, a worker count, or tcp://host:8786",
        metavar="ADDR",
    ),
    # --- physics (issue #12): credible coverage ---------------------------------
    "population": Option(
        "str",
        "where people live inside each ward: auto (WorldPop 2020 1 km weights rescaled to "
        "each ward's official total for the shipped wards, or --population-raster weights; "
        "uniform otherwise), worldpop, or uniform (official total spread evenly)",
        default="auto",
        choices=("auto", "worldpop", "uniform"),
        metavar="HOW",
    ),
    "goal_layer": Option(
        "str",
        "which coverage the goal is judged on: outdoor (default) or indoor (path-loss models; "
        "both are always reported)",
        default="outdoor",
        choices=("outdoor", "indoor"),
        metavar="LAYER",
    ),
    "o2i_model": Option(
        "str",
        "TR 38.901 O2I building penetration model of the indoor layer: low-loss (standard "
        "glass and concrete) or high-loss (IRR glass); RMa areas always use low-loss",
        default="low-loss",
        choices=("low-loss", "high-loss"),
        metavar="MODEL",
    ),
    "scenarios": Option(
        "path",
        "CSV of per-ward scenario overrides for the planning model: columns ward (id or name) "
        "and scenario (uma, umi or rma)",
        metavar="FILE",
    ),
    "los_probability": Option(
        "bool",
        "planning model: weight LOS and NLOS path loss by the TR 38.901 LOS probability "
        "(default: NLOS, the cautious choice)",
        default=False,
    ),
    "ue_gain_dbi": Option(
        "float",
        "UE antenna gain [dBi] (path-loss models)",
        default=0.0,
        low=-20.0,
        high=20.0,
        metavar="DBI",
    ),
    "body_loss_db": Option(
        "float",
        "body loss [dB] (path-loss models; about 3 dB for a phone held to the head)",
        default=0.0,
        low=0.0,
        high=20.0,
        metavar="DB",
    ),
    "sinr_min_db": Option(
        "float",
        "also require the best server's SINR ≥ this [dB] for coverage (path-loss models; "
        "interference from every co-channel cell down to the noise floor)",
        low=-30.0,
        high=50.0,
        metavar="DB",
    ),
    "sector_edge_db": Option(
        "float",
        "sector model: a wedge ends where the antenna pattern is this far below boresight "
        "[dB] (10 dB: three 65° sectors meet at ±60°, where the TR 38.901 pattern is 10.2 dB down)",
        default=10.0,
        low=3.0,
        high=30.0,
        metavar="DB",
    ),
    "terrain": Option(
        "str",
        "terrain diffraction over a DEM (ITU-R P.526 Bullington): auto (on for the planning "
        "model), on, or off; pixels without terrain data are computed without it and reported",
        default="auto",
        choices=("auto", "on", "off"),
        metavar="HOW",
    ),
    "dem": Option(
        "path",
        "elevation model for terrain: SRTM .hgt or GeoTIFF (default: the shipped SRTM tile "
        "N21E105, Hà Nội north of 21°N; the rest is 'terrain unknown')",
        metavar="FILE",
    ),
    # --- end physics --------------------------------------------------------------
    # --- calibration (issue #14) -------------------------------------------
    "calibration": Option(
        "path",
        "calibration file from 'phusong calibrate' (calibration.json): path-loss offsets "
        "per operator × band × scenario, applied to the path-loss model",
        metavar="FILE",
    ),
    # --- end calibration ------------------------------------------------------
    # --- reliability (issue #13): CRS of inputs given without one -----------
    "crs": Option(
        "str",
        "coordinate system of inputs in projected metres without one (site x/y in the "
        "lat/lon columns, a ward file without CRS), e.g. EPSG:3405 (VN-2000 / UTM 48N) "
        "or EPSG:5897 (VN-2000 / TM-3 105°E)",
        metavar="CRS",
    ),
    # --- end reliability ------------------------------------------------------
    # --- progress (issue #15): dated targets ----------------------------------
    "as_of": Option(
        "str",
        "audit the network as it stood on this date: only the cells on air by then "
        "(needs on-air dates: an 'on_air' column, or OpenCelliD 'created' as a proxy); "
        "also the date the targets are judged at (default today)",
        metavar="DATE",
    ),
    "targets": Option(
        "path",
        "target places that must have 5G by a deadline: points or polygons with 'deadline' "
        "and 'kind' columns (GeoJSON, GeoPackage, zipped Shapefile, or CSV/XLSX with lat/lon)",
        metavar="FILE",
    ),
    "goals": Option(
        "strlist",
        "targets to judge and to fail on: coverage, speed, places (or one deadline, "
        "places:2025-12-31); default every target that applies",
        metavar="KEY",
    ),
    "speed_target_mbps": Option(
        "float",
        "speed target: mean 5G download of the people served [Mbit/s] (plan 58/KH-UBND: 100)",
        default=100.0,
        low=0.0,
        low_open=True,
        high=100_000.0,
        metavar="MBPS",
    ),
    "place_min_share_pct": Option(
        "float",
        "share of a polygon target place that must be served for it to count as covered [%]",
        default=90.0,
        low=0.0,
        high=100.0,
        metavar="PCT",
    ),
    # --- end progress -----------------------------------------------------------
    "out": Option("path", "output folder", default=Path(DEFAULT_OUT), metavar="DIR"),
    "overwrite": Option("bool", "replace the files of a non-empty output folder", default=False),
    "fail_under": Option(
        "bool",
        "exit with status 3 when the goal is not met (with dated targets: any chosen target; "
        "see --goals)",
        default=False,
    ),
}

#: physics (issue #12): the audit options of the model that ``phusong plan`` also takes.
PHYSICS_PLAN_KEYS = (
    "reliability",
    "population",
    "o2i_model",
    "scenarios",
    "los_probability",
    "ue_gain_dbi",
    "body_loss_db",
    "sinr_min_db",
    "sector_edge_db",
    "terrain",
    "dem",
)

#: Options of ``phusong plan`` and :func:`phusong.plan.run_plan`; the audit's
#: model options mean the same as for ``phusong audit``.
PLAN: dict[str, Option] = {
    "sites": Option("path", "the existing network (any format 'audit' reads)", metavar="FILE"),
    "wards": AUDIT["wards"],
    "target": Option(
        "float",
        "population coverage to reach [%], population-weighted (default: the goal, 99)",
        low=0.0,
        high=100.0,
        metavar="PCT",
    ),
    "budget": Option(
        "int",
        "instead of a target: the best coverage with at most N new sites",
        low=0,
        metavar="N",
    ),
    "candidates": Option(
        "path",
        "allowed new-site positions: a site sheet, OpenCelliD CSV, or a file of points "
        "or polygons (default: a grid in and around the gaps)",
        metavar="FILE",
    ),
    "min_spacing_m": Option(
        "float",
        "minimum distance between new sites, and to existing sites of their operator [m]",
        default=0.0,
        low=0.0,
        high=100_000.0,
        metavar="M",
    ),
    "excluded": Option(
        "path",
        "polygons where no new site may go (GeoJSON, GeoPackage, zipped Shapefile, GeoParquet)",
        metavar="FILE",
    ),
    "method": Option(
        "str",
        "site-selection solver: greedy, milp or both",
        default="greedy",
        choices=("greedy", "milp", "both"),
        metavar="METHOD",
    ),
    "operator": Option(
        "str", "operator of the new sites (default: the one with most cells)", metavar="NAME"
    ),
    "model": AUDIT["model"],
    "threshold_dbm": AUDIT["threshold_dbm"],
    "resolution_m": AUDIT["resolution_m"],
    "radius_m": AUDIT["radius_m"],
    "max_rounds": Option(
        "int",
        "most planning rounds (plan, re-audit, top up)",
        default=3,
        low=1,
        high=50,
        metavar="N",
    ),
    "time_limit_s": Option(
        "float",
        "MILP time limit per round [s]",
        default=60.0,
        low=0.0,
        low_open=True,
        high=86_400.0,
        metavar="S",
    ),
    # --- physics (issue #12): the audits' model options ----------------------------
    **{key: AUDIT[key] for key in PHYSICS_PLAN_KEYS},
    # --- end physics --------------------------------------------------------------
    "calibration": AUDIT["calibration"],  # calibration (issue #14)
    "as_of": AUDIT["as_of"],  # progress (issue #15): plan from the network as of a date
    "crs": AUDIT["crs"],  # reliability (issue #13)
    # --- app (issue #16): every ward at least X % -----------------------------------
    "ward_floor_pct": Option(
        "float",
        "also bring every ward to at least this population coverage [%] (greedy, target mode)",
        low=0.0,
        high=100.0,
        metavar="PCT",
    ),
    # --- end app ------------------------------------------------------------------
    # --- progress (issue #15): target places the plan must cover ------------------
    "targets": AUDIT["targets"],
    "place_min_share_pct": AUDIT["place_min_share_pct"],
    "cover_targets": Option(
        "bool",
        "also cover every target place of --targets by its rule: sites are placed for the "
        "places not covered (they count against --budget)",
        default=False,
    ),
    # --- end progress ---------------------------------------------------------------
    "out": Option("path", "output folder", default=Path(DEFAULT_PLAN_OUT), metavar="DIR"),
    "overwrite": AUDIT["overwrite"],
    "fail_under": Option(
        "bool", "exit with status 3 when the re-audit does not meet the target", default=False
    ),
}

#: Options of the planner itself (:func:`phusong.planning.propose_sites`),
#: passed through ``run_plan(plan_options=…)``.
PLANNER: dict[str, Option] = {
    "demand_cell_m": Option(
        "float",
        "side of the demand grid the planner counts people on [m]",
        default=100.0,
        low=5.0,
        high=5000.0,
    ),
    "candidate_spacing_m": Option(
        "float",
        "spacing of the candidate grid [m] (default: a third of the new sites' radius, "
        "at least the demand cell)",
        low=10.0,
        high=50_000.0,
    ),
    "mip_rel_gap": Option(
        "float",
        "relative MILP optimality gap at which HiGHS stops",
        default=1e-4,
        low=0.0,
        high=1.0,
    ),
}

# ---------------------------------------------------------------------------
# Calibration (issue #14): ``phusong calibrate`` and ``run_calibration``
# ---------------------------------------------------------------------------
#: Default output folder of ``phusong calibrate``.
DEFAULT_CALIBRATION_OUT = "phusong-calibration"


def _path_loss_model_option() -> Option:
    from phusong.models import FOOTPRINT_MODELS, MODEL_NAMES

    return Option(
        "str",
        "path-loss model to calibrate (default: the audit's default path-loss model, else uma)",
        choices=tuple(n for n in MODEL_NAMES if n not in FOOTPRINT_MODELS),
        metavar="MODEL",
    )


#: Options of ``phusong calibrate`` and :func:`phusong.calibration.run_calibration`.
CALIBRATE: dict[str, Option] = {
    "sites": Option("path", "the network (any format 'audit' reads)", metavar="FILE"),
    "measurements": Option(
        "path",
        "signal measurements: drive-test or crowdsourced export (CSV/TSV, XLSX, GeoJSON, "
        "Parquet) with latitude, longitude and SS-RSRP/RSRP [dBm]",
        metavar="FILE",
    ),
    "wards": AUDIT["wards"],
    "model": _path_loss_model_option(),
    "fit_slope": Option(
        "bool", "also fit a distance slope [dB/decade] (default: an offset only)", default=False
    ),
    "folds": Option("int", "folds of the cross-validation", default=5, low=2, high=20, metavar="K"),
    "min_points": Option(
        "int",
        "fewest measurements for an operator × band × scenario group to be fitted",
        default=30,
        low=5,
        high=10_000_000,
        metavar="N",
    ),
    "radio": AUDIT["radio"],
    "seed": Option(
        "int", "seed of the cross-validation folds", default=0, low=0, high=2**32 - 1, metavar="N"
    ),
    "nearest_sites": Option(
        "int",
        "site locations searched per operator × band for a measurement's best server",
        default=6,
        low=1,
        high=100,
        metavar="N",
    ),
    "out": Option("path", "output folder", default=Path(DEFAULT_CALIBRATION_OUT), metavar="DIR"),
    "overwrite": AUDIT["overwrite"],
}
# --- end calibration ---------------------------------------------------------


# ---------------------------------------------------------------------------
# Reliability (issue #13): options named in messages, in each interface's words
# ---------------------------------------------------------------------------
def cli_label(key: str, value: str | None = None) -> str:
    """Name an option as the command line does: ``--crs EPSG:3405``, ``--radio all``.

    The renderer of option references (``[[key]]``, ``[[key=value]]``) in
    messages shown by the CLI (:func:`phusong.errors.render_message`). A key
    that is not a command-line option is shown as the key itself.
    """
    opt = AUDIT.get(key) or PLAN.get(key)
    if opt is None:
        return key if value is None else f"{key} {value}"
    flag = opt.flags[0] if opt.flags else option_name(key)
    return flag if value is None or opt.kind == "bool" else f"{flag} {value}"


def label_for(labels: Mapping[str, str]) -> Callable[[str, str | None], str]:
    """Build the renderer of option references for an interface with its own names.

    Parameters
    ----------
    labels : mapping
        Option key -> what the interface calls it (the app: its control's
        label, e.g. ``{"resolution_m": "Grid resolution [m]"}``).

    Returns
    -------
    callable
        ``label(key, value)`` for :func:`phusong.errors.render_message` /
        :meth:`phusong.errors.PhusongError.render`: ``"Grid resolution [m]"``,
        ``"Radio: all"``; keys without a label fall back to the key.
    """

    def label(key: str, value: str | None = None) -> str:
        name = labels.get(key, key)
        return f"“{name}”" if value is None else f"“{name}: {value}”"

    return label


# --- end reliability ---------------------------------------------------------

# ---------------------------------------------------------------------------
# Progress (issue #15): throughput assumptions and ``phusong progress``
# ---------------------------------------------------------------------------
#: Assumptions of the SINR → downlink throughput estimate
#: (:class:`phusong.propagation.throughput.ThroughputParams`; sources there).
#: Audit options too: ``--throughput-cell-load 0.7``.
THROUGHPUT: dict[str, Option] = {
    "throughput_alpha": Option(
        "float", "throughput: attenuation α of the Shannon bound (TR 36.942 A.2)",
        default=0.6, low=0.0, low_open=True, high=1.0, metavar="A",
    ),
    "throughput_sinr_min_db": Option(
        "float", "throughput: SINR below which nothing gets through [dB] (TR 36.942 A.2)",
        default=-10.0, low=-50.0, high=50.0, metavar="DB",
    ),
    "throughput_se_max": Option(
        "float", "throughput: highest spectral efficiency per layer [bit/s/Hz] (TR 36.942 A.2)",
        default=4.4, low=0.0, low_open=True, high=30.0, metavar="SE",
    ),
    "throughput_tdd_layers": Option(
        "int", "throughput: MIMO layers on TDD carriers (n41, n77, n78)",
        default=4, low=1, high=8, metavar="N",
    ),
    "throughput_fdd_layers": Option(
        "int", "throughput: MIMO layers on FDD carriers (n28)",
        default=2, low=1, high=8, metavar="N",
    ),
    "throughput_tdd_dl_share": Option(
        "float", "throughput: share of time a TDD carrier sends downlink (DDDSU, S 10:2:2)",
        default=(3 + 10 / 14) / 5, low=0.0, low_open=True, high=1.0, metavar="F",
    ),
    "throughput_overhead": Option(
        "float", "throughput: physical-layer overhead (TS 38.306: 0.14 for FR1 downlink)",
        default=0.14, low=0.0, high=0.99, metavar="F",
    ),
    "throughput_cell_load": Option(
        "float", "throughput: share of the carrier's resources used by other users",
        default=0.5, low=0.0, high=0.99, metavar="F",
    ),
}  # fmt: skip
AUDIT.update(THROUGHPUT)  # the audit takes them (before out/overwrite/fail_under is fine: keyed)

#: Default output folder of ``phusong progress``.
DEFAULT_PROGRESS_OUT = "phusong-progress"

#: Options of ``phusong progress`` and :func:`phusong.progress.run.run_progress`
#: besides the audit's (which mean the same; ``as_of`` ends the series).
PROGRESS: dict[str, Option] = {
    "freq": Option(
        "str",
        "one audit per quarter, year or month, from the first on-air date to --as-of",
        default="quarter",
        choices=("quarter", "year", "month"),
        metavar="STEP",
    ),
    "required_sites": Option(
        "bool",
        "also run the planner on the network of the last date: new sites needed for the "
        "coverage goal, and per year until its deadline",
        default=False,
    ),
    "out": Option("path", "output folder", default=Path(DEFAULT_PROGRESS_OUT), metavar="DIR"),
    "overwrite": Option("bool", "replace the files of a non-empty output folder", default=False),
    "fail_under": Option(
        "bool",
        "exit with status 3 when a chosen target is not met (see --goals)",
        default=False,
    ),
}
# --- end progress --------------------------------------------------------------

#: Backwards-compatible names of the tables.
AUDIT_KEYS = AUDIT
PLAN_KEYS = PLAN
Key = Option


def default(name: str, table: Mapping[str, Option] = AUDIT) -> Any:
    """Built-in default of an option (e.g. ``default("threshold_dbm")`` → −110.0)."""
    return table[name].default


def check(name: str, value: Any, table: Mapping[str, Option] = AUDIT) -> Any:
    """Check one API argument against its option; the message names the argument."""
    return table[name].check(value, name)


def option_name(key: str) -> str:
    """Command-line spelling of a key (``threshold_dbm`` → ``--threshold-dbm``)."""
    return "--" + key.replace("_", "-")


# ---------------------------------------------------------------------------
# Audit options resolved from defaults < file < command line
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class AuditOptions:
    """The resolved options of one audit run (defaults < file < command line).

    Attributes mirror :data:`AUDIT` (defaults from there); see
    :func:`phusong.audit.run_audit` for their meaning. Paths are absolute or
    relative to the working folder.
    """

    sites: Path | None = AUDIT["sites"].default
    wards: Path | None = AUDIT["wards"].default
    model: str = AUDIT["model"].default
    threshold_dbm: float = AUDIT["threshold_dbm"].default
    resolution_m: float = AUDIT["resolution_m"].default
    goal: float = AUDIT["goal"].default
    goal_metric: str = AUDIT["goal_metric"].default
    operators: tuple[str, ...] | None = AUDIT["operators"].default
    radio: tuple[str, ...] | None = AUDIT["radio"].default
    population_raster: Path | None = AUDIT["population_raster"].default
    radius_m: float | None = AUDIT["radius_m"].default
    indoor_loss_db: float = AUDIT["indoor_loss_db"].default
    reliability: float = AUDIT["reliability"].default
    min_gap_area_m2: float = AUDIT["min_gap_area_m2"].default
    route: str = AUDIT["route"].default
    tile_px: int = AUDIT["tile_px"].default
    scheduler: str | None = AUDIT["scheduler"].default
    # --- physics (issue #12) -------------------------------------------------------------
    population: str = AUDIT["population"].default
    goal_layer: str = AUDIT["goal_layer"].default
    o2i_model: str = AUDIT["o2i_model"].default
    scenarios: Path | None = AUDIT["scenarios"].default
    los_probability: bool = AUDIT["los_probability"].default
    ue_gain_dbi: float = AUDIT["ue_gain_dbi"].default
    body_loss_db: float = AUDIT["body_loss_db"].default
    sinr_min_db: float | None = AUDIT["sinr_min_db"].default
    sector_edge_db: float = AUDIT["sector_edge_db"].default
    terrain: str = AUDIT["terrain"].default
    dem: Path | None = AUDIT["dem"].default
    # --- end physics ----------------------------------------------------------------------
    calibration: Path | None = AUDIT["calibration"].default  # calibration (issue #14)
    crs: str | None = AUDIT["crs"].default  # reliability (issue #13)
    # --- progress (issue #15) ---------------------------------------------------------
    as_of: str | None = None
    targets: Path | None = None
    goals: tuple[str, ...] | None = None
    speed_target_mbps: float = AUDIT["speed_target_mbps"].default
    place_min_share_pct: float = AUDIT["place_min_share_pct"].default
    throughput_alpha: float | None = None
    throughput_sinr_min_db: float | None = None
    throughput_se_max: float | None = None
    throughput_tdd_layers: int | None = None
    throughput_fdd_layers: int | None = None
    throughput_tdd_dl_share: float | None = None
    throughput_overhead: float | None = None
    throughput_cell_load: float | None = None
    # --- end progress -----------------------------------------------------------------
    out: Path = field(default_factory=lambda: Path(DEFAULT_OUT))
    overwrite: bool = AUDIT["overwrite"].default
    fail_under: bool = AUDIT["fail_under"].default
    config: Path | None = None

    def goal_object(self) -> Any:
        """Return the :class:`phusong.goals.Goal` of these options.

        The default (99 % of the population by 2030) cites plan 58/KH-UBND;
        any other target is labelled as a custom one, not attributed to the plan.
        """
        from phusong.goals import Goal

        default = Goal()
        if (self.goal, self.goal_metric) == (default.target_pct, default.metric):
            return default
        return Goal(
            target_pct=self.goal,
            metric=self.goal_metric,  # type: ignore[arg-type]
            source="custom target; Hà Nội plan 58/KH-UBND sets 99% of the population",
        )

    def run_audit_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for :func:`phusong.audit.run_audit`.

        Raises
        ------
        ConfigError
            No site file was given.
        """
        if self.sites is None:
            raise ConfigError(
                'sites: no site file given; pass --sites FILE or set sites = "…" in the config file.'
            )
        cli_only = {"out", "overwrite", "fail_under", "config", "goal", "goal_metric", "scheduler"}
        kwargs = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in cli_only}
        kwargs["goal"] = self.goal_object()
        kwargs["scheduler"] = _scheduler(self.scheduler)
        # progress (issue #15): the throughput_* options go together as run_audit(throughput=…)
        kwargs["throughput"] = {
            k.removeprefix("throughput_"): kwargs.pop(k) for k in THROUGHPUT if k in kwargs
        }
        return kwargs


def _scheduler(value: str | None) -> Any:
    if value is None:
        return None
    from phusong.raster.distributed import parse_scheduler

    return parse_scheduler(value)


def normalise_value(key: str, value: Any, opt: Option, *, label: str, base: Path | None) -> Any:
    """Check one value and apply the key's normalisation (``radio``: upper case, ``all``).

    Raises
    ------
    ConfigError
        The value has the wrong type or is out of range; names ``label``.
    """
    if key == "model" and isinstance(value, str):
        from phusong.models import get_model

        try:
            get_model(value.strip())
        except ConfigError:
            raise opt.refusal(value, label) from None
        return value.strip()
    checked = opt.check(value, label, base=base)
    if key == "radio" and checked is not None:
        if any(v.lower() == "all" for v in checked):
            return None
        return tuple(v.upper() for v in checked)
    return checked


def validate_mapping(
    values: Mapping[str, Any],
    keys: Mapping[str, Option] = AUDIT,
    *,
    label: Callable[[str], str] = str,
    base: Path | None = None,
) -> dict[str, Any]:
    """Validate every entry of ``values`` against ``keys``.

    Raises
    ------
    ConfigError
        An unknown key (the message lists the valid keys) or a bad value.
    """
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key not in keys:
            raise ConfigError(f"{label(key)}: unknown key. Valid keys: {', '.join(keys)}.")
        out[key] = normalise_value(key, value, keys[key], label=label(key), base=base)
    return out


def read_config(path: str | os.PathLike[str], keys: Mapping[str, Option] = AUDIT) -> dict[str, Any]:
    """Read and validate a TOML config file.

    Relative paths in it are resolved against the file's folder.

    Parameters
    ----------
    path : path
        The TOML file.
    keys : mapping
        Accepted keys (default: the audit keys).

    Returns
    -------
    dict
        Validated values, only the keys present in the file.

    Raises
    ------
    ConfigError
        The file is missing or not valid TOML, has an unknown key, or a bad
        value; the message names the file and the key.
    """
    from phusong.io.files import read_toml

    path = Path(path)
    raw = read_toml(path)
    return validate_mapping(
        raw,
        keys,
        label=lambda k: f"{k} (in {path.name})",
        base=path.resolve().parent,
    )


def resolve_audit_options(
    cli_values: Mapping[str, Any], config_path: str | os.PathLike[str] | None = None
) -> AuditOptions:
    """Merge built-in defaults, a config file and command-line values.

    Parameters
    ----------
    cli_values : mapping
        Options given on the command line (only those given; ``None`` values
        are ignored), keyed like :data:`AUDIT`.
    config_path : path, optional
        A TOML config file.

    Returns
    -------
    AuditOptions

    Raises
    ------
    ConfigError
        A bad key or value, naming it.
    """
    merged: dict[str, Any] = {}
    if config_path is not None:
        merged.update(read_config(config_path))
    given = {k: v for k, v in cli_values.items() if v is not None}
    merged.update(validate_mapping(given, label=option_name))
    names = {f.name for f in fields(AuditOptions)}
    unknown = set(merged) - names
    if unknown:  # pragma: no cover - AUDIT and AuditOptions disagree
        raise ConfigError(f"internal: keys without an option: {sorted(unknown)}")
    if config_path is not None:
        merged["config"] = Path(config_path)
    return AuditOptions(**merged)


__all__ = [
    "AUDIT",
    "AUDIT_KEYS",
    "CALIBRATE",
    "DEFAULT_CALIBRATION_OUT",
    "DEFAULT_OUT",
    "DEFAULT_PLAN_OUT",
    "DEFAULT_PROGRESS_OUT",
    "PLAN",
    "PLANNER",
    "PLAN_KEYS",
    "PROGRESS",
    "THROUGHPUT",
    "AuditOptions",
    "Key",
    "Option",
    "check",
    "cli_label",
    "default",
    "label_for",
    "option_name",
    "read_config",
    "resolve_audit_options",
    "validate_mapping",
]
