"""Tables from containers of several tables: every sheet of a workbook, joined.

A workbook may hold one sheet per operator; :func:`read_workbook` reads every
sheet that holds a site table (a header naming a latitude and a longitude
within its first rows, on one row or on two, as merged Excel headers are
written) and says which sheets it left out and why. :func:`combine_parts`
joins the tables of several sources (sheets, or the files of a zip) so that
every row keeps its source and its own row number for the messages.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from phusong.errors import DataError
from phusong.io.files import RawInput
from phusong.io.validation import map_columns

#: Rows searched for a header at the top of a sheet.
HEADER_SEARCH_ROWS = 20


@dataclass
class Parsed:
    """A parsed table before validation.

    Attributes
    ----------
    frame : DataFrame
        Raw columns as read.
    rows : numpy.ndarray
        1-based source row of each table row (as a spreadsheet shows it).
    notes : list of str
        Whole-file notes of the reader (encoding, sheets read…).
    coords : (lon, lat) arrays or None
        Positions from a vector file's geometry [degrees].
    pre_rejected : list of tuple
        Rows the reader rejected: (row, column, reason, value[, source]).
    name : str
        Source name shown in messages.
    row_files : numpy.ndarray or None
        Source of each row when the table joins several (sheets, zip members).
    column_names : dict
        Per source, the joined table's column -> the column's name in that
        source (where they differ), so that messages name the source's column.
    """

    frame: pd.DataFrame
    rows: np.ndarray
    notes: list[str] = field(default_factory=list)
    coords: tuple[np.ndarray, np.ndarray] | None = None
    pre_rejected: list[Any] = field(default_factory=list)
    name: str = ""
    row_files: np.ndarray | None = None
    column_names: dict[str, dict[str, str]] = field(default_factory=dict)


def unique_names(names: list[str]) -> list[str]:
    """Make column names unique: a repeated ``name`` becomes ``name.1``, ``name.2``, …."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        name = name or "column"
        if name in seen:
            seen[name] += 1
            out.append(f"{name}.{seen[name]}")
        else:
            seen[name] = 0
            out.append(name)
    return out


def _cell_text(value: object) -> str:
    return (
        ""
        if value is None or (not isinstance(value, str) and pd.isna(value))
        else str(value).strip()
    )


def _has_position(names: list[str]) -> bool:
    cols = map_columns([n for n in names if n])
    return "lat" in cols and "lon" in cols


def _score(names: list[str]) -> int:
    return len(map_columns([n for n in names if n]))


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "."))
    except ValueError:
        return False
    return True


def _joined_name(upper: str, lower: str, upper_filled: bool) -> str:
    """One column's name from a two-row header (``upper`` may span several columns)."""
    if not lower:
        return "" if upper_filled else upper
    if not upper:
        return lower
    both = f"{upper} {lower}"
    if map_columns([lower]):
        return lower
    if map_columns([both]):
        return both
    return lower if upper_filled else both


def two_row_header(top: list[object], below: list[object]) -> list[str] | None:
    """Names of a header written on two rows (merged cells above), or ``None``.

    Parameters
    ----------
    top, below : list
        The two rows' cells; a merged cell of ``top`` holds its text in its
        first column only (as Excel files are read), so it is carried right
        over the empty cells after it.

    Returns
    -------
    list of str or None
        ``None`` when ``below`` holds numbers (it is data, not a header).
    """
    lower = [_cell_text(v) for v in below]
    if not any(lower) or any(_is_number(t) for t in lower if t):
        return None
    upper, filled, last = [], [], ""
    for value in top:
        text = _cell_text(value)
        filled.append(not text and bool(last))
        last = text or last
        upper.append(text or last)
    return [_joined_name(u, b, f) for u, b, f in zip(upper, lower, filled, strict=True)]


def find_header(grid: pd.DataFrame) -> tuple[int, int, list[str]] | None:
    """Where a sheet's site header is: (first row, rows it spans, names); ``None`` if none.

    The header is the first of the first :data:`HEADER_SEARCH_ROWS` rows that
    names a latitude and a longitude, on its own or joined with the row
    below it (whichever recognises more columns).
    """
    for i in range(min(HEADER_SEARCH_ROWS, len(grid))):
        one = [_cell_text(v) for v in grid.iloc[i]]
        two = (
            two_row_header(list(grid.iloc[i]), list(grid.iloc[i + 1]))
            if i + 1 < len(grid)
            else None
        )
        if two is not None and _has_position(two) and _score(two) > _score(one):
            return i, 2, two
        if _has_position(one):
            return i, 1, one
    return None


def _sheet_table(grid: pd.DataFrame, header: tuple[int, int, list[str]], name: str) -> Parsed:
    """Take the data rows under a sheet's header; numbers where every value is one."""
    h, span, names = header
    names = [n if n else f"column_{j + 1}" for j, n in enumerate(names)]
    frame = grid.iloc[h + span :].copy()
    frame.columns = unique_names(names)
    rows = np.asarray(frame.index, dtype=np.int64) + 1  # spreadsheet rows are 1-based
    blank = frame.isna().all(axis=1).to_numpy()
    frame = frame.loc[~blank].reset_index(drop=True)
    rows = rows[~blank]
    for c in frame.columns:  # object columns -> numbers where every value is one
        converted = pd.to_numeric(frame[c], errors="coerce")
        if converted.notna().sum() == frame[c].notna().sum():
            frame[c] = converted
    where = f"header on rows {h + 1}–{h + span}" if span > 1 else f"header on row {h + 1}"
    notes = [f"{where}."] if h or span > 1 else []
    return Parsed(frame, rows, notes=notes, name=name)


def read_workbook(raw: RawInput) -> tuple[list[Parsed], list[str]]:
    """Every sheet of an XLSX workbook that holds a site table.

    Returns
    -------
    (list of Parsed, list of str)
        One table per sheet with a site header (named ``"book.xlsx [Sheet]"``
        when the workbook has several sheets), and a note for each sheet left
        out. A workbook without any site header gives its first non-empty
        sheet as it is, so that the validation names its columns.

    Raises
    ------
    DataError
        The file cannot be read as a workbook, or every sheet is empty.
    """
    try:
        sheets = pd.read_excel(io.BytesIO(raw.data), sheet_name=None, header=None, dtype=object)
    except Exception as exc:
        raise DataError(
            f"could not read the Excel file ({type(exc).__name__}: {exc}); save it again as .xlsx "
            "or export a CSV.",
            file=raw.name,
        ) from exc
    grids = {str(k): g.dropna(how="all", axis=1) for k, g in sheets.items()}
    many = len(grids) > 1
    parts, skipped = [], []
    for sheet, grid in grids.items():
        header = find_header(grid)
        if header is None:
            if len(grid):
                skipped.append(
                    f"sheet '{sheet}' was not read: no header naming a latitude and a longitude "
                    f"in its first {HEADER_SEARCH_ROWS} rows."
                )
            continue
        part = _sheet_table(grid, header, f"{raw.name} [{sheet}]" if many else raw.name)
        parts.append(part)
    if not parts:
        first = next((g for g in grids.values() if len(g)), None)
        if first is None:
            raise DataError("the workbook is empty.", file=raw.name)
        names = [_cell_text(v) for v in first.iloc[0]]
        parts.append(_sheet_table(first, (0, 1, names), raw.name))
        skipped = []
    return parts, skipped


def combine_parts(parts: list[Parsed], name: str, *, what: str) -> Parsed:
    """Join the tables of several sources (sheets, zip members) into one.

    Columns that hold the same field under different names are given one
    name (the first part's); each row keeps its source name (``row_files``)
    and its own row number, so that messages point at the right sheet.

    Parameters
    ----------
    parts : list of Parsed
        One parsed table per source, each with its ``name``.
    name : str
        The file they came from (whole-file notes name it).
    what : str
        ``"sheet"`` or ``"file"``, as said in the note.

    Raises
    ------
    DataError
        Some sources have point geometries and others coordinate columns.
    """
    renamed, notes, pre = [], [], []
    seen: dict[str, object] = {}
    names: dict[str, dict[str, str]] = {}
    for part in parts:
        cols = map_columns(part.frame.columns)
        for fieldname, col in cols.items():
            seen.setdefault(fieldname, col)
        rename = {c: seen[f] for f, c in cols.items() if seen[f] != c}
        names[part.name] = {str(new): str(old) for old, new in rename.items()}
        frame = part.frame.rename(columns=rename)
        renamed.append(frame.loc[:, ~frame.columns.duplicated()])
        notes += [f"{part.name}: {n}" for n in part.notes]
        pre += [(*p[:4], part.name) for p in part.pre_rejected]
    counts = ", ".join(f"'{p.name}' ({len(p.frame)} rows)" for p in parts)
    notes.insert(0, f"read {len(parts)} {what}s: {counts}.")
    with_geometry = [p.coords is not None for p in parts]
    if any(with_geometry) and not all(with_geometry):
        raise DataError(
            f"the {what}s mix point geometries and coordinate columns; give one kind.", file=name
        )
    coords = None
    if all(with_geometry):
        coords = (
            np.concatenate([p.coords[0] for p in parts if p.coords is not None]),
            np.concatenate([p.coords[1] for p in parts if p.coords is not None]),
        )
    return Parsed(
        frame=pd.concat(renamed, ignore_index=True, sort=False),
        rows=np.concatenate([np.asarray(p.rows, dtype=np.int64) for p in parts]),
        notes=notes,
        coords=coords,
        pre_rejected=pre,
        name=name,
        row_files=np.concatenate([np.full(len(p.frame), p.name, dtype=object) for p in parts]),
        column_names={k: v for k, v in names.items() if v},
    )


__all__ = [
    "HEADER_SEARCH_ROWS",
    "Parsed",
    "combine_parts",
    "find_header",
    "read_workbook",
    "two_row_header",
    "unique_names",
]
