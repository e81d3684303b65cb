"""Robust fit of a path-loss offset (and slope), k-fold cross-validation, error figures.

For the points of one group (operator × band × scenario), the *excess path
loss* is ``y = predicted − measured`` [dB] and ``x = log10(d3D / 1 km)``. The
calibration is the straight line

    y = offset + slope · x + ε

fitted by a Huber M-estimator (:func:`huber_fit`): iteratively reweighted
least squares with Huber's weights ``min(1, c / |r|)``, ``c = 1.345 σ̂`` and
σ̂ the normalised median absolute deviation of the residuals, re-estimated
each iteration (the convention of statsmodels' ``RLM(HuberT)``; 95 %
efficiency when ε is normal, bounded influence of outliers). The tests check
it against :func:`scipy.optimize.least_squares` with ``loss="huber"`` at the
same threshold, and against the known answer on synthetic data.

Adding ``offset + slope · x`` to the model's path loss makes the model
predict ``measured`` on average: this is the adjustment the raster engine
applies per cell (``pl_offset_db``, ``pl_slope_db_per_decade``).

Cross-validation (:func:`cross_validate`) fits on k − 1 folds and measures
the error on the held-out fold. Folds are drawn by 1 km blocks of the grid,
not point by point: points of one drive sit metres apart and share their
shadowing, so a random split would put near-copies of a held-out point in
the training set and flatter the fit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Huber's tuning constant (95 % efficiency at the normal distribution).
HUBER_K = 1.345
#: Consistency factor of the MAD for the normal distribution, 1 / Φ⁻¹(3/4).
MAD_TO_SIGMA = 1.482602218505602
#: Side of the spatial blocks that cross-validation folds are drawn by [m].
FOLD_BLOCK_M = 1000.0


@dataclass(frozen=True)
class LineFit:
    """A fitted line ``y = offset + slope · x``.

    Attributes
    ----------
    offset_db : float
        Offset [dB].
    slope_db_per_decade : float
        Slope [dB per decade of distance]; 0 when not fitted.
    scale_db : float
        Robust scale of the residuals (normalised MAD) [dB].
    n : int
        Points used.
    iterations : int
        IRLS iterations (0 for the plain least squares).
    """

    offset_db: float
    slope_db_per_decade: float
    scale_db: float
    n: int
    iterations: int = 0

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Fitted excess path loss at ``x`` = log10(d3D / 1 km) [dB]."""
        return self.offset_db + self.slope_db_per_decade * np.asarray(x, dtype="float64")


def _design(x: np.ndarray, fit_slope: bool) -> np.ndarray:
    """Design matrix: a column of ones (and ``x`` when the slope is fitted)."""
    ones = np.ones(len(x))
    return np.column_stack([ones, x]) if fit_slope else ones[:, None]


def mad_sigma(residuals: np.ndarray) -> float:
    """Normalised median absolute deviation of ``residuals`` (σ for normal data) [dB]."""
    r = np.asarray(residuals, dtype="float64")
    if r.size == 0:
        return float("nan")
    return float(MAD_TO_SIGMA * np.median(np.abs(r - np.median(r))))


def _line(beta: np.ndarray, scale: float, n: int, iterations: int) -> LineFit:
    slope = float(beta[1]) if beta.size > 1 else 0.0
    return LineFit(float(beta[0]), slope, scale, n, iterations)


def least_squares_fit(x: np.ndarray, y: np.ndarray, *, fit_slope: bool) -> LineFit:
    """Plain least squares of ``y = offset (+ slope · x)`` (numpy ``lstsq``; the baseline)."""
    a = _design(np.asarray(x, dtype="float64"), fit_slope)
    beta = np.linalg.lstsq(a, np.asarray(y, dtype="float64"), rcond=None)[0]
    return _line(beta, mad_sigma(y - a @ beta), len(y), 0)


def _weighted_line(x: np.ndarray | None, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted least squares of ``y = b0 (+ b1 x)`` from the weighted sums (no N×2 arrays)."""
    sw, swy = float(w.sum()), float(w @ y)
    if x is None:
        return np.array([swy / sw])
    wx = w * x
    swx, swxx, swxy = float(wx.sum()), float(wx @ x), float(wx @ y)
    det = sw * swxx - swx * swx
    return np.array([(swxx * swy - swx * swxy) / det, (sw * swxy - swx * swy) / det])


def _irls(
    x: np.ndarray | None, y: np.ndarray, beta: np.ndarray, c: float, tol: float, max_iter: int
) -> tuple[np.ndarray, int]:
    """IRLS of the Huber loss with a fixed threshold ``c`` [dB], from ``beta``.

    ``x`` is ``None`` when only the offset is fitted.
    """
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - the count is returned
        r = y - beta[0] if x is None else y - beta[0] - beta[1] * x
        np.abs(r, out=r)
        w = np.minimum(1.0, c / np.maximum(r, 1e-300, out=r), out=r)
        new = _weighted_line(x, y, w)
        moved = float(np.max(np.abs(new - beta)))
        beta = new
        if moved < tol:
            break
    return beta, it


def huber_fit(
    x: np.ndarray,
    y: np.ndarray,
    *,
    fit_slope: bool,
    k: float = HUBER_K,
    tol_db: float = 1e-4,
    max_iter: int = 100,
    start: LineFit | None = None,
) -> LineFit:
    """Huber M-estimate of ``y = offset (+ slope · x)`` by IRLS.

    Parameters
    ----------
    x : ndarray
        log10(d3D / 1 km) per point.
    y : ndarray
        Excess path loss per point [dB].
    fit_slope : bool
        Fit the slope too (else only the offset).
    k : float
        Huber threshold in units of the robust scale.
    tol_db : float
        Stop when no coefficient moves by more than this [dB] (and the scale
        by less than this).
    max_iter : int
        Most iterations in all.
    start : LineFit, optional
        Where to start (e.g. the fit on all points, for a cross-validation
        fold); by default least squares. The fixed point does not depend on it.

    Returns
    -------
    LineFit

    Notes
    -----
    Start from least squares; then repeat until the scale settles: σ̂ =
    1.4826 · median |r − median r| of the residuals r, and IRLS with weights
    w = min(1, k σ̂ / |r|) on the weighted normal equations (2×2 at most) until
    the coefficients settle. The fixed point minimises Σ ρ_H(r / σ̂) with σ̂ the
    MAD scale of its own residuals (as re-estimating σ̂ every iteration does,
    with fewer medians).
    """
    x = np.asarray(x, dtype="float64")
    y = np.asarray(y, dtype="float64")
    a = _design(x, fit_slope)
    if start is not None:
        beta = np.array([start.offset_db, start.slope_db_per_decade][: a.shape[1]])
    else:
        beta = np.linalg.lstsq(a, y, rcond=None)[0]
    scale = mad_sigma(y - a @ beta)
    used = 0
    xs = x if fit_slope else None
    while used < max_iter and scale > 0:
        beta, it = _irls(xs, y, beta, k * scale, tol_db, max_iter - used)
        used += it
        new_scale = mad_sigma(y - a @ beta)
        settled = abs(new_scale - scale) < tol_db
        scale = new_scale
        if settled:
            break
    return _line(beta, scale, len(y), used)


@dataclass(frozen=True)
class ErrorStats:
    """Errors of a prediction against measurements, ``error = measured − predicted`` [dB].

    Attributes
    ----------
    n : int
        Points.
    mean_db : float
        Mean error (bias): negative when the model predicts too strong a signal.
    rmse_db : float
        Root-mean-square error.
    std_db : float
        Standard deviation of the error (ddof = 1).
    """

    n: int
    mean_db: float
    rmse_db: float
    std_db: float

    @classmethod
    def of(cls, error: np.ndarray) -> ErrorStats:
        """Figures of an error vector [dB] (NaN when empty)."""
        e = np.asarray(error, dtype="float64")
        if e.size == 0:
            return cls(0, float("nan"), float("nan"), float("nan"))
        std = float(np.std(e, ddof=1)) if e.size > 1 else float("nan")
        return cls(int(e.size), float(np.mean(e)), float(np.sqrt(np.mean(e * e))), std)

    def as_dict(self) -> dict[str, float | int]:
        """JSON-able form (``n``, ``mean_db``, ``rmse_db``, ``std_db``)."""
        return {
            "n": self.n,
            "mean_db": self.mean_db,
            "rmse_db": self.rmse_db,
            "std_db": self.std_db,
        }


def spatial_folds(
    x_m: np.ndarray, y_m: np.ndarray, k: int, seed: int, block_m: float = FOLD_BLOCK_M
) -> tuple[np.ndarray, bool]:
    """Assign each point to one of ``k`` folds by the ``block_m`` block it lies in.

    Blocks are shuffled with ``seed`` and dealt round-robin to the folds. With
    fewer than ``k`` blocks the points are dealt at random instead.

    Returns
    -------
    fold : ndarray of int
        Fold of each point (0 … k−1).
    blocked : bool
        Whether the folds follow blocks (False: point by point).
    """
    rng = np.random.default_rng(seed)
    bx = np.floor(np.asarray(x_m) / block_m).astype("int64")
    by = np.floor(np.asarray(y_m) / block_m).astype("int64")
    key = (bx - bx.min(initial=0)) * (int(by.max(initial=0) - by.min(initial=0)) + 1) + (
        by - by.min(initial=0)
    )
    blocks, inverse = np.unique(key, return_inverse=True)
    if blocks.size < k:
        return rng.permutation(np.arange(len(key)) % k), False
    order = rng.permutation(blocks.size)
    fold_of_block = np.empty(blocks.size, dtype="int64")
    fold_of_block[order] = np.arange(blocks.size) % k
    return fold_of_block[inverse], True


@dataclass(frozen=True)
class CrossValidation:
    """Held-out errors of one group.

    Attributes
    ----------
    before : ErrorStats
        Errors of the uncalibrated model on the held-out points.
    after : ErrorStats
        Errors of the calibrated model, each point predicted by the fit on
        the other folds.
    error_after : ndarray
        Held-out error after calibration per point [dB].
    folds : int
        Folds used.
    """

    before: ErrorStats
    after: ErrorStats
    error_after: np.ndarray
    folds: int


def cross_validate(
    x: np.ndarray,
    y: np.ndarray,
    fold: np.ndarray,
    *,
    fit_slope: bool,
    robust: bool = True,
    start: LineFit | None = None,
) -> CrossValidation:
    """K-fold cross-validation of the calibration line.

    Parameters
    ----------
    x, y : ndarray
        log10(d3D / 1 km) and excess path loss [dB] per point.
    fold : ndarray of int
        Fold of each point.
    fit_slope : bool
        Fit the slope too.
    robust : bool
        Huber fit (default) or plain least squares.
    start : LineFit, optional
        Starting point of the Huber fits (the fit on all points saves iterations).

    Returns
    -------
    CrossValidation
        Errors are ``measured − predicted`` = ``−(y − fit(x))``.
    """
    error_after = np.full(len(y), np.nan)
    folds = np.unique(fold)
    for f in folds:
        test = fold == f
        if robust:
            line = huber_fit(x[~test], y[~test], fit_slope=fit_slope, start=start)
        else:
            line = least_squares_fit(x[~test], y[~test], fit_slope=fit_slope)
        error_after[test] = line.predict(x[test]) - y[test]
    return CrossValidation(
        before=ErrorStats.of(-np.asarray(y)),
        after=ErrorStats.of(error_after),
        error_after=error_after,
        folds=int(folds.size),
    )


__all__ = [
    "FOLD_BLOCK_M",
    "HUBER_K",
    "MAD_TO_SIGMA",
    "CrossValidation",
    "ErrorStats",
    "LineFit",
    "cross_validate",
    "huber_fit",
    "least_squares_fit",
    "mad_sigma",
    "spatial_folds",
]
