"""Write the output folder of ``phusong progress`` (issue #15).

The files are rendered in memory by :mod:`phusong.output.progress_report`; this
module only puts them on disk through :mod:`phusong.io.outputs` (the same
folder checks and atomic writes as an audit's folder).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from phusong.io.outputs import check_output_dir, write_files
from phusong.output.progress_report import PROGRESS_FILES, render_progress_folder

__all__ = ["write_progress_outputs"]


def write_progress_outputs(
    run: Any, out_dir: str | os.PathLike[str], *, overwrite: bool = False, lang: str | None = None
) -> dict[str, Path]:
    """Write ``progress.csv``, ``progress.png``, ``progress_summary.json``, ``progress_report.html``.

    Plus ``targets.csv`` when the run had a places file.

    Parameters
    ----------
    run : ProgressRun
        From :func:`phusong.progress.run.run_progress`.
    out_dir : path
        Output folder; created if missing.
    overwrite : bool
        Replace the files of an existing non-empty folder (only the names of
        :data:`phusong.output.progress_report.PROGRESS_FILES` are replaced or removed).
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
    out = check_output_dir(out_dir, overwrite=overwrite)
    written = write_files(out, render_progress_folder(run, lang))
    for name in PROGRESS_FILES:  # a stale targets.csv of an earlier run with places
        if name not in written and (out / name).is_file():
            (out / name).unlink()
    return dict(sorted(written.items()))
