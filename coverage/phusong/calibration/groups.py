"""Fit every operator × band × scenario group, with cross-validated figures.

:func:`fit_groups` takes the point table of
:func:`phusong.calibration.associate.point_table`, fits each group with
enough usable points (:func:`phusong.calibration.fit.huber_fit`), measures
it by k-fold cross-validation (:func:`phusong.calibration.fit.cross_validate`)
and says why every other point or group was left out.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from phusong.calibration.associate import DROP_REASONS
from phusong.calibration.fit import (
    CrossValidation,
    ErrorStats,
    LineFit,
    cross_validate,
    huber_fit,
    least_squares_fit,
    spatial_folds,
)
from phusong.calibration.model import CalibrationGroup
from phusong.calibration.text import caveat
from phusong.raster.cellmodel import MIN_PL_SLOPE_DB_PER_DECADE

#: Fewer usable points than this in a group: the group is not fitted.
MIN_POINTS = 30
#: Fewer points than this in a fitted group: it carries a "few points" note.
FEW_POINTS = 200
#: Drop reason of the points of a group that was not fitted.
NOT_FITTED = DROP_REASONS[4]
#: Drop reason of the points of a group with too few points.
TOO_FEW = DROP_REASONS[3]


@dataclass
class GroupFits:
    """What :func:`fit_groups` produced.

    Attributes
    ----------
    groups : list of CalibrationGroup
        Fitted groups, sorted by operator, band, scenario.
    skipped : list of dict
        Groups not fitted, with ``n_points`` and ``reason``.
    points : DataFrame
        The point table with ``fold``, ``fitted_db`` (the group's adjustment
        at the point), ``error_before_db``, ``error_after_db`` (in-sample) and
        ``error_cv_db`` (held-out) added; ``drop`` filled for the points of
        skipped groups.
    quality : dict
        Held-out figures over all fitted points: ``before``, ``after``
        (:class:`~phusong.calibration.fit.ErrorStats` as dicts), ``folds``,
        ``blocked`` (folds by 1 km blocks), ``robust``.
    notes : list of dict
        Caveats raised while fitting (slope limited …).
    """

    groups: list[CalibrationGroup]
    skipped: list[dict[str, Any]]
    points: pd.DataFrame
    quality: dict[str, Any]
    notes: list[dict[str, str]]


def _fit_line(
    x: np.ndarray, y: np.ndarray, fit_slope: bool, robust: bool, notes: list[dict[str, str]]
) -> LineFit:
    """Fit one group's line; a slope steeper than the engine allows is limited (noted)."""
    fit = huber_fit if robust else least_squares_fit
    line = fit(x, y, fit_slope=fit_slope)
    if fit_slope and line.slope_db_per_decade < MIN_PL_SLOPE_DB_PER_DECADE:
        notes.append(
            caveat(
                "slope_clipped",
                slope=float(line.slope_db_per_decade),
                limit=float(MIN_PL_SLOPE_DB_PER_DECADE),
            )
        )
        level = fit(x, y - MIN_PL_SLOPE_DB_PER_DECADE * x, fit_slope=False)
        line = LineFit(
            level.offset_db, MIN_PL_SLOPE_DB_PER_DECADE, level.scale_db, level.n, level.iterations
        )
    return line


def _cross_validate(
    x: np.ndarray, y: np.ndarray, fold: np.ndarray, line: LineFit, fit_slope: bool, robust: bool
) -> CrossValidation:
    """Cross-validate a group's fit the way it was fitted (a limited slope stays fixed)."""
    if fit_slope and line.slope_db_per_decade == MIN_PL_SLOPE_DB_PER_DECADE:
        fixed = MIN_PL_SLOPE_DB_PER_DECADE * x
        cv = cross_validate(x, y - fixed, fold, fit_slope=False, robust=robust)
        return replace(cv, before=ErrorStats.of(-y))
    return cross_validate(x, y, fold, fit_slope=fit_slope, robust=robust, start=line)


def fit_groups(
    points: pd.DataFrame,
    *,
    fit_slope: bool = False,
    folds: int = 5,
    min_points: int = MIN_POINTS,
    seed: int = 0,
    robust: bool = True,
) -> GroupFits:
    """Fit the calibration of every group and cross-validate it.

    Parameters
    ----------
    points : DataFrame
        From :func:`phusong.calibration.associate.point_table`.
    fit_slope : bool
        Fit a distance slope as well as the offset.
    folds : int
        Folds of the cross-validation (≥ 2).
    min_points : int
        Smallest number of usable points for a group to be fitted.
    seed : int
        Seed of the fold assignment.
    robust : bool
        Huber fit (default) or plain least squares.
    """
    pts = points.copy()
    usable = pts["drop"].isna().to_numpy(dtype=bool)
    fold, blocked = spatial_folds(pts["x_m"].to_numpy(), pts["y_m"].to_numpy(), folds, seed)
    pts["fold"] = fold
    for col in ("fitted_db", "error_after_db", "error_cv_db"):
        pts[col] = np.nan
    pts["error_before_db"] = -pts["excess_db"]
    groups: list[CalibrationGroup] = []
    skipped: list[dict[str, Any]] = []
    notes: list[dict[str, str]] = []
    keys = ["operator", "band", "scenario"]
    for key, idx in sorted(pts[usable].groupby(keys, dropna=False).indices.items()):
        rows = np.flatnonzero(usable)[idx]
        op, band, scenario = (str(k) for k in key)
        if rows.size < min_points:
            skipped.append(_skip(op, band, scenario, rows.size, min_points))
            pts.loc[rows, "drop"] = TOO_FEW
            continue
        x = pts["log_d3d"].to_numpy()[rows]
        y = pts["excess_db"].to_numpy()[rows]
        line = _fit_line(x, y, fit_slope, robust, notes)
        cv = _cross_validate(x, y, fold[rows], line, fit_slope, robust)
        fitted = line.predict(x)
        pts.loc[rows, "fitted_db"] = fitted
        pts.loc[rows, "error_after_db"] = fitted - y
        pts.loc[rows, "error_cv_db"] = cv.error_after
        groups.append(_group(op, band, scenario, line, fitted - y, cv.before, cv.after))
    fitted_rows = pts["error_cv_db"].notna().to_numpy(dtype=bool)
    quality = {
        "before": ErrorStats.of(pts["error_before_db"].to_numpy()[fitted_rows]).as_dict(),
        "after": ErrorStats.of(pts["error_cv_db"].to_numpy()[fitted_rows]).as_dict(),
        "folds": int(folds),
        "blocked": bool(blocked),
        "robust": bool(robust),
    }
    return GroupFits(groups, skipped, pts, quality, notes)


def _skip(op: str, band: str, scenario: str, n: int, min_points: int) -> dict[str, Any]:
    """Record a group with too few points."""
    reason = caveat("too_few", n=int(n), min=int(min_points))
    return {
        "operator": op,
        "band": band,
        "scenario": scenario,
        "n_points": int(n),
        "reason": reason["en"],
        "reason_vi": reason["vi"],
    }


def _group(
    op: str,
    band: str,
    scenario: str,
    line: LineFit,
    error_after: np.ndarray,
    before: ErrorStats,
    after: ErrorStats,
) -> CalibrationGroup:
    """Build a fitted group with its figures and notes."""
    n = line.n
    notes = (caveat("few_points", n=int(n), few=int(FEW_POINTS)),) if n < FEW_POINTS else ()
    return CalibrationGroup(
        operator=op,
        band=band,
        scenario=scenario,
        pl_offset_db=float(line.offset_db),
        pl_slope_db_per_decade=float(line.slope_db_per_decade),
        n_points=int(n),
        sigma_db=float(np.std(error_after, ddof=2 if line.slope_db_per_decade else 1)),
        before=before.as_dict(),
        after=after.as_dict(),
        notes=notes,
    )


__all__ = ["FEW_POINTS", "MIN_POINTS", "NOT_FITTED", "TOO_FEW", "GroupFits", "fit_groups"]
