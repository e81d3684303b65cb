"""Write the output folder of an audit or a plan, and its ZIP bundle.

The files are rendered in memory by :mod:`phusong.output.bundle`; this module
only puts them on disk. A folder is written whole or not at all: locked for
the run, checked writable before anything is computed, written into a
staging folder and swapped into place in one step
(:mod:`phusong.io.folders`); a non-empty output folder is left alone unless
``overwrite=True``. :func:`reserve_output` holds a folder for a whole run
(the CLI takes it before computing).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from phusong.errors import OutputExistsError
from phusong.io.files import atomic_write_bytes
from phusong.io.folders import ReservedFolder, has_entries, reserve_folder
from phusong.io.rasters import write_cog
from phusong.output.bundle import (
    COVERAGE_RASTER_FILE,
    OUTPUT_FILES,
    PLAN_OUTPUT_FILES,
    bundle_zip,
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
    if has_entries(out) and not overwrite:
        raise OutputExistsError(
            f"output folder {out} is not empty; pass --overwrite to replace its files "
            "or choose another --out."
        )
    return out


@contextlib.contextmanager
def reserve_output(
    out_dir: str | os.PathLike[str], *, overwrite: bool = False
) -> Iterator[ReservedFolder]:
    """Hold an output folder for one run: refused if in use, not writable, or not empty.

    Take it before computing, so that a busy or read-only folder fails at
    once, and pass it to :func:`write_outputs` / :func:`write_plan_outputs`.

    Parameters
    ----------
    out_dir : path
        The output folder (it need not exist).
    overwrite : bool
        Accept a non-empty folder (its files are replaced when the run
        commits; files that are not phusong's are kept).

    Yields
    ------
    phusong.io.folders.ReservedFolder

    Raises
    ------
    OutputExistsError
        A non-empty folder without ``overwrite``, or a file in the way.
    OutputBusyError
        Another run is writing into the folder.
    OutputNotWritableError
        The folder cannot be written.
    """
    out = check_output_dir(out_dir, overwrite=overwrite)
    with reserve_folder(out, overwrite=overwrite) as folder:
        check_output_dir(out_dir, overwrite=overwrite)  # again, now that no one else writes
        yield folder


def write_folder(
    out_dir: str | os.PathLike[str] | ReservedFolder,
    overwrite: bool,
    files: Mapping[str, bytes],
    own_names: Iterable[str],
    extra: Any = None,
) -> dict[str, Path]:
    """Write an output folder whole: through a reserved folder, or reserving ``out_dir``.

    For every command that writes a folder (audit, plan, and others).

    Parameters
    ----------
    out_dir : path or ReservedFolder
        The folder, or the one :func:`reserve_output` holds.
    overwrite : bool
        Replace a non-empty folder (when ``out_dir`` is a path).
    files : mapping of str to bytes
        File name -> content.
    own_names : iterable of str
        Every name the command may write; others in the old folder are kept.
    extra : callable, optional
        ``extra(folder) -> path``: writes one more file (a GeoTIFF) into ``folder``.

    Returns
    -------
    dict
        File name -> path of every file written, sorted by name.
    """
    if isinstance(out_dir, ReservedFolder):
        return out_dir.commit(files, own_names=own_names, extra=extra)
    with reserve_output(out_dir, overwrite=overwrite) as folder:
        return folder.commit(files, own_names=own_names, extra=extra)


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


def write_outputs(
    result: Any,
    out_dir: str | os.PathLike[str] | ReservedFolder,
    *,
    overwrite: bool = False,
    lang: str | None = None,
) -> dict[str, Path]:
    """Write the report folder of an audit.

    Parameters
    ----------
    result : AuditResult
        From :func:`phusong.audit.run_audit`.
    out_dir : path or ReservedFolder
        Output folder; created if missing. A folder held by
        :func:`reserve_output` is written as it was reserved.
    overwrite : bool
        Replace the files of an existing non-empty folder. Only phusong's own
        output names (:data:`~phusong.output.bundle.OUTPUT_FILES`) are ever
        replaced or removed; the folder is replaced in one step (an
        interrupted write leaves it as it was).
    lang : str, optional
        Language of ``report.html`` and ``map.html``: ``"vi"`` or ``"en"``;
        default :func:`phusong.i18n.current_language`.

    Returns
    -------
    dict
        File name -> path of every file written, sorted by name.

    Raises
    ------
    OutputExistsError
        ``out_dir`` is not empty and ``overwrite`` is false (nothing is written).
    """
    files = render_audit_folder(result, lang)
    return write_folder(
        out_dir,
        overwrite,
        files,
        OUTPUT_FILES,
        lambda folder: write_coverage_raster(folder, result),
    )


def write_plan_outputs(
    run: Any,
    out_dir: str | os.PathLike[str] | ReservedFolder,
    *,
    overwrite: bool = False,
    lang: str | None = None,
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
    lang : str, optional
        Language of ``plan_map.html``: ``"vi"`` or ``"en"``; default
        :func:`phusong.i18n.current_language`.

    Returns
    -------
    dict
        File name -> path of every file written (:data:`~phusong.output.bundle.PLAN_OUTPUT_FILES`).

    Raises
    ------
    OutputExistsError
        ``out_dir`` is not empty and ``overwrite`` is false (nothing is written).
    """
    return write_folder(out_dir, overwrite, render_plan_folder(run, lang), PLAN_OUTPUT_FILES)


def coverage_raster_bytes(result: Any) -> bytes | None:
    """``coverage.tif`` of a raster-route audit as bytes (``None`` otherwise).

    Written as a COG into a temporary folder (GDAL writes files), then read back.
    """
    if coverage_raster(result) is None:
        return None
    with tempfile.TemporaryDirectory(prefix="phusong-cog-") as tmp:
        path = write_coverage_raster(tmp, result)
        return path.read_bytes() if path is not None else None


def audit_bundle(
    result: Any,
    *,
    lang: str | None = None,
    scenario: str | None = None,
    day: dt.date | None = None,
) -> tuple[str, bytes]:
    """Every output of an audit (with ``coverage.tif`` when there is one) as one ZIP.

    Parameters
    ----------
    result : AuditResult
        From :func:`phusong.audit.run_audit`.
    lang : str, optional
        Language of the report and the map (``"vi"``/``"en"``).
    scenario : str, optional
        Words naming the scenario in the ZIP's name; default the model and operators.
    day : datetime.date, optional
        Date in the ZIP's name; default today.

    Returns
    -------
    tuple of (str, bytes)
        Name (``phusong_audit_<scenario>_<date>[_SYNTHETIC].zip``) and content
        (:func:`phusong.output.bundle.bundle_zip`).
    """
    files = render_audit_folder(result, lang)
    tif = coverage_raster_bytes(result)
    if tif is not None:
        files[COVERAGE_RASTER_FILE] = tif
    return bundle_zip(files, result.summary, kind="audit", scenario=scenario, day=day)


def plan_bundle(
    run: Any,
    *,
    lang: str | None = None,
    scenario: str | None = None,
    day: dt.date | None = None,
) -> tuple[str, bytes]:
    """Every output of a plan as one ZIP: ``(name, bytes)`` (see :func:`audit_bundle`)."""
    files = render_plan_folder(run, lang)
    return bundle_zip(files, run.summary, kind="plan", scenario=scenario, day=day)


def write_bundle(out_dir: str | os.PathLike[str], bundle: tuple[str, bytes]) -> Path:
    """Write a ZIP bundle (:func:`audit_bundle`, :func:`plan_bundle`) into ``out_dir``, atomically.

    Returns
    -------
    pathlib.Path
        The ZIP's path (an older bundle of the same name is replaced).
    """
    name, data = bundle
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return atomic_write_bytes(out / name, data, overwrite=True)


__all__ = [
    "OUTPUT_FILES",
    "PLAN_OUTPUT_FILES",
    "audit_bundle",
    "check_output_dir",
    "coverage_raster_bytes",
    "plan_bundle",
    "reserve_output",
    "write_bundle",
    "write_coverage_raster",
    "write_folder",
    "write_outputs",
    "write_plan_outputs",
]
