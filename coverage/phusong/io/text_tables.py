"""Delimited text tables: decoding, the delimiter, pyarrow parsing with line numbers.

Shared by the readers of sites (:mod:`phusong.io.sites`) and of measurements
(:mod:`phusong.io.measurements`), so that both accept the same encodings
(UTF-8, UTF-16 with or without a byte-order mark, Windows-1258), refuse the
same non-tables, choose the delimiter the same way and number rows as the
file's lines.
"""

from __future__ import annotations

import io
import logging
import unicodedata
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from phusong.errors import DataError
from phusong.io.files import RawInput

log = logging.getLogger(__name__)

#: Delimiters tried, in order of preference when they fit equally well.
DELIMITERS = (",", ";", "\t", "|")


#: The formats the site reader accepts, named when a file is not a table.
SITE_FORMATS = "a CSV, XLSX, GeoJSON, GeoPackage, GeoParquet or zipped Shapefile"


def decode_text_table(raw: RawInput, formats: str = SITE_FORMATS) -> tuple[bytes, list[str]]:
    """UTF-8 bytes of a text table (byte-order mark removed) and notes on how it was read.

    UTF-16 with or without a byte-order mark and Windows-1258 (Vietnamese) are
    converted; binary content and web pages are a :class:`DataError` that
    names the ``formats`` the calling reader accepts.
    """
    data = raw.data
    notes: list[str] = []
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            data = data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError as exc:
            raise DataError(f"the file claims UTF-16 but is not ({exc}).", file=raw.name) from exc
        notes.append("file read as UTF-16.")
    elif (encoding := utf16_without_bom(data[:65536])) is not None:
        try:
            data = data.decode(encoding).encode("utf-8")
        except UnicodeDecodeError as exc:
            raise DataError(
                f"the file looks like UTF-16 without a byte-order mark but is not ({exc}); "
                "save it as UTF-8.",
                file=raw.name,
            ) from exc
        notes.append(f"file read as UTF-16 ({encoding[-2:].upper()}, no byte-order mark).")
    if data[:3] == b"\xef\xbb\xbf":
        data = data[3:]
    sample = data[:65536]
    if b"\x00" in sample or control_fraction(sample) > 0.01:
        raise DataError(
            f"this is not a table (binary content). Give {formats}.",
            file=raw.name,
        )
    stripped = sample.lstrip().lower()
    if stripped.startswith((b"<!doctype", b"<html", b"<?xml", b"<head", b"<body", b"<")):
        raise DataError(
            "this looks like a web page or XML, not a table (a download that returned an HTML "
            "page?). Download the raw CSV file.",
            file=raw.name,
        )
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        text = unicodedata.normalize("NFC", data.decode("cp1258", errors="replace"))
        data = text.encode("utf-8")
        notes.append(
            "file is not UTF-8: read as Windows-1258 (Vietnamese); save as UTF-8 to be sure."
        )
    return data, notes


def utf16_without_bom(sample: bytes) -> str | None:
    """``"utf-16-le"`` / ``"utf-16-be"`` for UTF-16 text without a byte-order mark, else ``None``.

    Text in a Latin script written as UTF-16 has a zero byte in every other
    position (the high byte of each ASCII character); Vietnamese letters
    outside ASCII keep most of them. Half or more zero bytes on one side and
    almost none on the other is taken as UTF-16.
    """
    n = len(sample) // 2 * 2
    if n < 8:
        return None
    arr = np.frombuffer(sample[:n], dtype=np.uint8).reshape(-1, 2)
    zero_even, zero_odd = (arr[:, 0] == 0).mean(), (arr[:, 1] == 0).mean()
    if zero_odd > 0.5 and zero_even < 0.05:
        return "utf-16-le"
    if zero_even > 0.5 and zero_odd < 0.05:
        return "utf-16-be"
    return None


def control_fraction(sample: bytes) -> float:
    """Share of control bytes (other than tab, line feed, carriage return) in ``sample``."""
    if not sample:
        return 0.0
    arr = np.frombuffer(sample, dtype=np.uint8)
    ctrl = (arr < 32) & (arr != 9) & (arr != 10) & (arr != 13)
    return float(ctrl.mean())


def sniff_delimiter(lines: list[str]) -> str:
    """Choose the delimiter whose count is the same on the header and most lines."""
    best, best_score = ",", (-1.0, 0)
    for rank, d in enumerate(DELIMITERS):
        counts = [count_outside_quotes(line, d) for line in lines]
        if not counts or counts[0] == 0:
            continue
        agree = sum(c == counts[0] for c in counts) / len(counts)
        score = (agree, -rank if d != "," else 1)
        if score > best_score:
            best, best_score = d, score
    return best


def count_outside_quotes(line: str, d: str) -> int:
    """How many times ``d`` occurs in ``line`` outside double quotes."""
    if '"' not in line:
        return line.count(d)
    parts = line.split('"')
    return sum(p.count(d) for p in parts[::2])


def line_rows(data: bytes, offset: int = 0) -> np.ndarray:
    """1-based numbers of the non-blank physical lines (vectorised), after ``offset`` lines."""
    arr = np.frombuffer(data, dtype=np.uint8)
    nl = np.flatnonzero(arr == 10)
    starts = np.concatenate(([0], nl + 1))
    ends = np.concatenate((nl, [len(arr)]))
    length = ends - starts
    # a line holding only '\r' counts as blank
    only_cr = (length == 1) & (arr[np.minimum(starts, max(len(arr) - 1, 0))] == 13)
    nonblank = (length > 0) & ~only_cr
    return np.flatnonzero(nonblank).astype(np.int64) + 1 + offset


def read_delimited(
    data: bytes,
    delim: str,
    names: list[str],
    *,
    header: bool,
    shown: str,
    line_offset: int = 0,
) -> tuple[pd.DataFrame, np.ndarray] | None:
    """Parse UTF-8 delimited text with pyarrow (typed, multi-threaded).

    Parameters
    ----------
    data : bytes
        The text (from :func:`decode_text_table`).
    delim : str
        Delimiter (:func:`sniff_delimiter`).
    names : list of str
        Column names (unique).
    header : bool
        Whether the first line is a header (skipped).
    shown : str
        The file's name, for the log.
    line_offset : int
        Lines removed before ``data`` (comments), added to the line numbers.

    Returns
    -------
    (DataFrame, ndarray) or None
        The table and each row's 1-based line number in the file; ``None``
        when pyarrow cannot parse it or its rows are not one per line (quoted
        line breaks, ragged rows): the caller then parses with :mod:`csv`.
    """
    invalid: list[Any] = []

    def handler(row: Any) -> str:
        invalid.append(row)
        return "skip"

    def read(types: dict[str, Any] | None) -> pa.Table:
        return pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(
                column_names=names, skip_rows=1 if header else 0, block_size=1 << 24
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delim, invalid_row_handler=handler, newlines_in_values=False
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=types, strings_can_be_null=True, quoted_strings_can_be_null=True
            ),
        )

    try:
        try:
            table = read(None)
        except pa.ArrowInvalid:  # a type inferred from the first block fails later
            invalid.clear()
            table = read({n: pa.string() for n in names})
    except (pa.ArrowInvalid, pa.ArrowException) as exc:
        log.debug("pyarrow could not parse %s (%s); falling back to csv", shown, exc)
        return None
    if invalid:
        return None
    rows = line_rows(data, line_offset)
    if header:
        rows = rows[1:]
    if len(rows) != table.num_rows:  # quoted line breaks: rows are not lines
        return None
    frame = table.to_pandas(
        types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get,
        split_blocks=True,
        self_destruct=True,
    )
    return frame, rows


__all__ = [
    "DELIMITERS",
    "SITE_FORMATS",
    "control_fraction",
    "count_outside_quotes",
    "decode_text_table",
    "line_rows",
    "read_delimited",
    "sniff_delimiter",
    "utf16_without_bom",
]
