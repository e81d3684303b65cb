"""Audit options from a TOML file and the command line, validated in one place.

A config file holds the same keys as the ``phusong audit`` options (with
underscores: ``threshold_dbm`` for ``--threshold-dbm``)::

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

Precedence: built-in defaults, then the file, then the command line. Every
value is checked (type, range, allowed values) and a bad one raises
:class:`phusong.errors.ConfigError` naming the key (or the option, for values
given on the command line) and what is allowed.
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from phusong.errors import ConfigError

#: Default output folder of ``phusong audit``.
DEFAULT_OUT = "phusong-audit"


@dataclass(frozen=True)
class Key:
    """One option: its kind and the values it accepts.

    Parameters
    ----------
    kind : {"str", "path", "float", "int", "bool", "strlist"}
        Value type. ``path`` is a string resolved against the config file's
        folder; ``strlist`` accepts a string or a list of strings.
    help : str
        What the option means (used in ``--help`` and in messages).
    choices : tuple of str, optional
        Allowed values (``str`` kind).
    low, high : float, optional
        Inclusive bounds (numeric kinds).
    low_open : bool
        The lower bound is exclusive (e.g. a resolution must be > 0).
    """

    kind: str
    help: str
    choices: tuple[str, ...] | None = None
    low: float | None = None
    high: float | None = None
    low_open: bool = False

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


#: Keys of an audit config (same names as :func:`phusong.audit.run_audit`'s
#: options, plus ``sites``, ``out``, ``overwrite``, ``fail_under``).
AUDIT_KEYS: dict[str, Key] = {
    "sites": Key(
        "path", "site/cell file: OpenCelliD CSV, operator sheet (CSV/XLSX), GeoJSON, GPKG…"
    ),
    "wards": Key("path", "ward boundaries (default: the shipped 126 Hà Nội wards)"),
    "model": Key(
        "str",
        "coverage model: disc/sector footprints, or a path-loss model on a raster",
        choices=("disc", "sector", "uma", "umi", "rma", "hata", "fspl"),
    ),
    "threshold_dbm": Key("float", "SS-RSRP coverage threshold [dBm]", low=-160.0, high=-30.0),
    "resolution_m": Key("float", "raster resolution [m]", low=1.0, high=5000.0),
    "goal": Key("float", "coverage target [%]", low=0.0, high=100.0),
    "goal_metric": Key("str", "what the goal counts", choices=("population", "area")),
    "operators": Key("strlist", "keep only these operators (e.g. Viettel VinaPhone)"),
    "radio": Key("strlist", "radio technologies to keep (NR, LTE, …; 'all' keeps every one)"),
    "population_raster": Key("path", "people-per-pixel GeoTIFF (e.g. WorldPop)"),
    "radius_m": Key(
        "float",
        "footprint radius override for disc/sector [m]",
        low=0.0,
        low_open=True,
        high=100_000.0,
    ),
    "indoor_loss_db": Key(
        "float", "extra building-entry loss [dB] (0 = outdoor)", low=0.0, high=60.0
    ),
    "reliability": Key(
        "float", "cell-edge reliability (0.5 = no fading margin)", low=0.5, high=0.999
    ),
    "min_gap_area_m2": Key("float", "smallest gap polygon listed [m²]", low=0.0, high=1e9),
    "route": Key(
        "str",
        "computation route (tiled: per-ward sums tile by tile, no full raster; for country scale)",
        choices=("auto", "vector", "raster", "tiled"),
    ),
    "scheduler": Key(
        "str",
        "Dask scheduler for raster routes: processes, a worker count, or tcp://host:8786",
    ),
    "out": Key("path", "output folder"),
    "overwrite": Key("bool", "replace the files of an existing output folder"),
    "fail_under": Key("bool", "exit with status 3 when the goal is not met"),
}


#: Default output folder of ``phusong plan``.
DEFAULT_PLAN_OUT = "phusong-plan"

#: Options of ``phusong plan`` (:func:`phusong.audit.run_plan`); the audit's
#: model options mean the same as for ``phusong audit``.
PLAN_KEYS: dict[str, Key] = {
    "sites": AUDIT_KEYS["sites"],
    "wards": AUDIT_KEYS["wards"],
    "target": Key(
        "float", "population coverage to reach [%] (population-weighted)", low=0.0, high=100.0
    ),
    "budget": Key("int", "instead of a target: the best coverage with at most N new sites", low=0),
    "candidates": Key(
        "path",
        "allowed new-site positions: a site sheet, OpenCelliD CSV, or a file of points "
        "or polygons (default: a grid in and around the gaps)",
    ),
    "min_spacing_m": Key(
        "float",
        "minimum distance between new sites, and to existing sites of their operator [m]",
        low=0.0,
        high=100_000.0,
    ),
    "excluded": Key(
        "path",
        "polygons where no new site may go (GeoJSON, GeoPackage, zipped Shapefile, GeoParquet)",
    ),
    "method": Key("str", "site-selection solver", choices=("greedy", "milp", "both")),
    "operator": Key("str", "operator of the new sites (default: the one with most cells)"),
    "model": AUDIT_KEYS["model"],
    "threshold_dbm": AUDIT_KEYS["threshold_dbm"],
    "resolution_m": AUDIT_KEYS["resolution_m"],
    "radius_m": AUDIT_KEYS["radius_m"],
    "max_rounds": Key("int", "most planning rounds (plan, re-audit, top up)", low=1, high=50),
    "time_limit_s": Key(
        "float", "MILP time limit per round [s]", low=0.0, low_open=True, high=86_400.0
    ),
    "out": AUDIT_KEYS["out"],
    "overwrite": AUDIT_KEYS["overwrite"],
    "fail_under": Key("bool", "exit with status 3 when the re-audit does not meet the target"),
}


@dataclass(frozen=True)
class AuditOptions:
    """The resolved options of one audit run (defaults < file < command line).

    Attributes mirror :data:`AUDIT_KEYS`; see :func:`phusong.audit.run_audit`
    for their meaning. Paths are absolute or relative to the working folder.
    """

    sites: Path | None = None
    wards: Path | None = None
    model: str = "disc"
    threshold_dbm: float = -110.0
    resolution_m: float = 20.0
    goal: float = 99.0
    goal_metric: str = "population"
    operators: tuple[str, ...] | None = None
    radio: tuple[str, ...] | None = ("NR",)
    population_raster: Path | None = None
    radius_m: float | None = None
    indoor_loss_db: float = 0.0
    reliability: float = 0.5
    min_gap_area_m2: float = 10_000.0
    route: str = "auto"
    scheduler: str | None = None
    out: Path = field(default_factory=lambda: Path(DEFAULT_OUT))
    overwrite: bool = False
    fail_under: bool = False
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
        return {
            "sites": self.sites,
            "wards": self.wards,
            "model": self.model,
            "threshold_dbm": self.threshold_dbm,
            "resolution_m": self.resolution_m,
            "goal": self.goal_object(),
            "operators": self.operators,
            "radio": self.radio,
            "population_raster": self.population_raster,
            "radius_m": self.radius_m,
            "indoor_loss_db": self.indoor_loss_db,
            "reliability": self.reliability,
            "min_gap_area_m2": self.min_gap_area_m2,
            "route": self.route,
            "scheduler": _scheduler(self.scheduler),
        }


def _scheduler(value: str | None) -> Any:
    if value is None:
        return None
    from phusong.raster.distributed import parse_scheduler

    return parse_scheduler(value)


def _option_name(key: str) -> str:
    return "--" + key.replace("_", "-")


def validate_value(key: str, value: Any, spec: Key, *, label: str, base: Path | None) -> Any:
    """Check and normalise one value.

    Parameters
    ----------
    key : str
        Key name (only used to pick normalisations).
    value : any
        The raw value (from TOML or argparse).
    spec : Key
        What the key accepts.
    label : str
        How the key is named in messages (``threshold_dbm in audit.toml`` or
        ``--threshold-dbm``).
    base : Path or None
        Folder that relative paths are resolved against (``None``: leave them).

    Raises
    ------
    ConfigError
        The value has the wrong type or is out of range; names ``label``.
    """
    kind = spec.kind

    def bad(extra: str = "") -> ConfigError:
        return ConfigError(f"{label}: got {value!r}; expected {spec.describe_allowed()}.{extra}")

    if kind == "bool":
        if not isinstance(value, bool):
            raise bad()
        return value
    if kind in ("float", "int"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad()
        number = float(value)
        if kind == "int" and not number.is_integer():
            raise bad()
        if not math.isfinite(number):
            raise bad()
        if spec.low is not None and (number < spec.low or (spec.low_open and number == spec.low)):
            raise bad()
        if spec.high is not None and number > spec.high:
            raise bad()
        return int(number) if kind == "int" else number
    if kind == "strlist":
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)) or not all(isinstance(v, str) for v in items):
            raise bad()
        cleaned = tuple(v.strip() for v in items if v.strip())
        if not cleaned:
            raise bad(" Give at least one name.")
        if key == "radio":
            if any(v.lower() == "all" for v in cleaned):
                return None
            return tuple(v.upper() for v in cleaned)
        return cleaned
    if not isinstance(value, str) or not value.strip():
        raise bad()
    text = value.strip()
    if kind == "path":
        path = Path(os.path.expanduser(text))
        if base is not None and not path.is_absolute():
            path = base / path
        return path
    if spec.choices and text not in spec.choices:
        if key == "model":
            # Full path-loss model names (e.g. "uma_los") are accepted too.
            from phusong.audit import resolve_model

            try:
                resolve_model(text)
            except ConfigError:
                raise bad() from None
            except ImportError:  # pragma: no cover - propagation not installed
                raise bad() from None
            return text
        raise bad()
    return text


def validate_mapping(
    values: Mapping[str, Any],
    keys: Mapping[str, Key] = AUDIT_KEYS,
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
        out[key] = validate_value(key, value, keys[key], label=label(key), base=base)
    return out


def read_config(
    path: str | os.PathLike[str], keys: Mapping[str, Key] = AUDIT_KEYS
) -> dict[str, Any]:
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
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config: file not found: {path}.")
    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config: {path.name} is not valid TOML ({exc}).") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config: {path.name} is not UTF-8 text ({exc}).") from exc
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
        are ignored), keyed like :data:`AUDIT_KEYS`.
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
    merged.update(validate_mapping(given, label=_option_name))
    names = {f.name for f in fields(AuditOptions)}
    unknown = set(merged) - names
    if unknown:  # pragma: no cover - AUDIT_KEYS and AuditOptions disagree
        raise ConfigError(f"internal: keys without an option: {sorted(unknown)}")
    if config_path is not None:
        merged["config"] = Path(config_path)
    return AuditOptions(**merged)


__all__ = [
    "AUDIT_KEYS",
    "DEFAULT_OUT",
    "DEFAULT_PLAN_OUT",
    "PLAN_KEYS",
    "AuditOptions",
    "Key",
    "read_config",
    "resolve_audit_options",
    "validate_mapping",
]
