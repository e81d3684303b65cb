"""Check and normalise site tables; report every rejected row and every fix.

:func:`validate_sites` turns a raw table (as parsed from a file by
:mod:`phusong.io.sites`, or given in memory) into the canonical site table of
:data:`phusong.schema.SITE_COLUMNS`, and a :class:`ValidationReport` that
lists, with file, row, column, reason and value:

- the *rejected* rows (row-level problems: the row is left out, the others go on),
- the *notes*: non-fatal fixes (swapped latitude/longitude put back, default
  range, frequency inferred from the operator's spectrum, decimal commas…),
- the rows *filtered* out by the radio filter (counted, never silent).

One module per concern, each with short vectorised checkers that update a
shared :class:`~phusong.io.validation.rows.RowState`; :func:`validate_sites`
(in :mod:`~phusong.io.validation.core`) runs them in order and reports once:

- :mod:`~phusong.io.validation.columns`: column recognition, limits, hints;
- :mod:`~phusong.io.validation.radio`: radio technology and the radio filter;
- :mod:`~phusong.io.validation.coordinates` and
  :mod:`~phusong.io.validation.study_area`: positions;
- :mod:`~phusong.io.validation.operators`: MCC, MNC and operator;
- :mod:`~phusong.io.validation.frequency`: frequency, band and bandwidth;
- :mod:`~phusong.io.validation.link`: height, azimuth, beamwidth, tilt, EIRP, range;
- :mod:`~phusong.io.validation.identifiers`: cell and site ids, duplicates;
- :mod:`~phusong.io.validation.report` and
  :mod:`~phusong.io.validation.assemble`: the report and the site table.

Everything is vectorised over the rows; only the few distinct values of a
column (operators, bands, radios) are looked at one by one.
"""

from __future__ import annotations

from phusong.io.validation.columns import (
    CANDIDATES,
    KNOWN_NAMES,
    OPENCELLID_COLUMNS,
    map_columns,
    normalise_column_name,
)
from phusong.io.validation.core import OnInvalid, check_on_invalid, validate_sites
from phusong.io.validation.radio import normalise_radio, radio_selection
from phusong.io.validation.report import ISSUE_COLUMNS, ValidationReport
from phusong.io.validation.study_area import MAX_DISTANCE_KM, distance_outside_km, study_bounds

__all__ = [
    "CANDIDATES",
    "ISSUE_COLUMNS",
    "KNOWN_NAMES",
    "MAX_DISTANCE_KM",
    "OPENCELLID_COLUMNS",
    "OnInvalid",
    "ValidationReport",
    "check_on_invalid",
    "distance_outside_km",
    "map_columns",
    "normalise_column_name",
    "normalise_radio",
    "radio_selection",
    "study_bounds",
    "validate_sites",
]
