"""Write the output folder of an audit or a plan.

The files are rendered in memory by :mod:`phusong.output.bundle`; this module
only puts them on disk. Every file is written atomically (temporary file in
the same folder, then rename, :func:`phusong.io.files.atomic_write_bytes`),
and a non-empty output folder is left alone unless ``overwrite=True``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from phusong.errors import OutputExistsError
from phusong.io.files import atomic_write_bytes
from phusong.io.rasters import write_cog
from phusong.output.bundle import (
    COVERAGE_RASTER_FILE,
    OUTPUT_FILES,
    PLAN_OUTPUT_FILES,
    coverage_raster,
    render_audit_folder,
    render_plan_folder,
)


def check_output_dir(out_dir: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Refuse a non-empty output folder unless ``overwrite``.

    Parameters
    ----------
    out_dir : path
        The output folder (it need not exist).
    overwrite : bool
        Accept a non-empty folder.

    Returns
    -------
    pathlib.Path
        ``out_dir``.

    Raises
    ------
    OutputExistsError
        ``out_dir`` is a file, or a non-empty folder and ``overwrite`` is false.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise OutputExistsError(f"output folder {out} exists and is a file; choose another --out.")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise OutputExistsError(
            f"output folder {out} is not empty; pass --overwrite to replace its files "
            "or choose another --out."
        )
    return out


def write_files(out_dir: str | os.PathLike[str], files: Mapping[str, bytes]) -> dict[str, Path]:
    """Write each file atomically into ``out_dir`` (created if needed).

    Parameters
    ----------
    out_dir : path
        The folder.
    files : mapping of str to bytes
        File name -> content.

    Returns
    -------
    dict
        File name -> path, sorted by name.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return {
        name: atomic_write_bytes(out / name, files[name], overwrite=True) for name in sorted(files)
    }


def write_coverage_raster(out_dir: str | os.PathLike[str], result: Any) -> Path | None:
    """Write ``coverage.tif`` of a raster-route audit into ``out_dir`` (``None`` otherwise).

    Bands as :func:`phusong.output.bundle.coverage_raster`, written as a
    Cloud-Optimised GeoTIFF by :func:`phusong.io.rasters.write_cog`.
    """
    raster = coverage_raster(result)
    if raster is None:
        return None
    return write_cog(
        Path(out_dir) / COVERAGE_RASTER_FILE,
        raster.array,
        raster.grid,
        raster.nodata,
        raster.tags,
        descriptions=raster.descriptions,
        units=raster.units,
    )


def _remove_stale(out: Path, written: Mapping[str, Path], names: Iterable[str]) -> None:
    """Delete our own file names not written this time (left from an earlier, different run)."""
    for name in names:
        if name not in written and (out / name).is_file():
            (out / name).unlink()


def write_outputs(
    result: Any, out_dir: str | os.PathLike[str], *, overwrite: bool = False
) -> dict[str, Path]:
    """Write the report folder of an audit.

    Parameters
    ----------
    result : AuditResult
        From :func:`phusong.audit.run_audit`.
    out_dir : path
        Output folder; created if missing.
    overwrite : bool
        Replace the files of an existing non-empty folder. Only phusong's own
        output names (:data:`~phusong.output.bundle.OUTPUT_FILES`) are ever
        replaced or removed.

    Returns
    -------
    dict
        File name -> path of every file written, sorted by name.

    Raises
    ------
    OutputExistsError
        ``out_dir`` is not empty and ``overwrite`` is false (nothing is written).
    """
    out = check_output_dir(out_dir, overwrite=overwrite)
    written = write_files(out, render_audit_folder(result))
    tif = write_coverage_raster(out, result)
    if tif is not None:
        written[tif.name] = tif
    _remove_stale(out, written, OUTPUT_FILES)
    return dict(sorted(written.items()))


def write_plan_outputs(
    run: Any, out_dir: str | os.PathLike[str], *, overwrite: bool = False
) -> dict[str, Path]:
    """Write the output folder of a plan.

    Parameters
    ----------
    run : PlanRun
        From :func:`phusong.audit.run_plan`.
    out_dir : path
        Output folder; created if missing.
    overwrite : bool
        Replace the files of an existing non-empty folder. Only the plan's own
        output names (:data:`~phusong.output.bundle.PLAN_OUTPUT_FILES`) are ever
        replaced.

    Returns
    -------
    dict
        File name -> path of every file written (:data:`~phusong.output.bundle.PLAN_OUTPUT_FILES`).

    Raises
    ------
    OutputExistsError
        ``out_dir`` is not empty and ``overwrite`` is false (nothing is written).
    """
    out = check_output_dir(out_dir, overwrite=overwrite)
    return write_files(out, render_plan_folder(run))


__all__ = [
    "OUTPUT_FILES",
    "PLAN_OUTPUT_FILES",
    "check_output_dir",
    "write_coverage_raster",
    "write_files",
    "write_outputs",
    "write_plan_outputs",
]
