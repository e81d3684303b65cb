"""Units declared in column headers, converted to each field's canonical unit.

A header such as ``"Công suất phát (W)"`` or ``"Bán kính (km)"`` declares its
unit (:func:`phusong.io.validation.columns.recognise_columns`); the values are
converted here to the unit of the canonical column (dBm, m, MHz, degrees) and
every conversion is noted once for the column, with its formula.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from phusong.io.validation.columns import CANONICAL_UNITS, CONVERTIBLE


@dataclass(frozen=True)
class Conversion:
    """How to turn values in one unit into the canonical unit of a field.

    Attributes
    ----------
    apply : callable
        ``apply(values) -> values`` (NaN stays NaN).
    formula : str
        Shown in the note, e.g. ``"dBm = 10·log10(W) + 30"``.
    positive : bool
        Only positive values can be converted (logarithms of powers).
    """

    apply: Callable[[np.ndarray], np.ndarray]
    formula: str
    positive: bool = False


def _log_power(offset_db: float) -> Callable[[np.ndarray], np.ndarray]:
    def apply(values: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return 10.0 * np.log10(np.where(values > 0, values, np.nan)) + offset_db

    return apply


def _scale(factor: float) -> Callable[[np.ndarray], np.ndarray]:
    return lambda values: values * factor


def _shift(offset: float) -> Callable[[np.ndarray], np.ndarray]:
    return lambda values: values + offset


#: (from unit, to unit) -> conversion. Power references: 0 dBm = 1 mW, 0 dBW = 1 W;
#: 0 dBd = 2.15 dBi (a half-wave dipole's gain over isotropic).
CONVERSIONS: dict[tuple[str, str], Conversion] = {
    ("km", "m"): Conversion(_scale(1000.0), "m = km × 1000"),
    ("ft", "m"): Conversion(_scale(0.3048), "m = ft × 0.3048"),
    ("rad", "deg"): Conversion(_scale(180.0 / np.pi), "° = rad × 180/π"),
    ("W", "dBm"): Conversion(_log_power(30.0), "dBm = 10·log10(W) + 30", positive=True),
    ("kW", "dBm"): Conversion(_log_power(60.0), "dBm = 10·log10(kW) + 60", positive=True),
    ("mW", "dBm"): Conversion(_log_power(0.0), "dBm = 10·log10(mW)", positive=True),
    ("dBW", "dBm"): Conversion(_shift(30.0), "dBm = dBW + 30"),
    ("kW", "W"): Conversion(_scale(1000.0), "W = kW × 1000"),
    ("mW", "W"): Conversion(_scale(1e-3), "W = mW / 1000"),
    ("dBd", "dBi"): Conversion(_shift(2.15), "dBi = dBd + 2.15"),
    ("GHz", "MHz"): Conversion(_scale(1000.0), "MHz = GHz × 1000"),
    ("kHz", "MHz"): Conversion(_scale(1e-3), "MHz = kHz / 1000"),
    ("Hz", "MHz"): Conversion(_scale(1e-6), "MHz = Hz / 1,000,000"),
}


def conversion_for(fieldname: str, unit: str | None) -> Conversion | None:
    """Conversion of ``fieldname``'s values from ``unit``; ``None`` when none is needed.

    Raises
    ------
    KeyError
        ``unit`` is not one the field can be given in (:data:`CONVERTIBLE`).
    """
    canonical = CANONICAL_UNITS.get(fieldname)
    if unit is None or canonical is None or unit == canonical:
        return None
    if unit not in CONVERTIBLE.get(fieldname, ()):
        raise KeyError(unit)
    return CONVERSIONS[(unit, canonical)]


def watts_like(values: np.ndarray, high_dbm: float) -> bool:
    """Whether EIRP or power values said to be dBm look like watts.

    True when most given values exceed ``high_dbm`` (no real transmitter
    reaches it in dBm) while staying below 10 MW.
    """
    given = values[np.isfinite(values)]
    if given.size == 0:
        return False
    above = (given > high_dbm) & (given < 1e7)
    return bool(above.mean() > 0.5)


__all__ = ["CONVERSIONS", "Conversion", "conversion_for", "watts_like"]
