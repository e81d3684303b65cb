"""Write the output folder of ``phusong calibrate``.

The files are rendered in memory by :mod:`phusong.output.calibration` (and
``calibration.json`` by :func:`phusong.io.calibration.calibration_json_bytes`);
this module only puts them on disk through
:func:`phusong.io.outputs.write_folder` (locked, staged, swapped in one step). (A module apart from :mod:`phusong.io.calibration`,
which the audit imports, so that reading a calibration pulls in no renderer.)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from phusong.io.calibration import CALIBRATION_FILE, calibration_json_bytes
from phusong.io.folders import ReservedFolder
from phusong.io.outputs import write_folder


def write_calibration_outputs(
    result: Any,
    out_dir: str | os.PathLike[str] | ReservedFolder,
    *,
    overwrite: bool = False,
    lang: str | None = None,
) -> dict[str, Path]:
    """Write the output folder of a calibration.

    Files: ``calibration.json`` (for ``--calibration``), ``calibration_report.html``
    (self-contained, plots embedded), ``residuals_vs_distance.png``,
    ``residual_map.png``, ``calibration_points.csv`` (one row per
    measurement), ``calibration_summary.json`` and
    ``measurement_validation.csv`` (rejected rows and notes).

    Parameters
    ----------
    result : CalibrationResult
        From :func:`phusong.calibration.run_calibration`.
    out_dir : path or ReservedFolder
        Output folder (created if missing), or the one
        :func:`phusong.io.outputs.reserve_output` holds.
    overwrite : bool
        Replace the files of a non-empty folder (only the calibration's own
        file names; other files are kept).
    lang : {"en", "vi"}, optional
        Language of the report (default: :func:`phusong.i18n.current_language`).

    Returns
    -------
    dict
        File name -> path, sorted by name.

    Raises
    ------
    OutputExistsError
        ``out_dir`` is not empty and ``overwrite`` is false (nothing is written).
    """
    from phusong.output.calibration import CALIBRATION_FILES, render_calibration_folder

    files = render_calibration_folder(result, lang=lang)
    files[CALIBRATION_FILE] = calibration_json_bytes(result.calibration)
    return write_folder(out_dir, overwrite, files, (*CALIBRATION_FILES, CALIBRATION_FILE))


__all__ = ["write_calibration_outputs"]
