"""The validation report and the issues table it is built from.

:class:`Issues` collects problems as arrays of row positions while the
checkers run (vectorised: one entry per check, not per row); its
:meth:`Issues.frame` turns them into the issues table of
:data:`ISSUE_COLUMNS`, and :class:`ValidationReport` carries the rejected
rows, the notes and the counts to the caller.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from phusong.errors import DataError, Problem, render_message

#: Columns of :attr:`ValidationReport.rejected` and :attr:`ValidationReport.notes`.
ISSUE_COLUMNS = ("file", "row", "column", "reason", "value")


def _empty_issues() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "file": pd.array([], dtype="string"),
            "row": pd.array([], dtype="Int64"),
            "column": pd.array([], dtype="string"),
            "reason": pd.array([], dtype="string"),
            "value": pd.array([], dtype="string"),
        }
    )


@dataclass
class ValidationReport:
    """What happened to every row of one input.

    Attributes
    ----------
    file : str
        File name (``"<table>"`` for an in-memory table).
    rows_read : int
        Data rows in the input.
    rows_accepted : int
        Rows in the returned table.
    rows_rejected : int
        Rows left out because of a problem (see :attr:`rejected`).
    rows_filtered : int
        Rows left out by the radio filter (see :attr:`filtered`); not errors.
    filtered : dict
        Radio technology -> rows filtered out.
    radio : tuple of str or None
        The radio selection (``None`` = all).
    rejected : DataFrame
        One row per problem: ``file, row, column, reason, value``. A rejected
        input row can have several problems. ``row`` is 1-based as a
        spreadsheet shows it (header = row 1).
    notes : DataFrame
        Non-fatal fixes, same columns; ``row`` is ``<NA>`` for a note about the
        whole file.
    templates : dict
        Reason as shown (the Python API's words) -> the reason with its option
        references (``[[crs]]``), for the interfaces that name options their
        own way (:meth:`problems` keeps them).
    """

    file: str
    rows_read: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    rows_filtered: int = 0
    filtered: dict[str, int] = field(default_factory=dict)
    radio: tuple[str, ...] | None = ("NR",)
    rejected: pd.DataFrame = field(default_factory=_empty_issues)
    notes: pd.DataFrame = field(default_factory=_empty_issues)
    templates: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """``True`` when no row was rejected."""
        return self.rows_rejected == 0

    def problems(self) -> list[Problem]:
        """Return the rejected-row problems as :class:`phusong.errors.Problem` objects."""
        rej = self.rejected
        out = []
        for f, r, c, reason, v in zip(
            rej["file"], rej["row"], rej["column"], rej["reason"], rej["value"], strict=True
        ):
            value = "" if pd.isna(v) else f" (value: {v!r})"
            template = self.templates.get(str(reason))
            out.append(
                Problem(
                    str(f),
                    None if pd.isna(r) else int(r),
                    None if pd.isna(c) else str(c),
                    str(reason) + value,
                    None if template is None else template + value,
                )
            )
        return out

    def to_frame(self) -> pd.DataFrame:
        """Rejections, notes and filter counts in one table.

        Columns ``kind`` (``"rejected"``, ``"note"`` or ``"filtered"``),
        ``file``, ``row``, ``column``, ``reason``, ``value``.
        """
        filtered = pd.DataFrame(
            {
                "file": pd.array([self.file] * len(self.filtered), dtype="string"),
                "row": pd.array([pd.NA] * len(self.filtered), dtype="Int64"),
                "column": pd.array(["radio"] * len(self.filtered), dtype="string"),
                "reason": pd.array(
                    [
                        f"{n} {r} row{'s' if n != 1 else ''} left out by the radio filter "
                        f"({_radio_text(self.radio)})"
                        for r, n in self.filtered.items()
                    ],
                    dtype="string",
                ),
                "value": pd.array(list(self.filtered), dtype="string"),
            }
        )
        parts = []
        for kind, frame in (
            ("rejected", self.rejected),
            ("note", self.notes),
            ("filtered", filtered),
        ):
            if len(frame):
                part = frame.loc[:, list(ISSUE_COLUMNS)].copy()
                part.insert(0, "kind", pd.array([kind] * len(part), dtype="string"))
                parts.append(part)
        if not parts:
            empty = _empty_issues()
            empty.insert(0, "kind", pd.array([], dtype="string"))
            return empty
        return pd.concat(parts, ignore_index=True)

    def to_csv(self) -> bytes:
        """:meth:`to_frame` as UTF-8 CSV bytes (with a BOM, so Excel shows accents)."""
        return self.to_frame().to_csv(index=False).encode("utf-8-sig")

    def summary(self) -> str:
        """Return a few lines of text: counts, then the first problems and notes."""
        lines = [
            f"{self.file}: {self.rows_read} rows read, {self.rows_accepted} accepted, "
            f"{self.rows_rejected} rejected, {self.rows_filtered} filtered by radio "
            f"({_radio_text(self.radio)})."
        ]
        if self.filtered:
            lines.append(
                "Filtered: " + ", ".join(f"{r} {n}" for r, n in self.filtered.items()) + "."
            )
        for title, frame in (("Rejected", self.rejected), ("Notes", self.notes)):
            if len(frame):
                lines.append(f"{title} ({len(frame)}):")
                for rec in frame.head(10).itertuples(index=False):
                    where = f"row {rec.row}" if not pd.isna(rec.row) else "whole file"
                    col = f", column '{rec.column}'" if not pd.isna(rec.column) else ""
                    lines.append(f"  - {where}{col}: {rec.reason}")
                if len(frame) > 10:
                    lines.append(f"  … and {len(frame) - 10} more (see to_csv()).")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        """JSON-able summary: counts, filter and every rejection and note."""

        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return [
                {
                    k: (None if pd.isna(v) else (int(v) if k == "row" else str(v)))
                    for k, v in r.items()
                }
                for r in frame.loc[:, list(ISSUE_COLUMNS)].to_dict("records")
            ]

        out = {
            "file": self.file,
            "rows_read": int(self.rows_read),
            "rows_accepted": int(self.rows_accepted),
            "rows_rejected": int(self.rows_rejected),
            "rows_filtered": int(self.rows_filtered),
            "filtered": {str(k): int(v) for k, v in self.filtered.items()},
            "radio": None if self.radio is None else list(self.radio),
            "rejected": records(self.rejected),
            "notes": records(self.notes),
        }
        json.dumps(out)  # guarantee: JSON-able
        return out

    def raise_if_rejected(self) -> None:
        """Raise :class:`DataError` listing every rejected row, if any."""
        if self.rows_rejected:
            raise DataError(self.problems())


def _radio_text(radio: tuple[str, ...] | None) -> str:
    return "all radios" if radio is None else "radio " + "/".join(radio)


class Issues:
    """Issues collected as arrays of row positions (vectorised).

    Each :meth:`add` stores one check's result: the row positions, the
    column, the reason (one for all, or one per row) and the offending
    values. :meth:`frame` builds the issues table once, at the end.
    """

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray | None, str | None, Any, np.ndarray | None]] = []
        #: Reason as shown -> reason with option references (``[[key]]``).
        self.templates: dict[str, str] = {}

    def add(
        self,
        mask_or_pos: np.ndarray | None,
        column: object,
        reason: str | Sequence[str] | np.ndarray,
        values: pd.Series | np.ndarray | None = None,
    ) -> np.ndarray:
        """Record issues; ``mask_or_pos=None`` records one whole-file issue.

        Parameters
        ----------
        mask_or_pos : array of bool or int, or None
            Rows concerned: a mask over the table, or row positions.
        column : object
            Column named in the issue (``None``: no column).
        reason : str or array of str
            One reason for every row, or one per row (full length, or aligned
            with the positions).
        values : Series or array, optional
            Offending values (full length, or aligned with the positions).

        Returns
        -------
        numpy.ndarray
            The row positions recorded.
        """
        name = None if column is None else str(column)
        if mask_or_pos is None:
            self.parts.append((None, name, [reason], None))
            return np.empty(0, dtype=np.int64)
        pos = (
            np.flatnonzero(mask_or_pos)
            if mask_or_pos.dtype == bool
            else np.asarray(mask_or_pos, dtype=np.int64)
        )
        if len(pos) == 0:
            return pos
        if isinstance(reason, str):
            reasons: Any = [reason] * len(pos)
        else:
            reasons = np.asarray(reason, dtype=object)
            if len(reasons) != len(pos):
                reasons = reasons[pos]
        self.parts.append((pos, name, reasons, _values_at(values, pos)))
        return pos

    def _rendered(self, reasons: np.ndarray) -> np.ndarray:
        """Reasons in the API's words (see :func:`_render_reasons`)."""
        return _render_reasons(self, np.asarray(reasons, dtype=object))

    def frame(
        self,
        file: str,
        rows: np.ndarray,
        row_files: np.ndarray | None = None,
        column_names: dict[str, dict[str, str]] | None = None,
    ) -> pd.DataFrame:
        """Build the issues table: columns :data:`ISSUE_COLUMNS`, sorted by row.

        Parameters
        ----------
        file : str
            File name put in every issue.
        rows : numpy.ndarray
            1-based source row of each table row.
        row_files : numpy.ndarray, optional
            Source name of each table row (the sheet or zip member it came
            from); row-level issues name it instead of ``file``.
        column_names : dict, optional
            Per source, column -> that source's own name for it (row-level
            issues name the source's column).

        Returns
        -------
        DataFrame
            Whole-file issues first (``row`` is ``<NA>``), then by row; issues
            of one row in the order they were added.
        """
        if not self.parts:
            return _empty_issues()
        files, rws, cols, reasons, values, places = [], [], [], [], [], []
        for pos, col, rs, vals in self.parts:
            places.append(np.full(1, -1, dtype=np.int64) if pos is None else pos)
            k = 1 if pos is None else len(pos)
            if pos is None or row_files is None:
                files.append(np.full(k, file, dtype=object))
                cols.append(np.full(k, col, dtype=object))
            else:
                part_files = np.asarray(row_files, dtype=object)[pos]
                files.append(part_files)
                names = column_names or {}
                cols.append(
                    np.array(
                        [
                            col if col is None else names.get(f, {}).get(col, col)
                            for f in part_files
                        ],
                        dtype=object,
                    )
                )
            rws.append(np.full(1, -1, dtype=np.int64) if pos is None else rows[pos])
            reasons.append(np.asarray(rs, dtype=object))
            values.append(np.full(k, None, dtype=object) if vals is None else vals)
        row = np.concatenate(rws)
        out = pd.DataFrame(
            {
                "file": pd.array(np.concatenate(files), dtype="string"),
                "row": pd.array(np.where(row < 0, 0, row), dtype="Int64"),
                "column": pd.array(np.concatenate(cols), dtype="string"),
                "reason": pd.array(self._rendered(np.concatenate(reasons)), dtype="string"),
                "value": pd.Series(np.concatenate(values)).astype("string").array,
            }
        )
        out.loc[row < 0, "row"] = pd.NA
        # Several sources: table position orders rows within and across them.
        key = np.where(row < 0, -1, row) if row_files is None else np.concatenate(places)
        order = np.lexsort((np.arange(len(out)), key))
        return out.iloc[order].reset_index(drop=True)


def _render_reasons(issues: Issues, reasons: np.ndarray) -> np.ndarray:
    """Reasons in the API's words; remembers the templates of those with option references."""
    out = reasons.copy()
    for text in {r for r in reasons if isinstance(r, str) and "[[" in r}:
        shown = render_message(text)
        issues.templates[shown] = text
        out[reasons == text] = shown
    return out


def _values_at(values: pd.Series | np.ndarray | None, pos: np.ndarray) -> np.ndarray | None:
    """Offending values of the rows at ``pos`` as an object array.

    ``values`` is full length (indexed by ``pos``) or already aligned with it.
    """
    if values is None:
        return None
    subset = len(values) != len(pos)
    if isinstance(values, pd.Series):
        picked = values.iloc[pos] if subset else values
        return np.asarray(picked.to_numpy(dtype=object), dtype=object)
    arr = np.asarray(values, dtype=object)
    return arr[pos] if subset else arr


def drop_rejected(frame: pd.DataFrame, rejected_rows: np.ndarray) -> pd.DataFrame:
    """Drop row-level issues about rows that were rejected or filtered in the end.

    Parameters
    ----------
    frame : DataFrame
        An issues table (:meth:`Issues.frame`).
    rejected_rows : numpy.ndarray
        1-based source rows left out.

    Returns
    -------
    DataFrame
        The issues of the other rows and the whole-file issues.
    """
    row = frame["row"].to_numpy(dtype="float64", na_value=np.nan)
    keep = np.isnan(row) | ~np.isin(row, rejected_rows.astype("float64"))
    return frame.loc[keep].reset_index(drop=True)
