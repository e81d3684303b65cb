"""Write the output folder of ``phusong progress`` (issue #15).

The files are rendered in memory by :mod:`phusong.output.progress_report`; this
module only puts them on disk through :func:`phusong.io.outputs.write_folder`
(locked, staged and swapped into place in one step, like an audit's folder).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from phusong.io.folders import ReservedFolder
from phusong.io.outputs import write_folder
from phusong.output.progress_report import PROGRESS_FILES, render_progress_folder

__all__ = ["write_progress_outputs"]


def write_progress_outputs(
    run: Any,
    out_dir: str | os.PathLike[str] | ReservedFolder,
    *,
    overwrite: bool = False,
    lang: str | None = None,
) -> dict[str, Path]:
    """Write ``progress.csv``, ``progress.png``, ``progress_summary.json``, ``progress_report.html``.

    Plus ``targets.csv`` when the run had a places file.

    Parameters
    ----------
    run : ProgressRun
        From :func:`phusong.progress.run.run_progress`.
    out_dir : path or ReservedFolder
        Output folder; created if missing (or the one
        :func:`phusong.io.outputs.reserve_output` holds).
    overwrite : bool
        Replace the files of an existing non-empty folder (only the names of
        :data:`phusong.output.progress_report.PROGRESS_FILES` are replaced or
        removed: a stale ``targets.csv`` of an earlier run with places goes).
    lang : str, optional
        ``"vi"`` or ``"en"`` for the words of the chart and the report.

    Returns
    -------
    dict
        File name -> path, sorted by name.

    Raises
    ------
    OutputExistsError
        ``out_dir`` is not empty and ``overwrite`` is false (nothing is written).
    """
    return write_folder(out_dir, overwrite, render_progress_folder(run, lang), PROGRESS_FILES)
