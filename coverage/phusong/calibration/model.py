"""A fitted calibration: its groups, its honesty notes, and applying it to cells.

A :class:`Calibration` holds one :class:`CalibrationGroup` per operator ×
band × scenario that had enough measurements, each with the path-loss
adjustment ``pl_offset_db + pl_slope_db_per_decade · log10(d3D / 1 km)``
and its fit quality. :meth:`Calibration.apply` writes the adjustment into
the per-cell columns of a site table that the raster engine reads
(:data:`phusong.raster.cells.CELL_OPTION_COLUMNS`); cells of other groups
are left as the model has them, and the record says how many were
calibrated.

The JSON form (:meth:`Calibration.as_dict`, :meth:`Calibration.from_dict`)
is the ``calibration.json`` file that ``phusong calibrate`` writes and
``phusong audit --calibration`` reads (:mod:`phusong.io.calibration`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from phusong import __version__
from phusong.calibration.text import calibration_sentence, caveat_text
from phusong.errors import ConfigError

#: ``format`` of a calibration file, and its version.
FILE_FORMAT = "phusong-calibration"
FILE_VERSION = 1


@dataclass(frozen=True)
class CalibrationGroup:
    """The fitted adjustment of one operator × band × scenario.

    Attributes
    ----------
    operator, band, scenario : str
        The cells it applies to (scenario = the cell's path-loss model, e.g.
        ``uma_nlos``).
    pl_offset_db : float
        Added to the path loss [dB] (positive: the model was too optimistic).
    pl_slope_db_per_decade : float
        Times log10(d3D / 1 km), added to the path loss [dB/decade].
    n_points : int
        Measurements the fit used.
    sigma_db : float
        Standard deviation of the errors after calibration (the shadowing the
        model does not explain) [dB].
    before, after : dict
        Held-out error figures (``n``, ``mean_db``, ``rmse_db``, ``std_db``)
        of the model before and after calibration (k-fold cross-validation).
    notes : tuple of dict
        Honesty notes of this group (few points …), as the caveats of
        :class:`Calibration`.
    """

    operator: str
    band: str
    scenario: str
    pl_offset_db: float
    pl_slope_db_per_decade: float
    n_points: int
    sigma_db: float
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    notes: tuple[dict[str, str], ...] = ()

    @property
    def key(self) -> tuple[str, str, str]:
        """``(operator, band, scenario)``."""
        return (self.operator, self.band, self.scenario)

    @property
    def label(self) -> str:
        """``Viettel n41 (uma_nlos)``."""
        return f"{self.operator} {self.band} ({self.scenario})"

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "operator": self.operator,
            "band": self.band,
            "scenario": self.scenario,
            "pl_offset_db": self.pl_offset_db,
            "pl_slope_db_per_decade": self.pl_slope_db_per_decade,
            "n_points": self.n_points,
            "sigma_db": self.sigma_db,
            "before": dict(self.before),
            "after": dict(self.after),
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class Calibration:
    """A calibration of a path-loss model against measurements.

    Attributes
    ----------
    model : str
        Full name of the model it was fitted for (``uma_nlos``, ``planning``…).
    groups : tuple of CalibrationGroup
        The fitted groups.
    fit_slope : bool
        Whether distance slopes were fitted (else every slope is 0).
    synthetic : bool
        Whether the measurements (or the sites) are SYNTHETIC.
    skipped : tuple of dict
        Groups not fitted (``operator``, ``band``, ``scenario``, ``n_points``,
        ``reason``).
    caveats : tuple of dict
        What limits the calibration as a whole (one operator, one area, …),
        each ``{"key", "en", "vi"}`` (:func:`phusong.calibration.text.caveat`).
    inputs : dict
        Name and SHA-256 of the site and measurement files.
    quality : dict
        Held-out error figures over all groups, ``before`` and ``after``.
    file : dict or None
        ``name`` and ``sha256`` of the file it was read from (set on reading).
    """

    model: str
    groups: tuple[CalibrationGroup, ...]
    fit_slope: bool = False
    synthetic: bool = False
    skipped: tuple[dict[str, Any], ...] = ()
    caveats: tuple[dict[str, str], ...] = ()
    inputs: dict[str, Any] = field(default_factory=dict)
    quality: dict[str, Any] = field(default_factory=dict)
    file: dict[str, Any] | None = None

    @property
    def n_points(self) -> int:
        """Measurements used by the fitted groups."""
        return sum(g.n_points for g in self.groups)

    @property
    def operators(self) -> tuple[str, ...]:
        """Operators with a fitted group, sorted."""
        return tuple(sorted({g.operator for g in self.groups}))

    def as_dict(self) -> dict[str, Any]:
        """Return the content of ``calibration.json`` (JSON-able)."""
        return {
            "format": FILE_FORMAT,
            "version": FILE_VERSION,
            "tool_version": __version__,
            "synthetic": self.synthetic,
            "model": self.model,
            "fit_slope": self.fit_slope,
            "adjustment": "path loss + pl_offset_db + pl_slope_db_per_decade * log10(d3D / 1 km)",
            "groups": [g.as_dict() for g in self.groups],
            "skipped_groups": [dict(s) for s in self.skipped],
            "caveats": list(self.caveats),
            "quality": dict(self.quality),
            "inputs": dict(self.inputs),
            "sentence": replace(self, file=None).sentence(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "<calibration>") -> Calibration:
        """Read the content of a calibration file.

        Raises
        ------
        ConfigError
            Not a phusong calibration, an unknown version, or a group without
            a finite offset and slope; the message names the file and the key.
        """
        if not isinstance(data, Mapping) or data.get("format") != FILE_FORMAT:
            raise ConfigError(
                f"calibration: {source} is not a phusong calibration file (no "
                f"format = \"{FILE_FORMAT}\"); make one with 'phusong calibrate'."
            )
        if data.get("version") != FILE_VERSION:
            raise ConfigError(
                f"calibration: {source} has version {data.get('version')!r}; this phusong "
                f"reads version {FILE_VERSION}. Fit it again with 'phusong calibrate'."
            )
        if not isinstance(data.get("model"), str) or not isinstance(data.get("groups"), list):
            raise ConfigError(f"calibration: {source} lacks 'model' or 'groups'.")
        groups = tuple(_group_from_dict(g, source, i) for i, g in enumerate(data["groups"]))
        return cls(
            model=data["model"],
            groups=groups,
            fit_slope=bool(data.get("fit_slope", False)),
            synthetic=bool(data.get("synthetic", False)),
            skipped=tuple(dict(s) for s in data.get("skipped_groups", [])),
            caveats=tuple(_caveat(c) for c in data.get("caveats", [])),
            inputs=dict(data.get("inputs", {})),
            quality=dict(data.get("quality", {})),
        )

    def with_file(self, name: str, sha256: str) -> Calibration:
        """Return the same calibration, recording the file it was read from."""
        return replace(self, file={"name": name, "sha256": sha256})

    def sentence(self, lang: str = "en") -> str:
        """One plain sentence: what was fitted, on how many points, how much it helped."""
        return calibration_sentence(self, lang)

    def cell_adjustment(
        self, operator: np.ndarray, band: np.ndarray, scenario: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Offset [dB], slope [dB/decade] and a calibrated mask for cells.

        A cell takes the group of its operator, band and scenario; cells of no
        group get 0 and 0 (the model as it is).
        """
        n = len(operator)
        offset, slope = np.zeros(n), np.zeros(n)
        hit = np.zeros(n, dtype=bool)
        for g in self.groups:
            sel = (operator == g.operator) & (band == g.band) & (scenario == g.scenario)
            offset[sel], slope[sel] = g.pl_offset_db, g.pl_slope_db_per_decade
            hit |= sel
        return offset, slope, hit

    def apply(
        self, sites: pd.DataFrame, scenario: np.ndarray
    ) -> tuple[pd.DataFrame, dict[str, Any]]:
        """Add the adjustment to the per-cell calibration columns of a site table.

        Parameters
        ----------
        sites : DataFrame
            Canonical site table (one row per cell).
        scenario : ndarray of str
            Each cell's path-loss model (scenario), in the table's order.

        Returns
        -------
        sites : DataFrame
            A copy with ``pl_offset_db`` and ``pl_slope_db_per_decade`` (added
            to any values already there).
        counts : dict
            ``cells``, ``cells_calibrated`` and per group label the cells it
            applies to.
        """
        operator = sites["operator"].astype("string").fillna("").to_numpy(dtype=object)
        band = sites["band"].astype("string").fillna("").to_numpy(dtype=object)
        offset, slope, hit = self.cell_adjustment(operator, band, np.asarray(scenario, object))
        out = sites.copy()
        for col, add in (("pl_offset_db", offset), ("pl_slope_db_per_decade", slope)):
            old = (
                pd.to_numeric(out[col], errors="coerce").fillna(0.0).to_numpy(dtype="float64")
                if col in out.columns
                else 0.0
            )
            out[col] = old + add
        per_group = {
            g.label: int(((operator == g.operator) & (band == g.band)
                          & (np.asarray(scenario, object) == g.scenario)).sum())
            for g in self.groups
        }  # fmt: skip
        counts = {"cells": len(sites), "cells_calibrated": int(hit.sum()), "groups": per_group}
        return out, counts

    def record(self, counts: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Return what ``summary.json`` says about the calibration applied to an audit."""
        return {
            "file": dict(self.file) if self.file else None,
            "model": self.model,
            "synthetic": self.synthetic,
            "fit_slope": self.fit_slope,
            "n_points": self.n_points,
            "groups": [
                {
                    "operator": g.operator,
                    "band": g.band,
                    "scenario": g.scenario,
                    "pl_offset_db": g.pl_offset_db,
                    "pl_slope_db_per_decade": g.pl_slope_db_per_decade,
                    "n_points": g.n_points,
                    "rmse_before_db": g.before.get("rmse_db"),
                    "rmse_after_db": g.after.get("rmse_db"),
                    "cells": (counts or {}).get("groups", {}).get(g.label),
                }
                for g in self.groups
            ],
            "quality": dict(self.quality),
            "cells": (counts or {}).get("cells"),
            "cells_calibrated": (counts or {}).get("cells_calibrated"),
            "caveats": [caveat_text(c) for c in self.caveats],
            "caveats_vi": [caveat_text(c, "vi") for c in self.caveats],
            "sentence": self.sentence(),
            "sentence_vi": self.sentence("vi"),
        }


def _caveat(item: Any) -> dict[str, str]:
    """Read a caveat from a file: a ``{"key", "en", "vi"}`` table, or plain text."""
    if isinstance(item, Mapping):
        return {str(k): str(v) for k, v in item.items()}
    return {"key": "text", "en": str(item), "vi": str(item)}


def _finite(value: Any, what: str, source: str, i: int) -> float:
    """Return a finite float, or raise a ConfigError naming the group and key."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number):
        raise ConfigError(
            f"calibration: {source}, group {i + 1}: '{what}' must be a finite number, "
            f"not {value!r}."
        )
    return number


def _group_from_dict(g: Any, source: str, i: int) -> CalibrationGroup:
    """One group of a calibration file, checked."""
    if not isinstance(g, Mapping):
        raise ConfigError(f"calibration: {source}, group {i + 1} is not a table.")
    for key in ("operator", "band", "scenario"):
        if not isinstance(g.get(key), str):
            raise ConfigError(f"calibration: {source}, group {i + 1} lacks '{key}'.")
    return CalibrationGroup(
        operator=g["operator"],
        band=g["band"],
        scenario=g["scenario"],
        pl_offset_db=_finite(g.get("pl_offset_db"), "pl_offset_db", source, i),
        pl_slope_db_per_decade=_finite(
            g.get("pl_slope_db_per_decade", 0.0), "pl_slope_db_per_decade", source, i
        ),
        n_points=int(g.get("n_points", 0)),
        sigma_db=float(g.get("sigma_db", math.nan)),
        before=dict(g.get("before", {})),
        after=dict(g.get("after", {})),
        notes=tuple(_caveat(n) for n in g.get("notes", [])),
    )


__all__ = ["FILE_FORMAT", "FILE_VERSION", "Calibration", "CalibrationGroup"]
