"""Read per-ward scenario overrides of the ``planning`` model (``--scenarios FILE``).

The file is a CSV (UTF-8, with or without a byte-order mark) with two
columns: the ward (``ward_id``, ``ward``, ``name`` or ``ward_name``: an id
from ``wards.csv`` or a name, e.g. ``Xã Ba Vì`` or ``Ba Vì``) and the
scenario (``scenario``: ``uma``, ``umi`` or ``rma``, any case)::

    ward,scenario
    Xã Ba Vì,rma
    Xã Sóc Sơn,uma

Unknown wards are refused when the audit matches the file against its wards
(:func:`phusong.scenario.resolve_overrides`); this reader checks the file
itself and reports every bad row with its row number, column and the fix.
"""

from __future__ import annotations

import io
import unicodedata
from typing import Any

import pandas as pd

from phusong.errors import DataError, Problem
from phusong.io.files import load_input

#: Accepted headers of the ward column (first match wins), compared without case.
WARD_HEADERS = ("ward_id", "ward", "name", "ward_name", "phuong_xa", "xa_phuong")
#: Accepted header of the scenario column.
SCENARIO_HEADERS = ("scenario", "kich_ban")
#: The scenarios a row may give.
VALID = ("uma", "umi", "rma")


def _key(text: Any) -> str:
    norm = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return norm.strip().lower().replace(" ", "_").replace("-", "_")


def read_scenario_overrides(source: Any) -> dict[str, str]:
    """Read a scenario override file into ``{ward id or name: scenario}``.

    Parameters
    ----------
    source : path, bytes or file object
        The CSV.

    Returns
    -------
    dict
        Ward (as written) -> ``"uma"``, ``"umi"`` or ``"rma"``.

    Raises
    ------
    DataError
        The file is not a readable CSV, lacks a column, or has bad rows (every
        problem listed with row and column).
    """
    raw = load_input(source)
    try:
        frame = pd.read_csv(io.BytesIO(raw.data), dtype=str, encoding="utf-8-sig")
    except (ValueError, UnicodeDecodeError) as exc:
        raise DataError(f"not a readable CSV ({exc}).", file=raw.name) from exc
    by_key = {_key(c): c for c in frame.columns}
    ward_col = next((by_key[k] for k in WARD_HEADERS if k in by_key), None)
    scen_col = next((by_key[k] for k in SCENARIO_HEADERS if k in by_key), None)
    if ward_col is None or scen_col is None:
        raise DataError(
            "a scenario file needs two columns: 'ward' (ward id or name) and 'scenario' "
            f"(uma, umi or rma); found {', '.join(map(str, frame.columns)) or 'none'}.",
            file=raw.name,
        )
    problems: list[Problem] = []
    out: dict[str, str] = {}
    for i, (ward, scen) in enumerate(zip(frame[ward_col], frame[scen_col], strict=True)):
        row = i + 2  # header = row 1
        if pd.isna(ward) or not str(ward).strip():
            problems.append(Problem(raw.name, row, ward_col, "empty ward; give a ward id or name."))
            continue
        value = str(scen).strip().lower() if not pd.isna(scen) else ""
        if value not in VALID:
            problems.append(
                Problem(raw.name, row, scen_col, f"scenario {scen!r} is not one of uma, umi, rma.")
            )
            continue
        ward_text = str(ward).strip()
        if ward_text in out and out[ward_text] != value:
            problems.append(
                Problem(
                    raw.name,
                    row,
                    ward_col,
                    f"{ward_text!r} is given twice with different scenarios.",
                )
            )
            continue
        out[ward_text] = value
    if problems:
        raise DataError(problems)
    return out


__all__ = ["SCENARIO_HEADERS", "WARD_HEADERS", "read_scenario_overrides"]
