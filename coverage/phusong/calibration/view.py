"""What an app page shows of a calibration, in one call (no Streamlit here).

:func:`calibration_view` runs :func:`phusong.calibration.run.run_calibration`
on uploads and returns everything a page needs: the sentence, the caveats,
the table of groups, the before/after figures, the two plots as PNG bytes and
``calibration.json`` for download. ``view.calibration`` goes straight into
``run_audit(calibration=…)`` to apply it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from phusong.calibration.model import Calibration
from phusong.calibration.run import CalibrationResult, run_calibration
from phusong.calibration.text import caveat_text, text
from phusong.io.calibration import calibration_json_bytes
from phusong.output.calibration import group_rows, residual_distance_png, residual_map_png


@dataclass
class CalibrationView:
    """A calibration as a page shows it.

    Attributes
    ----------
    calibration : Calibration
        Pass it to ``run_audit(calibration=…)`` to apply it.
    sentence : str
        One plain sentence (language of the view).
    caveats : list of str
        What limits it.
    groups : DataFrame
        One row per fitted group, then all groups (formatted text).
    quality : dict
        Held-out ``before`` / ``after`` figures (numbers, dB).
    distance_png, map_png : bytes
        The residual-vs-distance plot and the residual map.
    calibration_json : bytes
        ``calibration.json`` for download.
    result : CalibrationResult
        Everything else (points, summary, validation reports).
    """

    calibration: Calibration
    sentence: str
    caveats: list[str]
    groups: pd.DataFrame
    quality: dict[str, Any]
    distance_png: bytes
    map_png: bytes
    calibration_json: bytes
    result: CalibrationResult


#: Column keys of :attr:`CalibrationView.groups` (labels from :mod:`phusong.calibration.text`).
GROUP_COLUMNS = (
    "col_group", "col_points", "col_offset", "col_slope", "col_sigma", "col_mean_before",
    "col_mean_after", "col_rmse_before", "col_rmse_after",
)  # fmt: skip


def calibration_view(
    sites: Any,
    measurements: Any,
    wards: Any = None,
    *,
    model: str | None = None,
    fit_slope: bool = False,
    lang: str = "vi",
    progress: Any = None,
) -> CalibrationView:
    """Calibrate on uploads and prepare what a page shows.

    Parameters
    ----------
    sites, measurements, wards
        As for :func:`phusong.calibration.run.run_calibration` (paths, bytes,
        uploaded files or tables).
    model : str, optional
        Path-loss model (default: the audit's default path-loss model).
    fit_slope : bool
        Fit a distance slope too.
    lang : {"vi", "en"}
        Language of the texts and plots.
    progress : callable, optional
        ``progress(step, fraction)``.
    """
    result = run_calibration(
        sites, measurements, wards, model=model, fit_slope=fit_slope, progress=progress
    )
    cal = result.calibration
    synthetic = bool(result.summary.get("synthetic"))
    rows = group_rows(result.summary, lang)
    return CalibrationView(
        calibration=cal,
        sentence=cal.sentence(lang),
        caveats=[caveat_text(c, lang) for c in cal.caveats]
        + [caveat_text(n, lang) for g in cal.groups for n in g.notes],
        groups=pd.DataFrame(rows, columns=[text(k, lang) for k in GROUP_COLUMNS]),
        quality=dict(cal.quality),
        distance_png=residual_distance_png(result.points, lang, synthetic),
        map_png=residual_map_png(result.points, result.wards, lang, synthetic),
        calibration_json=calibration_json_bytes(cal),
        result=result,
    )


__all__ = ["GROUP_COLUMNS", "CalibrationView", "calibration_view"]
