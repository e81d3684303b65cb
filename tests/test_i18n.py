"""phusong.i18n: both catalogues complete, number formats, the language choice, no stray English.

The catalogue tests are the issue's "done when": a user-visible English
message without a Vietnamese counterpart (or with other placeholders) fails
here, and so does an English sentence written straight into a module that
shows text to users instead of going through the catalogue.
"""

from __future__ import annotations

import ast
import datetime
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from phusong.errors import ConfigError
from phusong.i18n import (
    LANGUAGES,
    NBSP,
    current_language,
    fmt_date,
    fmt_decimal,
    fmt_int,
    fmt_km2,
    fmt_pct,
    fmt_people,
    fmt_points,
    placeholders,
    t,
    t_html,
)
from phusong.i18n.catalog import CATALOGUES

LIBRARY = Path(__file__).resolve().parents[1] / "coverage" / "phusong"

#: CLDR plural categories each language has (Unicode CLDR plural rules:
#: Vietnamese has only "other"; English "one" and "other").
PLURAL_CATEGORIES = {"vi": {"other"}, "en": {"one", "other"}}


@pytest.fixture(autouse=True)
def _no_language_from_the_environment(monkeypatch):
    monkeypatch.delenv("PHUSONG_LANG", raising=False)


# ----------------------------------------------------------------- catalogue


def _texts(message):
    return [message] if isinstance(message, str) else list(message.values())


def test_every_message_exists_in_vietnamese_and_english():
    en, vi = CATALOGUES["en"], CATALOGUES["vi"]
    assert set(LANGUAGES) == set(CATALOGUES) == {"vi", "en"}
    missing_vi = sorted(set(en) - set(vi))
    missing_en = sorted(set(vi) - set(en))
    assert not missing_vi, f"English messages without Vietnamese: {missing_vi}"
    assert not missing_en, f"Vietnamese messages without English: {missing_en}"
    assert len(en) > 200  # the whole library's text, not a token list


@pytest.mark.parametrize("lang", sorted(CATALOGUES))
def test_every_message_is_non_empty(lang):
    empty = [k for k, m in CATALOGUES[lang].items() if not all(x.strip() for x in _texts(m))]
    assert not empty, f"empty {lang} messages: {empty}"


def test_same_placeholders_in_both_languages():
    en, vi = CATALOGUES["en"], CATALOGUES["vi"]
    differ = {k: (placeholders(en[k]), placeholders(vi[k])) for k in en if k in vi}
    differ = {k: v for k, v in differ.items() if v[0] != v[1]}
    assert not differ, differ


@pytest.mark.parametrize("lang", sorted(CATALOGUES))
def test_plural_forms_are_the_languages_own(lang):
    for key, message in CATALOGUES[lang].items():
        if not isinstance(message, str):
            assert "other" in message, key
            assert set(message) <= PLURAL_CATEGORIES[lang], (key, set(message))


def test_markup_only_in_html_messages_and_the_same_tags():
    tag = re.compile(r"</?([a-z]+)\b")
    for lang, messages in CATALOGUES.items():
        for key, message in messages.items():
            for text in _texts(message):
                if not key.endswith("_html"):
                    assert not tag.search(text), (lang, key)
    for key in (k for k in CATALOGUES["en"] if k.endswith("_html")):
        en_tags = sorted(tag.findall(CATALOGUES["en"][key]))
        vi_tags = sorted(tag.findall(CATALOGUES["vi"][key]))
        assert en_tags == vi_tags, key


def test_vietnamese_uses_the_plain_words_for_officials():
    vi = " ".join(x for m in CATALOGUES["vi"].values() for x in _texts(m))
    for word in ("phường/xã", "trạm phát sóng", "tỷ lệ dân số được phủ sóng", "vùng lõm sóng"):
        assert word in vi, word
    # technical terms only in brackets: "SS-RSRP" is always explained nearby
    for key, message in CATALOGUES["vi"].items():
        for text in _texts(message):
            if "SS-RSRP" in text:
                assert "(SS-RSRP)" in text or "tín hiệu" in text, key


# ----------------------------------------------------------------- t()


def test_t_fills_placeholders_and_picks_plural_forms():
    assert t("verdict.label.no", "vi") == "CHƯA ĐẠT"
    assert t("unit.points", "en", value="13.9") == "13.9 points"
    assert t("plan.rounds", "en", n="1", count=1) == "1 round"
    assert t("plan.rounds", "en", n="2", count=2) == "2 rounds"
    assert t("plan.rounds", "vi", n="2", count=2) == "2 vòng"
    with pytest.raises(KeyError):
        t("no.such.message", "vi")
    with pytest.raises(KeyError):
        t("unit.points", "en")  # placeholder without a value


def test_a_missing_vietnamese_text_falls_back_to_english(monkeypatch, caplog):
    monkeypatch.setitem(CATALOGUES["en"], "test.only_en", "only in English")
    assert t("test.only_en", "vi") == "only in English"
    assert "no vi text" in caplog.text


def test_t_html_escapes_values_but_keeps_the_markup():
    out = t_html("report.method.tool_html", "en", version="<script>x</script>")
    assert "<code>summary.json</code>" in out
    assert "&lt;script&gt;" in out and "<script>" not in out


def test_current_language_argument_then_environment_then_default(monkeypatch):
    assert current_language() == "en"
    assert current_language(default="vi") == "vi"
    monkeypatch.setenv("PHUSONG_LANG", "vi_VN.UTF-8")
    assert current_language() == "vi"
    assert current_language("en") == "en"  # an explicit choice wins
    assert t("verdict.label.yes") == "ĐÃ ĐẠT"
    monkeypatch.setenv("PHUSONG_LANG", "fr")
    with pytest.raises(ConfigError, match=r"PHUSONG_LANG='fr'.*vi, en"):
        current_language()
    with pytest.raises(ConfigError, match="lang='de'"):
        current_language("de")


# ----------------------------------------------------------------- formats


def test_formats_match_the_examples():
    assert fmt_pct(85.16, "vi") == f"85,1{NBSP}%"
    assert fmt_pct(85.16, "en") == "85.1%"
    assert fmt_int(1315542, "vi") == "1.315.542"
    assert fmt_int(1315542, "en") == "1,315,542"
    assert fmt_people(1315542, "vi") == "1.315.542 người"
    assert fmt_people(1, "en") == "1 person" and fmt_people(2, "en") == "2 people"
    assert fmt_km2(3358.64, "vi") == f"3.358,6{NBSP}km²"
    assert fmt_km2(3358.64, "en") == f"3,358.6{NBSP}km²"
    assert fmt_points(13.94, "vi") == "13,9 điểm phần trăm"
    assert fmt_points(2.5, "en", sign=True) == "+2.5 points"
    assert fmt_points(-0.001, "en", 2, sign=True) == "0.00 points"  # no "+0.00", no "-0.00"
    assert fmt_pct(99, "vi", None) == f"99{NBSP}%" and fmt_pct(99.5, "en", None) == "99.5%"
    day = datetime.date(2025, 3, 12)
    assert fmt_date(day, "vi") == "ngày 12 tháng 3 năm 2025"
    assert fmt_date(day, "en") == "12 March 2025"
    assert fmt_date("2025-03-12", "vi", style="short") == "12/03/2025"


@pytest.mark.parametrize("missing", [None, float("nan"), float("inf"), "x"])
def test_missing_figures(missing):
    assert fmt_pct(missing, "vi") == "không rõ"
    assert fmt_int(missing, "en") == "n/a"
    assert fmt_people(missing, "vi") == "không rõ"


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_whole_numbers_group_thousands_like_python(n):
    # Independent reference: Python's own grouping, separators swapped for Vietnamese.
    assert fmt_int(n, "en") == f"{n:,}"
    assert fmt_int(n, "vi") == f"{n:,}".replace(",", ".")


@given(st.floats(min_value=0, max_value=100, allow_nan=False), st.integers(0, 3))
def test_percentages_are_rounded_down_never_up(value, decimals):
    for lang in ("vi", "en"):
        text = fmt_pct(value, lang, decimals)
        number = (
            float(text.replace(NBSP, "").rstrip("%").replace(".", "").replace(",", "."))
            if lang == "vi"
            else float(text.rstrip("%").replace(",", ""))
        )
        assert number <= value + 1e-6
        assert value - number < 10**-decimals + 1e-6


def test_rounding_down_keeps_a_ward_below_the_goal_below_it():
    assert fmt_pct(98.96, "vi") == f"98,9{NBSP}%"
    assert fmt_pct(98.9999, "en", 2) == "98.99%"
    assert fmt_decimal(98.96, "en", 1) == "99.0"  # plain numbers round to nearest


# ----------------------------------------------------------------- no stray English

#: Modules that write what users read; every sentence they show comes from the catalogue.
USER_TEXT_MODULES = ("cli.py", "output/text.py", "output/report.py", "output/maps.py",
                     "output/plan.py", "output/bundle.py", "output/tables.py")  # fmt: skip

#: Calls whose string arguments are not shown to users.
NOT_SHOWN = {"debug", "info", "warning", "error", "exception", "getLogger", "t", "t_html",
             "Template", "Element", "add_argument", "get", "startswith", "endswith", "split",
             "replace", "join", "fullmatch", "compile", "sub", "partition"}  # fmt: skip
#: English prose: at least two words of two letters or more separated by blanks.
PROSE = re.compile(r"[A-Za-z]{2,}[ ,;:]+[A-Za-z]{2,}")
#: Code and markup, not prose (JavaScript, CSS, HTML attributes).
CODE = re.compile(r"function|var |{%|<style|position:|font:|style=|class=|\bL\.|=>|{{|\d+px")


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def _exempt_constants(tree: ast.AST) -> set[int]:
    """Strings passed to calls that do not show them (logging, t() keys, parsing)."""
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = (
                node.func.attr
                if isinstance(node.func, ast.Attribute)
                else getattr(node.func, "id", "")
            )
            if name in NOT_SHOWN:
                for sub in ast.walk(node):
                    if isinstance(sub, ast.Constant):
                        ids.add(id(sub))
        if isinstance(node, ast.Subscript):  # dict["key words"]
            for sub in ast.walk(node.slice):
                if isinstance(sub, ast.Constant):
                    ids.add(id(sub))
    return ids


def english_literals(path: Path) -> list[tuple[int, str]]:
    """Prose-like string literals of a module that do not go through the catalogue."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    tree = ast.parse(source)
    skip = _docstrings(tree) | _exempt_constants(tree)
    found = []
    for node in ast.walk(tree):
        if (
            not isinstance(node, ast.Constant)
            or not isinstance(node.value, str)
            or id(node) in skip
        ):
            continue
        text = node.value
        # "i18n: identifier" on the literal's line or the three above marks a stable identifier
        near = lines[max(node.lineno - 4, 0) : node.lineno]
        marked = any("i18n: identifier" in line for line in near)
        if PROSE.search(text) and not CODE.search(text) and not marked:
            found.append((node.lineno, text))
    return found


@pytest.mark.parametrize("module", USER_TEXT_MODULES)
def test_no_english_sentence_bypasses_the_catalogue(module):
    found = english_literals(LIBRARY / module)
    assert not found, f"{module}: put these in phusong/i18n/catalog/ and use t(): {found}"


def test_the_literal_scan_sees_a_sentence(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text('def f():\n    """Doc string here."""\n    log.info("fine words here")\n'
                   '    return "Population covered: " + t("x.y")\n', encoding="utf-8")  # fmt: skip
    assert english_literals(bad) == [(4, "Population covered: ")]


def test_the_report_template_has_no_words_of_its_own():
    text = (LIBRARY / "output" / "templates" / "report.html.j2").read_text(encoding="utf-8")
    for pattern in (r"\{#.*?#\}", r"\{%.*?%\}", r"\{\{.*?\}\}", r"<style>.*?</style>", r"<[^>]*>"):
        text = re.sub(pattern, " ", text, flags=re.S)
    words = set(re.findall(r"[A-Za-zÀ-ỹ]{2,}", text)) - {"SHA"}
    assert not words, f"words in report.html.j2 outside the catalogue: {sorted(words)}"


# ----------------------------------------------------------------- command line in Vietnamese


@pytest.mark.slow
def test_cli_audit_prints_the_verdict_in_vietnamese(tmp_path, capsys, monkeypatch):
    from phusong.cli import main
    from phusong.io.sites import sample_sites_path

    args = ["audit", "--sites", str(sample_sites_path("sheet")), "--operator", "MobiFone",
            "--out", str(tmp_path / "vi")]  # fmt: skip
    assert main([*args, "--lang", "vi"]) == 0
    out = capsys.readouterr().out
    first = next(line for line in out.splitlines() if line and not line.startswith("!!"))
    assert first.startswith("CHƯA ĐẠT: 5G mới phủ") and "dân số của Hà Nội" in first
    assert "(tính theo dân số)" in out and "Các phường/xã kéo tỷ lệ chung xuống" in out
    assert "DỮ LIỆU MẪU GIẢ LẬP (SYNTHETIC)" in out
    assert "NOT YET" not in out and "population-weighted" not in out
    assert re.search(r"\d\.\d{3}\.\d{3} người", out)  # 4.165.685 người: Vietnamese grouping
    page = (tmp_path / "vi" / "report.html").read_text(encoding="utf-8")
    assert '<html lang="vi">' in page and "CHƯA ĐẠT" in page
    # PHUSONG_LANG chooses too, and --lang wins over it
    monkeypatch.setenv("PHUSONG_LANG", "vi")
    assert main(["audit", *args[1:-1], str(tmp_path / "env"), "--quiet", "--lang", "en"]) == 0
    page = (tmp_path / "env" / "report.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in page and "NOT YET" in page


def test_cli_help_and_errors_in_vietnamese(capsys, monkeypatch, tmp_path):
    from phusong.cli import main

    assert main(["--lang", "vi", "--help"]) == 0
    out = capsys.readouterr().out
    assert "đánh giá phủ sóng 5G của từng phường/xã" in out and "ngôn ngữ hiển thị" in out
    assert main(["audit", "--lang", "vi", "--sites", str(tmp_path / "none.csv")]) == 1
    assert "dữ liệu đầu vào có lỗi" in capsys.readouterr().err
    assert main(["audit", "--lang", "fr"]) == 2  # argparse refuses the choice
    monkeypatch.setenv("PHUSONG_LANG", "fr")
    assert main(["sample", "--out", str(tmp_path / "s")]) == 2
    assert "PHUSONG_LANG='fr'" in capsys.readouterr().err
    assert not (tmp_path / "s").exists()


def _option_tables():
    from phusong import options

    return {name: getattr(options, name) for name in
            ("AUDIT", "PLAN", "PLANNER", "CALIBRATE", "THROUGHPUT", "PROGRESS")}  # fmt: skip


def test_every_option_has_its_help_in_vietnamese_and_english():
    from phusong.i18n.catalog import option_help_key

    en, vi = CATALOGUES["en"], CATALOGUES["vi"]
    seen = set()
    for table, opts in _option_tables().items():
        for key, opt in opts.items():
            message = option_help_key(key, opt)
            seen.add(message)
            assert en[message] == opt.help, (table, key)  # English: the table's own words
            assert message in vi, f"{table}[{key!r}]: no Vietnamese help ({message})"
            assert vi[message].strip() and vi[message] != opt.help, (table, key)
    assert len(seen) > 70  # ~77 options, one message per distinct help
    assert {k for k in en if k.startswith("option.")} == seen  # no stale option message


def test_option_help_keys_one_per_meaning():
    from phusong.i18n.catalog import option_help_key
    from phusong.options import AUDIT, CALIBRATE, PLAN, PROGRESS

    assert option_help_key("threshold_dbm", PLAN["threshold_dbm"]) == "option.threshold_dbm"
    assert option_help_key("sites", AUDIT["sites"]) == "option.sites"
    assert option_help_key("sites", PLAN["sites"]) == "option.plan.sites"
    assert option_help_key("model", CALIBRATE["model"]) == "option.calibrate.model"
    assert option_help_key("out", PROGRESS["out"]) == "option.out"  # same words, other default
    assert option_help_key("fail_under", PROGRESS["fail_under"]) == "option.progress.fail_under"


def _help_text(capsys, main, *args):
    assert main([*args, "--help"]) == 0
    return " ".join(capsys.readouterr().out.split())  # argparse wraps lines


def test_cli_option_help_in_vietnamese(capsys, monkeypatch):
    from phusong.cli import main

    out = _help_text(capsys, main, "audit", "--lang", "vi")
    assert "ngưỡng tín hiệu để được coi là có sóng (SS-RSRP) [dBm]" in out
    assert "mục tiêu phủ sóng [%] (mặc định 99)" in out  # "%" reaches the user once
    assert "diện tích nhỏ nhất của một vùng lõm sóng được liệt kê [m²] (mặc định 10000)" in out
    assert "thư mục kết quả (mặc định ./phusong-audit)" in out
    assert "ranh giới phường/xã (mặc định: ranh giới 126 phường/xã Hà Nội đi kèm) --model" in out
    assert "coverage threshold" not in out and "(default" not in out
    monkeypatch.setenv("PHUSONG_LANG", "vi")
    out = _help_text(capsys, main, "plan")
    assert "mạng lưới hiện có (mọi định dạng lệnh 'audit' đọc được)" in out
    assert "thoát với mã 3 khi lần tính lại vùng phủ vẫn chưa đạt mục tiêu" in out
    out = _help_text(capsys, main, "calibrate")
    assert "mô hình suy hao truyền sóng cần hiệu chỉnh" in out and "(mặc định 5)" in out
    out = _help_text(capsys, main, "progress")
    assert "đánh giá một lần mỗi quý (quarter)" in out and "(mặc định quarter)" in out


def test_cli_option_help_in_english_is_the_tables_words(capsys):
    from phusong.cli import main

    out = _help_text(capsys, main, "audit")
    assert "SS-RSRP coverage threshold [dBm] for path-loss models (default -110)" in out
    assert "coverage target [%] (default 99)" in out
    assert "cell-edge reliability (0.5 = no fading margin) (default 0.5)" in out
    assert "ward boundaries (default: the shipped 126 Hà Nội wards) --model" in out
    assert "mặc định" not in out


def test_progress_steps_in_vietnamese():
    from phusong.output.text import progress_words

    assert progress_words("round 2: re-auditing: computing coverage", "vi") == (
        "vòng 2: tính lại vùng phủ: tính vùng phủ sóng"
    )
    assert progress_words("round 2: something new", "en") == "round 2: something new"


def _module_string_tables():
    """Modules that keep their own bilingual ``STRINGS = {"en": {...}, "vi": {...}}`` table."""
    import importlib

    found = []
    for path in sorted(LIBRARY.rglob("*.py")):
        if "STRINGS" not in path.read_text(encoding="utf-8"):
            continue
        parts = path.relative_to(LIBRARY.parent).with_suffix("").parts
        name = ".".join(p for p in parts if p != "__init__")
        table = getattr(importlib.import_module(name), "STRINGS", None)
        if isinstance(table, dict) and {"en", "vi"} <= set(table):
            found.append((name, table))
    return found


def test_module_string_tables_are_complete_too():
    # Helpers may keep a module's messages in its own table before they move into the
    # catalogue; the same rules hold there: both languages, same placeholders, no blanks.
    for name, table in _module_string_tables():
        en, vi = table["en"], table["vi"]
        assert set(en) == set(vi), (name, sorted(set(en) ^ set(vi)))
        for key in en:
            assert all(x.strip() for x in _texts(en[key]) + _texts(vi[key])), (name, key)
            assert placeholders(en[key]) == placeholders(vi[key]), (name, key)
