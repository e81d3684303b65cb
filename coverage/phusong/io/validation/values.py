"""Vectorised parsing and grouping of raw column values.

The checkers never loop over rows in Python: numbers are parsed in Arrow,
and functions of text values are applied to the few distinct values of a
column (:func:`factor_codes`) or of a group of columns (:func:`group_rows`)
and broadcast back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: A number as text: sign, digits with an optional point, optional exponent.
NUMBER_RE = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"


def parse_numbers(series: pd.Series) -> tuple[np.ndarray, np.ndarray, int]:
    """Parse a column as float64, vectorised.

    Parameters
    ----------
    series : Series
        Raw column: numbers, or text with a decimal point or a decimal comma.

    Returns
    -------
    values : numpy.ndarray
        float64, NaN where missing or bad.
    bad : numpy.ndarray
        Mask of the *bad* values: text that is not a number, or ±inf.
    commas : int
        Number of values written with a decimal comma (read as a point).
    """
    if pd.api.types.is_bool_dtype(series.dtype) or pd.api.types.is_numeric_dtype(series.dtype):
        values = np.array(series.to_numpy(dtype="float64", na_value=np.nan), copy=True)
        bad = np.isinf(values)
        values[bad] = np.nan
        return values, bad, 0
    # Text: parsed in Arrow (regex-validated, then cast), no Python per value.
    arr = pa.array(series.astype("string").array)
    text = pc.utf8_trim_whitespace(arr)
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    comma = pc.fill_null(pc.match_substring_regex(text, r"^[+-]?\d*,\d+$"), False)
    n_comma = pc.sum(comma).as_py() or 0
    if n_comma:
        text = pc.if_else(comma, pc.replace_substring(text, ",", "."), text)
    valid = pc.fill_null(pc.match_substring_regex(text, NUMBER_RE), False)
    parsed = pc.cast(pc.if_else(valid, text, pa.scalar(None, pa.string())), pa.float64())
    values = np.array(parsed.to_numpy(zero_copy_only=False), dtype="float64", copy=True)
    present = np.asarray(pc.is_valid(text).to_numpy(zero_copy_only=False), dtype=bool)
    bad = present & ~np.asarray(valid.to_numpy(zero_copy_only=False), dtype=bool)
    values[bad] = np.nan
    return values, bad, int(n_comma)


def as_text(series: pd.Series) -> pd.Series:
    """Column as stripped text (integral floats without '.0'), ``<NA>`` when empty.

    The result has a fresh 0…n−1 index.
    """
    if pd.api.types.is_float_dtype(series.dtype):
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        finite = np.isfinite(values)
        if np.all(values[finite] == np.round(values[finite])):
            series = pd.Series(pd.array(values, dtype="Float64").astype("Int64"))
    out = series.astype("string").str.strip()
    return out.mask(out == "").reset_index(drop=True)


def factor_codes(series: Any, func: Callable[[Any], object]) -> tuple[np.ndarray, np.ndarray]:
    """Apply ``func`` to each distinct value and broadcast back, with the codes.

    Parameters
    ----------
    series : Series or array
        Values to map; missing values are mapped as ``func(None)``.
    func : callable
        Function of one distinct value.

    Returns
    -------
    mapped : numpy.ndarray
        Object array, ``func`` of each row's value.
    codes : numpy.ndarray
        Code of each row's distinct value (missing = -1).
    """
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    mapped = np.array([func(u) for u in uniques] + [func(None)], dtype=object)
    return mapped[codes], codes


def factor_map(series: Any, func: Callable[[Any], object]) -> np.ndarray:
    """Apply ``func`` to each distinct value of ``series`` and broadcast back.

    Like :func:`factor_codes`, without the codes.
    """
    return factor_codes(series, func)[0]


def group_rows(*arrays: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group rows by several columns.

    Parameters
    ----------
    *arrays : numpy.ndarray
        Columns of equal length; small-range integers are combined without
        hashing, other values through their distinct values.

    Returns
    -------
    codes : numpy.ndarray
        Group of each row (0…k−1, in order of first appearance).
    first : numpy.ndarray
        Position of the first row of each group.
    """
    combined = np.zeros(len(arrays[0]), dtype=np.int64)
    span = 1
    for column in arrays:
        arr = np.asarray(column)
        lo = int(arr.min()) if arr.dtype.kind in "biu" and arr.size else 0
        hi = int(arr.max()) if arr.dtype.kind in "biu" and arr.size else 0
        if arr.dtype.kind in "biu" and hi - lo < 2**20:
            codes, size = arr.astype(np.int64) - lo, hi - lo + 1  # small integers: no hashing
        else:
            codes, uniques = pd.factorize(arr, use_na_sentinel=False)
            size = len(uniques) + 1
        if span * size >= 2**62:  # keep the combined key in int64
            combined, _ = pd.factorize(combined)
            span = int(combined.max(initial=0)) + 1
        combined = combined * size + codes
        span *= size
    group, distinct = pd.factorize(combined)
    first = np.full(len(distinct), -1, dtype=np.int64)
    first[group[::-1]] = np.arange(len(group) - 1, -1, -1)
    return group, first


def is_none(values: np.ndarray) -> np.ndarray:
    """Elementwise ``is None`` of an object array holding str/None (vectorised)."""
    return np.asarray(np.equal(values, np.array(None, dtype=object)), dtype=bool)


def take_strings(uniques: Iterable[object], codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """Build the pandas ``string`` array ``uniques[codes]`` (None -> <NA>) in Arrow.

    Parameters
    ----------
    uniques : sequence
        Distinct values, shown with ``str``.
    codes : numpy.ndarray
        Index into ``uniques`` of each row.
    """
    dictionary = pa.array([None if u is None else str(u) for u in uniques], type=pa.string())
    return pd.array(dictionary.take(pa.array(np.asarray(codes, dtype=np.int64))), dtype="string")


def string_array(values: Any) -> pd.api.extensions.ExtensionArray:
    """Build a pandas ``string`` array from an object array via its distinct values.

    Missing values (None, NaN, ``<NA>``) become ``<NA>``.
    """
    codes, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=True)
    dictionary = pa.array([str(u) for u in uniques], type=pa.string())
    taken = dictionary.take(pa.array(codes, mask=codes < 0))
    return pd.array(taken, dtype="string")


@dataclass
class Groups:
    """Rows grouped by the values of several columns (see :func:`group_rows`).

    Attributes
    ----------
    codes : numpy.ndarray
        Group of each row.
    first : numpy.ndarray
        Position of the first row of each group.
    """

    codes: np.ndarray
    first: np.ndarray

    @classmethod
    def of(cls, *arrays: np.ndarray) -> Groups:
        """Group rows by the columns given."""
        return cls(*group_rows(*arrays))

    def __len__(self) -> int:
        """Return the number of groups."""
        return len(self.first)
