"""The "calibration" section of an audit's ``report.html`` (only when one was applied).

Kept apart from :mod:`phusong.output.calibration` (the calibration's own
report), which uses :mod:`phusong.output.report`'s template environment:
:mod:`phusong.output.report` imports this module, and nothing here imports it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from phusong.calibration.text import text
from phusong.i18n import current_language, fmt_decimal, fmt_int


def table_number(value: Any, lang: str, decimals: int = 1) -> str:
    """Format a number for a table cell (the locale's decimal mark), ``–`` when missing."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return fmt_decimal(value, lang, decimals)


def calibration_section(
    summary: Mapping[str, Any], lang: str | None = None
) -> dict[str, Any] | None:
    """Build the "calibration" section of an audit's report (``None`` when none was applied)."""
    record = summary.get("calibration")
    if not record:
        return None
    code = current_language(lang)
    rows = []
    for g in record.get("groups", []):
        rows.append([
            f"{g['operator']} {g['band']} ({g['scenario']})", table_number(g["pl_offset_db"], code, 2),
            table_number(g["pl_slope_db_per_decade"], code, 2), fmt_int(g.get("n_points", 0), code),
            table_number(g.get("rmse_before_db"), code), table_number(g.get("rmse_after_db"), code),
            fmt_int(g.get("cells") or 0, code),
        ])  # fmt: skip
    file = record.get("file") or {}
    return {
        "title": text("audit_section", code),
        "text": text("audit_text", code)
        + str(record.get("sentence" if code == "en" else "sentence_vi", "")),
        "cells": text(
            "audit_cells",
            code,
            calibrated=fmt_int(record.get("cells_calibrated") or 0, code),
            cells=fmt_int(record.get("cells") or 0, code),
        ),
        "file": [file.get("name", ""), file.get("sha256", "")],
        "caveats": list(record.get("caveats" if code == "en" else "caveats_vi", [])),
        "headers": [
            (text("col_group", code), False),
            (text("col_offset", code), True),
            (text("col_slope", code), True),
            (text("col_points", code), True),
            (text("col_rmse_before", code), True),
            (text("col_rmse_after", code), True),
            (text("col_cells", code), True),
        ],
        "rows": rows,
    }


__all__ = ["calibration_section", "table_number"]
