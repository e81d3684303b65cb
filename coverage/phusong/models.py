"""The coverage models an audit can use: one registry, one resolver.

Each model is a :class:`ModelSpec`: its name, how it is computed (the exact
vector route for footprint models, the raster route for path-loss models),
the path-loss function behind it, a plain label, and which options it
honours. The CLI's ``--model`` choices, the app's model picker and the audit's
checks all come from :data:`MODELS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

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
        (``uma_nlos``), for path-loss models.
    """

    name: str
    kind: Literal["footprint", "path_loss"]
    route: Route
    label: str
    path_loss: str | None = None

    @property
    def is_footprint(self) -> bool:
        """Whether this is a footprint model (disc or sector; no propagation)."""
        return self.kind == "footprint"

    @property
    def full_name(self) -> str:
        """Name recorded in results: the path-loss function's for path-loss models."""
        return self.path_loss or self.name


_FOOTPRINTS = (
    ModelSpec(
        "disc",
        "footprint",
        "vector",
        "disc of each cell's range (OpenCelliD 'range' or a per-band default)",
    ),
    ModelSpec("sector", "footprint", "vector", "sector wedge: azimuth, beamwidth and range"),
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

    models = {m.name: m for m in _FOOTPRINTS}
    for short, full, label in _SHORT:
        models[short] = ModelSpec(short, "path_loss", "raster", label, full)
    short_of = {full: short for short, full, _ in _SHORT}
    for full in PATH_LOSS_MODELS:  # every full name too (uma_los, rma_mixed, …)
        if full not in models:
            base = models[short_of[full]] if full in short_of else None
            label = base.label if base else f"{full} path loss, link budget to SS-RSRP"
            models[full] = ModelSpec(full, "path_loss", "raster", label, full)
    return models


#: Every model by name: short names first (the CLI's choices), then full names.
MODELS: dict[str, ModelSpec] = _registry()
#: Short names offered by the CLI and the app.
MODEL_NAMES: tuple[str, ...] = tuple(m.name for m in _FOOTPRINTS) + tuple(s for s, _, _ in _SHORT)
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


__all__ = [
    "FOOTPRINT_MODELS",
    "MODELS",
    "MODEL_CHOICES",
    "MODEL_NAMES",
    "ModelSpec",
    "get_model",
    "resolve_model",
]
