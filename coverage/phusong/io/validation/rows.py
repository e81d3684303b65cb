"""The row state that every checker updates.

A :class:`RowState` holds the raw table, the column mapping, the mask of rows
still accepted and the two issue collectors (rejections and notes). Each
checker reads columns through it (:meth:`RowState.numbers`), rejects rows with
:meth:`RowState.reject` and adds notes; nothing is reported until the end.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from phusong.io.validation.columns import CANONICAL_UNITS, HINTS
from phusong.io.validation.report import Issues
from phusong.io.validation.units import conversion_for
from phusong.io.validation.values import parse_numbers


@dataclass
class RowState:
    """Rows of one input table while they are checked.

    Attributes
    ----------
    source : str
        File name used in messages.
    table : DataFrame
        Raw input (index 0…n−1).
    cols : dict
        Canonical field -> input column (:func:`map_columns`).
    rows : numpy.ndarray
        1-based source row of each table row.
    ok : numpy.ndarray
        Mask of the rows still accepted. After :func:`select_radios`, only
        rows in the radio selection.
    rejected : Issues
        Row-level problems (the rows are left out).
    notes : Issues
        Non-fatal fixes, by row or for the whole file.
    selected : numpy.ndarray
        Rows kept by the radio filter that passed the radio checks (every
        row until :func:`select_radios` runs).
    rejected_before_filter : int
        Rows rejected before the radio filter.
    filtered : dict
        Radio technology -> rows left out by the radio filter.
    units : dict
        Field -> unit its header declares (:func:`recognise_columns`); the
        values are converted to the canonical unit by :meth:`numbers`.
    row_files : numpy.ndarray or None
        Source name of each row when the table joins several sources (the
        sheets of a workbook, the tables of a zip); ``None``: all ``source``.
    column_names : dict
        Per source, the table's column -> that source's name for it.
    """

    source: str
    table: pd.DataFrame
    cols: dict[str, object]
    rows: np.ndarray
    ok: np.ndarray
    selected: np.ndarray
    rejected: Issues = field(default_factory=Issues)
    notes: Issues = field(default_factory=Issues)
    rejected_before_filter: int = 0
    filtered: dict[str, int] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    row_files: np.ndarray | None = None
    unit_noted: set[str] = field(default_factory=set)
    column_names: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def start(
        cls,
        table: pd.DataFrame,
        cols: dict[str, object],
        rows: np.ndarray,
        source: str,
        file_notes: Iterable[str] = (),
        *,
        units: dict[str, str] | None = None,
        row_files: np.ndarray | None = None,
        column_names: dict[str, dict[str, str]] | None = None,
    ) -> RowState:
        """Every row accepted, the reader's whole-file notes recorded."""
        n = len(table)
        state = cls(source, table, cols, rows, np.ones(n, dtype=bool), np.ones(n, dtype=bool))
        state.units = dict(units or {})
        state.row_files = row_files
        state.column_names = dict(column_names or {})
        for text in file_notes:
            state.notes.add(None, None, text)
        return state

    @property
    def n(self) -> int:
        """Rows in the table."""
        return len(self.table)

    def col_name(self, key: str) -> str:
        """Name of the input column of field ``key`` (which must be present)."""
        return str(self.cols[key])

    def raw(self, key: str) -> pd.Series:
        """Raw input column of field ``key`` (which must be present)."""
        return self.table[self.cols[key]]

    def reject(
        self,
        mask_or_pos: np.ndarray,
        column: object,
        reason: str | np.ndarray,
        values: pd.Series | np.ndarray | None = None,
    ) -> None:
        """Record a problem for the rows given and leave them out.

        Parameters are those of :meth:`Issues.add`; the rows (a mask or
        positions) should be among the accepted ones.
        """
        pos = self.rejected.add(mask_or_pos, column, reason, values)
        self.ok[pos] = False

    def numbers(self, key: str) -> np.ndarray:
        """Parse the column of field ``key`` (present) as numbers.

        Accepted rows whose value is text but not a number are rejected; a
        note counts the values written with a decimal comma.

        Returns
        -------
        numpy.ndarray
            float64, NaN where missing or not a number.
        """
        name = self.col_name(key)
        raw = self.raw(key)
        values, bad, commas = parse_numbers(raw)
        bad &= self.ok
        if bad.any():
            self.reject(
                bad, name, f"not a number; '{name}' holds the {HINTS.get(key, 'value')}.", raw
            )
        if commas:
            self.notes.add(
                None,
                name,
                f"{commas} value(s) written with a decimal comma (e.g. '105,85') were read "
                "with a decimal point.",
            )
        return self.in_canonical_unit(key, values)

    def in_canonical_unit(self, key: str, values: np.ndarray) -> np.ndarray:
        """Convert values of field ``key`` from the unit its header declares (noted once).

        Values that cannot be converted (a power of 0 W or less) are rejected;
        a header unit the field cannot have is noted and ignored.
        """
        unit, name = self.units.get(key), self.col_name(key)
        first = key not in self.unit_noted
        self.unit_noted.add(key)
        try:
            conversion = conversion_for(key, unit)
        except KeyError:
            if first:
                self.notes.add(
                    None,
                    name,
                    f"unit '{unit}' is not a unit of the {HINTS.get(key, key)}; the values are "
                    f"taken as {CANONICAL_UNITS[key]}. Fix the header if that is wrong.",
                )
            return values
        if conversion is None:
            return values
        if conversion.positive:
            self.reject(
                self.ok & (values <= 0),
                name,
                f"a power in {unit} must be positive to be converted to {CANONICAL_UNITS[key]}.",
                self.raw(key),
            )
        if first:
            self.notes.add(
                None,
                name,
                f"values in {unit} converted to {CANONICAL_UNITS[key]} ({conversion.formula}).",
            )
        return conversion.apply(values)

    def optional_numbers(self, key: str) -> np.ndarray | None:
        """:meth:`numbers`, or ``None`` when the table has no column for ``key``."""
        return self.numbers(key) if key in self.cols else None
