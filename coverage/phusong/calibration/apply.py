"""Apply a calibration to an audit's cells: the step between reading and computing.

:func:`calibrate_inputs` is the one call :func:`phusong.audit.run_audit`
makes: it reads the calibration (a ``calibration.json`` path, its bytes, a
mapping or a :class:`~phusong.calibration.model.Calibration`), refuses it
where it cannot apply (footprint models, another model than the one it was
fitted for), writes the per-cell path-loss adjustment into the site table
(``pl_offset_db``, ``pl_slope_db_per_decade``, read by the raster engine)
and records what was applied for ``summary.json``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from phusong import propagation as prop
from phusong.calibration.model import Calibration
from phusong.errors import ConfigError


def cell_scenarios(sites: pd.DataFrame, model: str) -> np.ndarray:
    """Scenario (path-loss model) of each cell: its ``path_loss_model`` column, else ``model``.

    Names are resolved to full model names (``uma`` → ``uma_nlos``); a model
    that is not a plain path-loss model (e.g. a per-place one) is kept as
    written.
    """

    def full(name: object) -> str:
        text = str(name).strip()
        try:
            return prop.resolve_model(text)
        except ConfigError:
            return text

    default = full(model)
    if "path_loss_model" not in sites.columns:
        return np.full(len(sites), default, dtype=object)
    raw = sites["path_loss_model"].astype("string").fillna("").str.strip()
    codes, uniques = pd.factorize(raw)
    named = np.array([full(u) if u else default for u in uniques] + [default], dtype=object)
    return named[codes]


def check_applies(calibration: Calibration, model: str, is_footprint: bool) -> None:
    """Refuse a calibration that cannot apply to an audit with ``model``.

    Raises
    ------
    ConfigError
        A footprint model (no path loss), or a calibration fitted for
        another model; the message names the option and the fix.
    """
    shown = (calibration.file or {}).get("name", "the calibration")
    if is_footprint:
        raise ConfigError(
            f"calibration: {shown} adjusts path loss, but the {model!r} model is a footprint "
            "estimate without path loss; use a path-loss model (e.g. --model uma) or leave "
            "out the calibration."
        )
    if calibration.model != model:
        raise ConfigError(
            f"calibration: {shown} was fitted for the {calibration.model!r} model, but the "
            f"audit uses {model!r}; use --model {calibration.model} or calibrate "
            f"{model!r} again ('phusong calibrate --model …')."
        )


def calibrate_inputs(inputs: Any, params: Any, calibration: Any) -> tuple[Any, Any]:
    """Apply ``calibration`` to the sites of an audit; record it in the parameters.

    Parameters
    ----------
    inputs : AuditInputs
        What :func:`phusong.audit.read_inputs` read.
    params : AuditParams
        The audit's parameters.
    calibration : path, bytes, mapping, Calibration or None
        ``None`` leaves both unchanged.

    Returns
    -------
    (AuditInputs, AuditParams)
        The sites with the per-cell adjustment, the calibration file's name
        and SHA-256 in ``records``, ``synthetic`` set when the calibration is;
        ``params.calibration`` holds :meth:`Calibration.record`.

    Raises
    ------
    ConfigError
        Unreadable calibration, a footprint model, or another model.
    """
    if calibration is None:
        return inputs, params
    from phusong.io.calibration import load_calibration

    cal = load_calibration(calibration)
    check_applies(cal, params.model, params.is_footprint)
    sites, counts = cal.apply(inputs.sites, cell_scenarios(inputs.sites, params.model))
    records = {**inputs.records, "calibration": cal.file}
    new_inputs = replace(
        inputs, sites=sites, records=records, synthetic=bool(inputs.synthetic or cal.synthetic)
    )
    return new_inputs, replace(params, calibration=cal.record(counts))


__all__ = ["calibrate_inputs", "cell_scenarios", "check_applies"]
