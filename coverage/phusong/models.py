"""The coverage models an audit can use: one registry, one resolver.

Each model is a :class:`ModelSpec`: its name, how it is computed (the exact
vector route for footprint models, the raster route for path-loss models),
the path-loss function behind it, a plain label, and which options it
honours. The CLI's ``--model`` choices, the app's model picker and the audit's
checks all come from :data:`MODELS`.

The default model is ``planning`` (:data:`DEFAULT_MODEL`): 3GPP TR 38.901
with the scenario chosen per ward and per cell (UMa, UMi, RMa;
:mod:`phusong.scenario`), per-band numerology, the TR 38.901 O2I indoor
layer beside the outdoor one, and terrain where a DEM covers the area. The
footprint models ``disc`` and ``sector`` are quick footprint estimates: no
propagation, outdoor, median, an upper bound of coverage.

Options a model cannot honour are refused (:func:`refuse_unhonoured`), never
recorded as applied.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from phusong.errors import ConfigError

Route = Literal["vector", "raster"]


@dataclass(frozen=True)
class ModelSpec:
    """One coverage model.

    Parameters
    ----------
    name : str
        Name accepted by ``--model`` and ``run_audit(model=…)`` (``uma``).
    kind : {"footprint", "path_loss"}
        Footprint models draw a shape per cell (no propagation); path-loss
        models compute SS-RSRP per pixel from a link budget.
    route : {"vector", "raster"}
        Default computation route.
    label : str
        What the model is, in plain words.
    path_loss : str, optional
        Full name of the path-loss function in :mod:`phusong.propagation`
        (``uma_nlos``), for path-loss models; ``None`` for ``planning`` (one
        per cell, from its scenario).
    honours : frozenset of str
        The model-dependent options (:data:`MODEL_OPTIONS`) this model
        honours; the others are refused when set (:func:`refuse_unhonoured`).
    """

    name: str
    kind: Literal["footprint", "path_loss"]
    route: Route
    label: str
    path_loss: str | None = None
    honours: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_footprint(self) -> bool:
        """Whether this is a footprint model (disc or sector; no propagation)."""
        return self.kind == "footprint"

    @property
    def full_name(self) -> str:
        """Name recorded in results: the path-loss function's for path-loss models."""
        return self.path_loss or self.name

    @property
    def is_planning(self) -> bool:
        """Whether this is the scenario-aware ``planning`` model (a path-loss model per cell)."""
        return self.name == PLANNING_MODEL


# --- issue #12 (physics): the planning model and the options each model honours ----
#: Name of the default model.
PLANNING_MODEL = "planning"
#: The model an audit, a plan and the app use unless told otherwise.
DEFAULT_MODEL = PLANNING_MODEL
#: What a footprint model's figure is, said wherever one is shown.
FOOTPRINT_CAVEAT = "quick footprint estimate (no propagation, outdoor, median: an upper bound)"

#: Options whose meaning depends on the model: each model honours a subset
#: (:attr:`ModelSpec.honours`); a set value outside it is refused.
MODEL_OPTIONS: frozenset[str] = frozenset(
    {
        "threshold_dbm",
        "reliability",
        "indoor_loss_db",
        "radius_m",
        "sector_edge_db",
        "o2i_model",
        "scenarios",
        "los_probability",
        "ue_gain_dbi",
        "body_loss_db",
        "sinr_min_db",
        "goal_layer",
        "terrain",
        "dem",
    }
)
#: Options of every path-loss model.
_PATH_LOSS_OPTIONS = frozenset(
    {
        "threshold_dbm",
        "reliability",
        "o2i_model",
        "ue_gain_dbi",
        "body_loss_db",
        "sinr_min_db",
        "goal_layer",
        "terrain",
        "dem",
    }
)
#: Options of the single-scenario path-loss models (one formula for every cell).
_SINGLE_OPTIONS = _PATH_LOSS_OPTIONS | {"indoor_loss_db"}
#: Options of the planning model (no flat indoor loss: it has the O2I indoor layer).
_PLANNING_OPTIONS = _PATH_LOSS_OPTIONS | {"scenarios", "los_probability"}
# --- end issue #12 ---------------------------------------------------------------------

_FOOTPRINTS = (
    ModelSpec(
        "disc",
        "footprint",
        "vector",
        f"disc of each cell's range (OpenCelliD 'range' or a per-band default): {FOOTPRINT_CAVEAT}",
        honours=frozenset({"radius_m"}),
    ),
    ModelSpec(
        "sector",
        "footprint",
        "vector",
        "sector wedge: azimuth, range, and a width where the antenna pattern is "
        f"sector_edge_db below boresight: {FOOTPRINT_CAVEAT}",
        honours=frozenset({"radius_m", "sector_edge_db"}),
    ),
)
_PLANNING = ModelSpec(
    PLANNING_MODEL,
    "path_loss",
    "raster",
    "3GPP TR 38.901 with the scenario per ward and cell (UMa in urban wards, RMa in rural "
    "communes, UMi for small cells), per-band numerology, O2I indoor layer, terrain; "
    "link budget to SS-RSRP",
    None,
    _PLANNING_OPTIONS,
)
_SHORT = (
    ("uma", "uma_nlos", "3GPP TR 38.901 urban macro (NLOS), link budget to SS-RSRP"),
    ("umi", "umi_nlos", "3GPP TR 38.901 urban micro street canyon (NLOS), link budget to SS-RSRP"),
    ("rma", "rma_nlos", "3GPP TR 38.901 rural macro (NLOS), link budget to SS-RSRP"),
    (
        "hata",
        "cost231_hata",
        "COST-231 Hata (an extrapolation above 2 GHz), link budget to SS-RSRP",
    ),
    ("fspl", "fspl", "free-space path loss (optimistic bound), link budget to SS-RSRP"),
)


def _registry() -> dict[str, ModelSpec]:
    from phusong.propagation import PATH_LOSS_MODELS

    models = {PLANNING_MODEL: _PLANNING}
    models.update({m.name: m for m in _FOOTPRINTS})
    for short, full, label in _SHORT:
        models[short] = ModelSpec(short, "path_loss", "raster", label, full, _SINGLE_OPTIONS)
    short_of = {full: short for short, full, _ in _SHORT}
    for full in PATH_LOSS_MODELS:  # every full name too (uma_los, rma_mixed, …)
        if full not in models:
            base = models[short_of[full]] if full in short_of else None
            label = base.label if base else f"{full} path loss, link budget to SS-RSRP"
            models[full] = ModelSpec(full, "path_loss", "raster", label, full, _SINGLE_OPTIONS)
    return models


#: Every model by name: short names first (the CLI's choices), then full names.
MODELS: dict[str, ModelSpec] = _registry()
#: Short names offered by the CLI and the app (the default first).
MODEL_NAMES: tuple[str, ...] = (
    PLANNING_MODEL,
    *(m.name for m in _FOOTPRINTS),
    *(s for s, _, _ in _SHORT),
)
#: Names of the footprint models (exact vector route).
FOOTPRINT_MODELS: tuple[str, ...] = tuple(m.name for m in _FOOTPRINTS)
#: Short model name -> what it means (the CLI's and the app's list).
MODEL_CHOICES: dict[str, str] = {n: MODELS[n].label for n in MODEL_NAMES}


def get_model(name: str) -> ModelSpec:
    """Return the model called ``name`` (a short name such as ``uma`` or a full one such as ``uma_los``).

    Raises
    ------
    ConfigError
        Unknown model; the message lists the valid names.
    """
    spec = MODELS.get(str(name).strip())
    if spec is None:
        raise ConfigError(f"model: unknown model {name!r}; choose one of {', '.join(MODELS)}.")
    return spec


def resolve_model(name: str) -> str:
    """Full model name recorded in results (``uma`` → ``uma_nlos``; ``disc`` → ``disc``)."""
    return get_model(name).full_name


def refuse_unhonoured(
    spec: ModelSpec, given: Mapping[str, Any], defaults: Mapping[str, Any]
) -> None:
    """Refuse every model-dependent option set to a non-default value the model cannot honour.

    Parameters
    ----------
    spec : ModelSpec
        The model of the run.
    given : mapping
        Option name -> value as the caller passed it.
    defaults : mapping
        Option name -> built-in default (``None``: unset).

    Raises
    ------
    ConfigError
        Naming the option both as the API argument and as the command-line
        flag (``indoor_loss_db (--indoor-loss-db)``), the model, and the fix.
    """
    refused = [
        name
        for name, value in given.items()
        if name in MODEL_OPTIONS
        and name not in spec.honours
        and value is not None
        and not _same(value, defaults.get(name))
    ]
    if not refused:
        return
    what = (
        f"the {spec.name!r} model is a {FOOTPRINT_CAVEAT}"
        if spec.is_footprint
        else f"the {spec.name!r} model does not use it"
    )
    flags = ", ".join(f"{n} (--{n.replace('_', '-')})" for n in sorted(refused))
    raise ConfigError(
        f"{flags}: {what}, so the option would not be applied. Leave it unset, or choose a "
        f"model that honours it ({', '.join(_models_honouring(refused[0]))})."
    )


def _same(value: Any, default: Any) -> bool:
    if isinstance(value, float) or isinstance(default, float):
        try:
            return float(value) == float(default)
        except (TypeError, ValueError):
            return False
    return bool(value == default)


def _models_honouring(option: str) -> list[str]:
    return [n for n in MODEL_NAMES if option in MODELS[n].honours]


__all__ = [
    "DEFAULT_MODEL",
    "FOOTPRINT_CAVEAT",
    "FOOTPRINT_MODELS",
    "MODELS",
    "MODEL_CHOICES",
    "MODEL_NAMES",
    "MODEL_OPTIONS",
    "PLANNING_MODEL",
    "ModelSpec",
    "get_model",
    "refuse_unhonoured",
    "resolve_model",
]
