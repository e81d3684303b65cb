"""``run_calibration``: fit the path-loss model to measured signal, and say how good it is.

The whole job as its steps (like :func:`phusong.audit.run_audit`):

1. :func:`calibration_params` checks every option against
   :data:`phusong.options.CALIBRATE`;
2. :func:`read_calibration_inputs` reads wards, sites and measurements
   (:mod:`phusong.io`);
3. :func:`predict_points` prepares the cells as the grid engine does and
   matches each measurement with its serving cell
   (:mod:`phusong.calibration.predict`, :mod:`phusong.calibration.associate`);
4. :func:`phusong.calibration.groups.fit_groups` fits and cross-validates
   every operator × band × scenario;
5. :func:`assemble_calibration` builds the :class:`~phusong.calibration.model.Calibration`,
   its caveats and the summary.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from phusong import __version__
from phusong.calibration.associate import associate, point_table
from phusong.calibration.groups import GroupFits, fit_groups
from phusong.calibration.model import Calibration
from phusong.calibration.predict import DEFAULT_NEAREST_SITES, PointModel, point_model
from phusong.calibration.text import caveat, caveat_text, text
from phusong.errors import ConfigError
from phusong.options import AUDIT, CALIBRATE, check
from phusong.summary import jsonable

log = logging.getLogger(__name__)

ProgressFn = Callable[[str, float], None]

#: Measurements spread over fewer wards than this, or over a smaller extent,
#: make the calibration "one area" (noted).
ONE_AREA_WARDS = 3
ONE_AREA_EXTENT_M = 5_000.0
#: Points used to count the wards touched (a random sample beyond this).
WARD_COUNT_SAMPLE = 50_000


def _silent(step: str, fraction: float) -> None:
    """Show nothing: the default progress callback."""


def default_calibration_model() -> str:
    """Name the model calibrated by default: the audit's if it is a path-loss model, else UMa."""
    from phusong.models import get_model

    spec = get_model(AUDIT["model"].default)
    return spec.name if not spec.is_footprint else "uma"


@dataclass(frozen=True)
class CalibrationParams:
    """The checked options of one calibration (recorded in its summary)."""

    model: str
    fit_slope: bool
    folds: int
    min_points: int
    radio: tuple[str, ...] | None
    seed: int
    nearest_sites: int
    robust: bool

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "model": self.model,
            "fit_slope": self.fit_slope,
            "folds": self.folds,
            "min_points": self.min_points,
            "radio": list(self.radio) if self.radio else None,
            "seed": self.seed,
            "nearest_sites": self.nearest_sites,
            "robust": self.robust,
        }


def calibration_params(
    *,
    model: str | None,
    fit_slope: bool,
    folds: int,
    min_points: int,
    radio: Sequence[str] | str | None,
    seed: int,
    nearest_sites: int,
    robust: bool,
) -> CalibrationParams:
    """Check the options of :func:`run_calibration` (bounds from :data:`phusong.options.CALIBRATE`).

    Raises
    ------
    ConfigError
        A bad value, or a footprint model (disc/sector have no path loss to
        calibrate).
    """
    from phusong.models import get_model

    spec = get_model(model if model is not None else default_calibration_model())
    if spec.is_footprint:
        raise ConfigError(
            f"model: {spec.name!r} is a footprint model without path loss; calibrate a "
            "path-loss model (e.g. uma)."
        )
    radio_t = (radio,) if isinstance(radio, str) else (tuple(radio) if radio else None)
    return CalibrationParams(
        model=spec.full_name,
        fit_slope=check("fit_slope", bool(fit_slope), CALIBRATE),
        folds=check("folds", folds, CALIBRATE),
        min_points=check("min_points", min_points, CALIBRATE),
        radio=radio_t,
        seed=check("seed", seed, CALIBRATE),
        nearest_sites=check("nearest_sites", nearest_sites, CALIBRATE),
        robust=bool(robust),
    )


@dataclass
class CalibrationInputs:
    """What :func:`read_calibration_inputs` read."""

    wards: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    measurements: pd.DataFrame
    site_report: Any
    measurement_report: Any
    records: dict[str, Any]
    synthetic: bool


def read_calibration_inputs(
    sites: Any, measurements: Any, wards: Any, params: CalibrationParams
) -> CalibrationInputs:
    """Read the wards, the sites and the measurements (both checked row by row).

    Raises
    ------
    DataError
        Unusable wards, sites or measurements (every problem listed).
    """
    from phusong.audit import load_sites, load_wards
    from phusong.io.files import input_record
    from phusong.io.measurements import read_measurements
    from phusong.io.wards import shipped_input_record

    ward_table = load_wards(wards)
    site_table, site_report = load_sites(sites, ward_table, params.radio)
    table, report = read_measurements(measurements, radio=params.radio, study_area=ward_table)
    records = {
        "wards": input_record(wards) if wards is not None else shipped_input_record(),
        "sites": input_record(sites),
        "measurements": input_record(measurements),
    }
    names = " ".join(str((r or {}).get("name", "")) for r in records.values()).upper()
    synthetic = bool(
        table.attrs.get("synthetic") or site_table.attrs.get("synthetic") or "SYNTHETIC" in names
    )
    return CalibrationInputs(ward_table, site_table, table, site_report, report, records, synthetic)


def predict_points(
    inputs: CalibrationInputs, params: CalibrationParams
) -> tuple[PointModel, pd.DataFrame, bool]:
    """Prepare the cells, match every measurement with its cell, and predict its RSRP.

    Returns the point model, the point table
    (:func:`phusong.calibration.associate.point_table`) and whether the file's
    cell ids matched none of the site table's.
    """
    pm = point_model(inputs.sites, inputs.wards, model=params.model)
    m = inputs.measurements
    x, y = pm.to_grid(m["lon_deg"].to_numpy(), m["lat_deg"].to_numpy())
    assoc = associate(pm, m, x, y, nearest_sites=params.nearest_sites)
    return pm, point_table(pm, m, x, y, assoc), assoc.ids_unmatched


def run_calibration(
    sites: Any,
    measurements: Any,
    wards: Any = None,
    *,
    model: str | None = None,
    fit_slope: bool = CALIBRATE["fit_slope"].default,
    folds: int = CALIBRATE["folds"].default,
    min_points: int = CALIBRATE["min_points"].default,
    radio: Sequence[str] | str | None = CALIBRATE["radio"].default,
    seed: int = CALIBRATE["seed"].default,
    nearest_sites: int = DEFAULT_NEAREST_SITES,
    robust: bool = True,
    progress: ProgressFn | None = None,
) -> CalibrationResult:
    """Fit the path-loss model to measurements, per operator × band × scenario.

    Parameters
    ----------
    sites : path, file object, bytes or DataFrame
        The network, as for :func:`phusong.run_audit`.
    measurements : path, file object, bytes or DataFrame
        Signal measurements (:func:`phusong.read_measurements`).
    wards : path, GeoDataFrame or None
        Study area; default the shipped Hà Nội wards.
    model : str, optional
        Path-loss model to calibrate; default the audit's default path-loss
        model (UMa while the audit's default is a footprint model).
    fit_slope : bool
        Fit a distance slope [dB/decade] as well as the offset [dB].
    folds : int
        Folds of the cross-validation.
    min_points : int
        Fewest usable measurements for a group to be fitted.
    radio : str, sequence or None
        Network modes kept (default NR), for sites and measurements.
    seed : int
        Seed of the fold assignment (the result is reproducible).
    nearest_sites : int
        Site locations searched per layer for the best server.
    robust : bool
        Huber fit (default) or plain least squares.
    progress : callable, optional
        ``progress(step, fraction)``.

    Returns
    -------
    CalibrationResult
        ``calibration`` (write it with
        :func:`phusong.io.calibration_outputs.write_calibration_outputs`, apply it
        with ``run_audit(calibration=…)``), ``points`` (one row per
        measurement), ``summary`` (JSON-able figures and caveats).

    Raises
    ------
    DataError
        Unusable sites or measurements.
    ConfigError
        An invalid option (a footprint model included).

    Notes
    -----
    The prediction is the *outdoor median* of the model (no indoor loss, 50 %
    reliability): a measurement in the street is one draw around it.
    Measurements taken indoors bias the offset upwards by their building loss.
    """
    say = progress or _silent
    params = calibration_params(
        model=model, fit_slope=fit_slope, folds=folds, min_points=min_points, radio=radio,
        seed=seed, nearest_sites=nearest_sites, robust=robust,
    )  # fmt: skip
    say("reading sites and measurements", 0.0)
    inputs = read_calibration_inputs(sites, measurements, wards, params)
    say("matching measurements with cells", 0.3)
    pm, points, ids_unmatched = predict_points(inputs, params)
    say("fitting", 0.7)
    fits = fit_groups(
        points, fit_slope=params.fit_slope, folds=params.folds, min_points=params.min_points,
        seed=params.seed, robust=params.robust,
    )  # fmt: skip
    say("done", 1.0)
    return assemble_calibration(inputs, params, pm, fits, ids_unmatched)


@dataclass
class CalibrationResult:
    """Everything a calibration produced.

    Attributes
    ----------
    calibration : Calibration
        The fitted groups (what ``calibration.json`` holds).
    points : DataFrame
        One row per accepted measurement: position, cell, association,
        distance, measured and predicted RSRP, errors before / after
        calibration (in-sample and held-out), fold, drop reason.
    summary : dict
        JSON-able: counts, association, dropped points by reason, groups,
        skipped groups, quality, caveats, parameters, inputs, sentence.
    params : CalibrationParams
    measurement_report, site_report : ValidationReport
        What reading the measurements and the sites accepted and rejected.
    wards : GeoDataFrame
        The study area (for the residual map).
    """

    calibration: Calibration
    points: pd.DataFrame
    summary: dict[str, Any]
    params: CalibrationParams
    measurement_report: Any
    site_report: Any
    wards: gpd.GeoDataFrame


def _wards_touched(wards: gpd.GeoDataFrame, lon: np.ndarray, lat: np.ndarray, seed: int) -> int:
    """Count the wards holding at least one of the points (a sample of them beyond 50,000)."""
    if lon.size > WARD_COUNT_SAMPLE:
        pick = np.random.default_rng(seed).choice(lon.size, WARD_COUNT_SAMPLE, replace=False)
        lon, lat = lon[pick], lat[pick]
    tree = shapely.STRtree(wards.to_crs("EPSG:4326").geometry.to_numpy())
    hits = tree.query(shapely.points(lon, lat), predicate="intersects")
    return int(np.unique(hits[1]).size)


def _caveats(
    inputs: CalibrationInputs, used: pd.DataFrame, fits: GroupFits, ids_unmatched: bool, seed: int
) -> list[dict[str, str]]:
    """List what limits the calibration as a whole, in both languages."""
    out: list[dict[str, str]] = []
    if inputs.synthetic:
        out.append(caveat("synthetic"))
    ops = sorted({g.operator for g in fits.groups})
    site_ops = set(inputs.sites["operator"].dropna().astype(str))
    if len(ops) == 1 and len(site_ops) > 1:
        out.append(caveat("one_operator", operator=ops[0]))
    if len(used):
        wards = _wards_touched(
            inputs.wards, used["lon_deg"].to_numpy(), used["lat_deg"].to_numpy(), seed
        )
        extent = float(max(np.ptp(used["x_m"].to_numpy()), np.ptp(used["y_m"].to_numpy())))
        if wards < ONE_AREA_WARDS or extent < ONE_AREA_EXTENT_M:
            out.append(caveat("one_area", wards=int(wards), area=f"{extent / 1000:.1f} km"))
        share = float((used["association"] == "best_server").mean())
        if share > 0.5:
            out.append(caveat("mostly_best_server", share=f"{100 * share:.0f} %"))
    out.extend(fits.notes)
    if ids_unmatched:
        log.info("no cell id of the measurements is in the site table; best server used throughout")
    return out


def _dropped(points: pd.DataFrame) -> list[dict[str, Any]]:
    """Count the points left out, by reason (with words in both languages)."""
    counts = points["drop"].dropna().value_counts().sort_index()
    return [
        {
            "reason": str(k),
            "points": int(v),
            "text": text(str(k), "en", km=30, n="", min=""),
            "text_vi": text(str(k), "vi", km=30, n="", min=""),
        }
        for k, v in counts.items()
    ]


def assemble_calibration(
    inputs: CalibrationInputs,
    params: CalibrationParams,
    pm: PointModel,
    fits: GroupFits,
    ids_unmatched: bool,
) -> CalibrationResult:
    """Build the calibration, its caveats and the summary from the fitted groups."""
    points = fits.points
    used = points[points["error_cv_db"].notna()]
    caveats = _caveats(inputs, used, fits, ids_unmatched, params.seed)
    calibration = Calibration(
        model=params.model,
        groups=tuple(fits.groups),
        fit_slope=params.fit_slope,
        synthetic=inputs.synthetic,
        skipped=tuple(fits.skipped),
        caveats=tuple(caveats),
        inputs={k: v for k, v in inputs.records.items() if v},
        quality=fits.quality,
    )
    report = inputs.measurement_report
    summary = {
        "tool": "phusong",
        "version": __version__,
        "synthetic": inputs.synthetic,
        "model": params.model,
        "measurements": {
            "rows_read": report.rows_read,
            "rows_accepted": report.rows_accepted,
            "rows_rejected": report.rows_rejected,
            "rows_filtered": report.rows_filtered,
            "points_used": len(used),
            "points_dropped": int(points["drop"].notna().sum()),
        },
        "association": {
            str(k): int(v) for k, v in points["association"].value_counts().sort_index().items()
        },
        "cell_ids_unmatched": ids_unmatched,
        "dropped": _dropped(points),
        "groups": [g.as_dict() for g in fits.groups],
        "skipped_groups": list(fits.skipped),
        "quality": fits.quality,
        "caveats": [caveat_text(c) for c in caveats],
        "caveats_vi": [caveat_text(c, "vi") for c in caveats],
        "sentence": calibration.sentence(),
        "sentence_vi": calibration.sentence("vi"),
        "parameters": params.as_dict(),
        "inputs": inputs.records,
    }
    return CalibrationResult(
        calibration=calibration,
        points=points,
        summary=jsonable(summary),
        params=params,
        measurement_report=report,
        site_report=inputs.site_report,
        wards=inputs.wards,
    )


__all__ = [
    "CalibrationInputs",
    "CalibrationParams",
    "CalibrationResult",
    "assemble_calibration",
    "calibration_params",
    "default_calibration_model",
    "predict_points",
    "read_calibration_inputs",
    "run_calibration",
]
