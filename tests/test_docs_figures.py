"""The table of docs/how-figures-are-computed.md is the one docs/figures_table.py writes.

No number in it is typed by hand: the script runs one audit per case and
rewrites the table between the markers. This test checks that the document
holds the script's table (its header and one row per case, in order); the
numbers themselves are regenerated with ``python docs/figures_table.py``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _script():
    spec = importlib.util.spec_from_file_location("figures_table", DOCS / "figures_table.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def test_the_document_holds_the_scripts_table():
    script = _script()
    doc = script.DOC.read_text(encoding="utf-8")
    assert doc.count(script.BEGIN) == 1 and doc.count(script.END) == 1
    body = doc.split(script.BEGIN, 1)[1].split(script.END, 1)[0].strip().splitlines()
    rows = [line for line in body if line.startswith("| ") and not line.startswith("| what")]
    assert [r.split(" | ")[0].removeprefix("| ") for r in rows] == [c[0] for c in script.CASES]
    assert all(r.count(" %") >= 2 for r in rows)


def test_rewrite_replaces_only_the_table():
    script = _script()
    doc = f"before\n{script.BEGIN}\nold\n{script.END}\nafter\n"
    assert script.rewrite(doc, "new") == f"before\n{script.BEGIN}\nnew\n{script.END}\nafter\n"
