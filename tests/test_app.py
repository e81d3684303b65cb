"""Streamlit app tests with streamlit.testing.v1.AppTest: every page in both languages, figures, caching.

Every figure the app shows is compared with the library computed directly
(``run_audit``, ``run_plan``, ``propose_sites``), formatted with the same
formatters (:mod:`fmt`, over :mod:`phusong.i18n`). The language tests fail
when a text has no Vietnamese counterpart, when a page passes literal text
to Streamlit, or when English text shows in the Vietnamese interface.
"""

from __future__ import annotations

import ast
import io
import json
import os
import re
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

st = pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from phusong.audit import run_audit  # noqa: E402
from phusong.goals import Goal  # noqa: E402
from phusong.io.sites import sample_sites_path  # noqa: E402

# The app's disk cache of the shipped data's audit stays off here: every test computes.
os.environ["PHUSONG_APP_CACHE"] = "off"

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app" / "streamlit_app.py"
PAGES_DIR = APP.parent / "app_pages"
if str(APP.parent) not in sys.path:
    sys.path.insert(0, str(APP.parent))

import fmt  # noqa: E402
import jobs  # noqa: E402
import services  # noqa: E402
import strings  # noqa: E402

TIMEOUT = 300
PAGES = ("overview", "data", "model", "plan", "compare", "downloads")


def _small_sites_csv() -> bytes:
    """A few hundred cells of the synthetic sample around central Hà Nội (fast to audit)."""
    df = pd.read_csv(sample_sites_path("sheet"))
    sub = df[df["lat"].between(21.015, 21.045) & df["lon"].between(105.82, 105.86)]
    assert 50 < len(sub) < 600
    return sub.to_csv(index=False).encode("utf-8")


def _bad_sites_csv() -> bytes:
    good = _small_sites_csv().decode().splitlines()
    header, rows = good[0], good[1:40]
    cols = header.split(",")
    bad = rows[0].split(",")
    bad[cols.index("lat")] = "not-a-number"
    far = rows[1].split(",")
    far[cols.index("lat")], far[cols.index("lon")] = "48.85", "2.35"  # Paris
    return "\n".join([header, *rows, ",".join(bad), ",".join(far)]).encode("utf-8")


@pytest.fixture(scope="module")
def small() -> services.InputFile:
    return services.InputFile.from_bytes("central_SYNTHETIC.csv", _small_sites_csv())


@pytest.fixture(scope="module")
def central_wards() -> services.InputFile:
    """The shipped wards around the small site subset (auditing and planning them is quick)."""
    from shapely.geometry import box

    from phusong.io.wards import read_wards

    wards = read_wards()
    sel = wards[wards.intersects(box(105.82, 21.015, 105.86, 21.045))]
    assert 5 <= len(sel) <= 20
    return services.InputFile.from_bytes("central_wards.geojson", sel.to_json().encode("utf-8"))


#: Most tests use the quick disc model (seconds per audit); the default model is
#: tested on its own (``test_default_model_*``).
DISC = services.Settings(model="disc")


def _direct(sites: services.InputFile, wards: services.InputFile | None = None, **kw):
    kw.setdefault("model", "disc")
    return run_audit(sites.open(), wards.open() if wards is not None else None, **kw)


@pytest.fixture(scope="module")
def expected(small):
    return _direct(small)


def _spy(monkeypatch, name: str) -> list[dict]:
    """Record the keyword arguments of every call the app makes to ``services.<name>``.

    Clears Streamlit's caches and the app's jobs first, so that the count
    starts from a cold app.
    """
    st.cache_resource.clear()
    st.cache_data.clear()
    jobs._JOBS.clear()
    calls: list[dict] = []
    real = getattr(services, name)

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(services, name, spy)
    return calls


@pytest.fixture
def counted(monkeypatch):
    """Count the app's calls of run_audit (and start from empty caches)."""
    return _spy(monkeypatch, "run_audit")


def _app(sites=None, wards=None, lang="en", settings=DISC) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.session_state[strings.LANG_KEY] = lang
    if settings is not None:
        at.session_state[services.K_MODEL] = settings
    if sites is not None:
        at.session_state[services.K_SITES] = sites
    if wards is not None:
        at.session_state[services.K_WARDS] = wards
    return at


def _settle(at: AppTest) -> AppTest:
    """Wait for the background jobs (the estimate of new sites), then run the page again."""
    for job in list(jobs._JOBS.values()):
        job.wait(TIMEOUT)
    return at.run()


def _metrics(at: AppTest) -> dict[str, object]:
    """Metrics by label; the headline figures come first on the page."""
    out: dict[str, object] = {}
    for m in at.metric:
        out.setdefault(m.label, m)
    return out


def _goal_args(at: AppTest) -> dict:
    """What the app sent to its goal slider component."""
    found = [c for c in at.get("component_instance") if "phusong_goal" in c.proto.component_name]
    assert found, "no goal slider on the page"
    return json.loads(found[0].proto.json_args)


def _move_goal(at: AppTest, target: float) -> AppTest:
    """Move the goal slider to ``target`` (what the browser sends when it is released)."""
    at.session_state["ov_goal"] = float(target)
    return at.run()


def _map_args(at: AppTest, index: int = 0) -> dict:
    """What the app sent to its map component (``wardmap``)."""
    maps = [c for c in at.get("component_instance") if "phusong_wardmap" in c.proto.component_name]
    assert maps, "no map on the page"
    return json.loads(maps[index].proto.json_args)


# --------------------------------------------------------------------------- languages


def test_every_text_exists_in_both_languages():
    """Each key has a non-empty Vietnamese and English text with the same placeholders."""
    assert strings.missing_texts() == []
    broken = {"en": {"a": "{n} sites", "b": "x"}, "vi": {"a": "{m} trạm", "b": " "}}
    assert strings.missing_texts(broken) == [
        "vi: a has placeholders ['m']",
        "vi: b has no text",
    ]


def _app_sources() -> list[Path]:
    return sorted({*APP.parent.glob("*.py"), *PAGES_DIR.glob("*.py")})


#: Keys built at run time (f-strings), with every value they can take.
DYNAMIC_KEYS = {
    "metric_": ["population", "area"],
    "metric_short_": ["population", "area"],
    "verdict_what_": ["population", "area"],
    "method_": ["greedy", "milp", "both"],
    "plan_goal_": ["target", "floor", "budget"],
    "red_": ["0", "1", "2_4", "5plus"],
    "model_label_": ["disc", "sector"],
    "model_desc_": ["planning", "disc", "sector", "uma", "umi", "rma", "hata", "fspl"],
    "m_": ["pop", "area"],
    "col_": ["pop_pct", "area_pct"],
    # issue #15: why a target place is left without 5G
    "plan_targets_reason_": ["excluded", "not_served", "no_gain", "rounds", "budget", "not_asked"],
}


def test_every_key_the_app_uses_has_a_text():
    used = set()
    for path in _app_sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "t" and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    used.add(arg.value)
    used |= {p + v for p, values in DYNAMIC_KEYS.items() for v in values}
    uploads = ("plan_candidates", "plan_excluded", "plan_targets")
    used |= {f"{n}{s}" for n in uploads for s in ("", "_help")}
    used |= {f"{n}_in_use" for n in uploads}
    used |= {f"{n}_clear" for n in uploads}
    used |= {"plan_headline_targets", "plan_headline_targets_ignored"}  # issue #15
    missing = sorted(k for k in used if k not in strings.EN)
    assert not missing, missing


#: Streamlit calls whose first argument (or ``label``/``help``) a user reads.
SHOWN = {
    "title", "header", "subheader", "markdown", "caption", "write", "text", "info", "warning",
    "error", "success", "button", "download_button", "metric", "selectbox", "radio", "slider",
    "select_slider", "number_input", "multiselect", "file_uploader", "expander", "spinner",
    "toggle", "checkbox", "popover", "segmented_control", "tabs", "toast",
}  # fmt: skip


def test_pages_pass_no_literal_text_to_streamlit():
    """Text shown by the app comes from the catalogue (``t(...)``), never a literal."""
    problems = []
    for path in _app_sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if node.func.attr not in SHOWN:
                continue
            owner = (
                node.func.value
            )  # ``log.info``, ``services.log.info``: the server log, not the page
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
            if name in ("log", "logger", "logging"):
                continue
            args = [*node.args[:1], *(k.value for k in node.keywords if k.arg in ("label", "help"))]
            for arg in args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    if re.search(r"[A-Za-z]{2,}", arg.value):
                        problems.append(f"{path.name}:{node.lineno}: {arg.value[:40]!r}")
                if isinstance(arg, ast.JoinedStr):
                    literal = "".join(v.value for v in arg.values if isinstance(v, ast.Constant))
                    literal = re.sub(r":material/[a-z_]+:|:[a-z]+\[", " ", literal)
                    if re.search(r"[A-Za-z]{3,}", literal):
                        problems.append(f"{path.name}:{node.lineno}: f-string {literal[:40]!r}")
    assert not problems, problems


def _texts(at: AppTest) -> list[str]:
    """Everything a user can read on the page (labels, values, help, table headers)."""
    out: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "success", "error"):  # fmt: skip
        out += [str(e.value) for e in getattr(at, kind)]
    for m in at.metric:
        out += [m.label, str(m.value), str(m.delta or ""), str(m.help or "")]
    for kind in ("button", "selectbox", "radio", "number_input", "multiselect", "file_uploader", "select_slider"):  # fmt: skip
        for w in getattr(at, kind):
            out += [str(getattr(w, "label", "")), str(getattr(w, "help", "") or "")]
            out += [str(o) for o in getattr(w, "options", []) or []]
    for d in at.dataframe:
        cols = json.loads(d.proto.columns or "{}") if getattr(d.proto, "columns", "") else {}
        out += [str(c.get("label", "")) for c in cols.values() if isinstance(c, dict)]
        out += [str(c.get("help", "")) for c in cols.values() if isinstance(c, dict)]
        value = d.value
        out += [str(c) for c in value.columns if not str(c).isidentifier() or len(str(c)) > 8]
    for table in at.table:
        value = table.value
        out += [str(c) for c in value.columns] + [str(value.index.name or "")]
        out += [str(x) for x in value.index] + [str(x) for x in value.to_numpy().ravel()]
    for c in at.get("component_instance"):
        args = json.loads(c.proto.json_args)
        if "phusong_goal" in c.proto.component_name:
            out += [str(args.get("label", "")), str(args.get("help", ""))]
            out += [str(x) for x in args.get("labels", [])]
            continue
        legend = args.get("legend") or {}
        out += [str(legend.get("title", "")), str(legend.get("note", ""))]
        out += [str(r[1]) for r in legend.get("rows", [])]
        out += [str(v) for v in (args.get("info") or {}).values()][:20]
        out += [str(v) for v in (args.get("layers") or {}).values()]
        out.append(str(args.get("synthetic", "")))
    return [x for x in out if x]


#: English words that never belong in the Vietnamese interface.
ENGLISH = re.compile(
    r"\b(the|and|of|with|without|people|coverage|ward|wards|sites?|goal|target|upload|"
    r"download|below|above|meets?|population|area|model|planner|estimate|choose)\b",
    re.IGNORECASE,
)
#: Words that are the same in both (names, units, formats, technical terms kept as such).
ALLOWED = re.compile(
    r"OpenStreetMap contributors|OpenCelliD|GeoJSON|GeoPackage|GeoTIFF|GeoParquet|Shapefile|"
    r"Parquet|SYNTHETIC|_SYNTHETIC|WorldPop|MILP|3GPP|COST-231 Hata|SS-RSRP|"
    r"central_SYNTHETIC\.csv|central_wards\.geojson|half_SYNTHETIC\.csv|roofs\.csv|"
    r"\b(disc|sector|uma|umi|rma|hata|fspl)\b"
)


def _english_in(texts: list[str]) -> list[str]:
    found = []
    for text in texts:
        clean = ALLOWED.sub(" ", re.sub(r"<[^>]+>", " ", text))
        if ENGLISH.search(clean):
            found.append(text[:120])
    return found


def _page(at: AppTest, page: str) -> AppTest:
    if page == "overview":
        return at.run()
    return at.switch_page(f"app_pages/{page}.py").run()


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("page", PAGES)
def test_every_page_in_both_languages(small, central_wards, page, lang):
    """Every page runs in both languages; the Vietnamese one shows no English."""
    at = _app(small, central_wards, lang=lang)
    if page == "compare":
        half = pd.read_csv(io.BytesIO(small.data)).iloc[:100]
        alt = services.InputFile.from_bytes("half_SYNTHETIC.csv", half.to_csv(index=False).encode())
        at.session_state[services.K_CANDIDATE] = {"label": "half_SYNTHETIC.csv", "sites": alt, "key": alt.digest}  # fmt: skip
    if page == "data":
        at.session_state[services.K_SITES] = services.InputFile.from_bytes(
            "bad_sites.csv", _bad_sites_csv()
        )
    at = _page(at, page)
    if page == "plan":
        _settle(at.button(key="plan_run").click().run())
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    texts = _texts(at)
    assert texts
    if lang == "vi":
        assert _english_in(texts) == []
        assert all(t not in strings.EN.values() or t in strings.VI.values() for t in texts)
    else:
        vi_only = [
            t for t in texts if re.search(r"[ạảấầẩẫậắằẳẵặẹẻẽếềểễệịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹđ]", t)
        ]
        assert all(("Hà Nội" in t) or ("Phường" in t) or ("Xã" in t) or re.search(r"\bXã|Phường", t) for t in vi_only), vi_only[:5]  # fmt: skip


def test_the_english_detector_catches_english():
    assert _english_in(["Dân số có 5G", "85,0 %", "© OpenStreetMap contributors"]) == []
    assert _english_in(["People with 5G"]) == ["People with 5G"]
    assert _english_in(["Mô hình: disc: the quick estimate"]) != []


def test_language_switch_changes_every_label(small, central_wards):
    at = _app(small, central_wards, lang="vi").run()
    assert any(m.label == "Dân số có 5G" for m in at.metric)
    at.session_state[strings.LANG_KEY] = "en"
    at.run()
    assert any(m.label == "People with 5G" for m in at.metric)


def test_vietnamese_is_the_default(small, central_wards, monkeypatch):
    monkeypatch.delenv("PHUSONG_LANG", raising=False)
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.session_state[services.K_SITES] = small
    at.session_state[services.K_WARDS] = central_wards
    at.session_state[services.K_MODEL] = DISC
    at.run()
    assert at.session_state[strings.LANG_KEY] == "vi"
    assert at.title[0].value == strings.VI["overview_title"]


def test_step_text_in_vietnamese():
    assert strings.step_text("round 2: re-auditing: computing coverage", "vi") == (
        "vòng 2: đánh giá lại: tính vùng phủ sóng"
    )
    assert strings.step_text("round 2: re-auditing", "en") == "round 2: re-auditing"
    assert strings.step_text("something new", "vi") == "something new"


def test_number_formats():
    assert fmt.pct(85.063, 1, "vi") == "85,0\u00a0%"
    assert fmt.pct(85.063, 1, "en") == "85.0%"
    assert fmt.people(1315542, "vi") == "1.315.542 người"
    assert fmt.compact(1228000, "vi") == "1,23 triệu"
    assert fmt.compact(1228000, "en") == "1.23 million"
    assert fmt.compact(875170, "vi") == "875 nghìn"
    assert fmt.compact(9876, "vi") == "9.876"
    assert fmt.target(99, "vi") == "99\u00a0%"
    assert fmt.target(99.5, "vi") == "99,5\u00a0%"


# --------------------------------------------------------------------------- overview


def test_overview_figures_equal_run_audit(small, expected, counted):
    at = _settle(_app(small, lang="en").run())
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    m = _metrics(at)
    s = expected.summary
    assert m["People with 5G"].value == fmt.pct(s["population_coverage_pct"], 1, "en")
    assert m["Land with 5G"].value == fmt.pct(s["area_coverage_pct"], 1, "en")
    assert m["Wards meeting the goal"].value == f"{s['wards_meeting_goal']} of {s['n_wards']}"
    assert m["People without 5G"].value == fmt.people(s["uncovered_population"], "en")
    assert m["People with 5G"].delta == (
        f"{fmt.points(s['population_coverage_pct'] - 99.0, 1, 'en')} against the goal"
    )
    # Synthetic data is labelled as such.
    assert any("SYNTHETIC" in w.value for w in at.warning)
    assert _map_args(at)["synthetic"]
    assert len(counted) == 1
    # ... and in Vietnamese, with Vietnamese number formats.
    at.session_state[strings.LANG_KEY] = "vi"
    at.run()
    m = _metrics(at)
    assert m["Dân số có 5G"].value == fmt.pct(s["population_coverage_pct"], 1, "vi")
    assert "," in m["Dân số có 5G"].value
    assert m["Người chưa có 5G"].value == fmt.people(s["uncovered_population"], "vi")
    assert len(counted) == 1


def _verdict(at: AppTest) -> str:
    return next(md.value for md in at.markdown if md.value.startswith("### :"))


def test_verdict_card(small, expected):
    """The sentence: coverage, goal, people short (the library's figures) and the sites needed."""
    from phusong.planning import propose_sites

    at = _settle(_app(small, lang="vi").run())
    text = _verdict(at)
    s = expected.summary
    short = 0.99 * s["population"] - s["covered_population"]
    assert "Chưa đạt" in text
    assert fmt.pct(s["population_coverage_pct"], 1, "vi") in text
    assert "99\u00a0% vào năm 2030" in text
    assert f"**{fmt.compact(short, 'vi')} người**" in text
    # the sites: the greedy curve read at the target equals a direct plan to that target
    direct = propose_sites(expected, target_pct=99.0, demand_cell_m=services.ESTIMATE_DEMAND_CELL_M)
    assert f"≈ **{fmt.count(direct.summary['n_sites'], 'vi')} trạm mới**" in text
    # a goal that is met says so
    _move_goal(at, 50.0)
    met = _verdict(at)
    assert ("Đạt:" in met) == bool(s["population_coverage_pct"] >= 50.0)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_progress_panel_shows_the_librarys_progress(small, language):
    """Asked for, the Progress panel shows run_progress's own lines, chart and targets."""
    from phusong.output.progress_report import progress_overview
    from phusong.progress.run import run_progress

    at = _settle(_app(small, lang=language).run())
    assert not at.exception, at.exception
    headers = [h.value for h in at.subheader]
    assert strings.t("progress_title", language) in headers
    assert not any(strings.t("progress_goals", language) in m.value for m in at.markdown)
    at.button(key="ov_progress_run").click().run()
    assert not at.exception, at.exception
    direct = progress_overview(
        run_progress(small.open(), model="disc", goal=services.DEFAULT_GOAL), language
    )
    shown = [m.value for m in at.markdown]
    for line in direct["lines"]:
        assert line in shown, line
    for mark, line in zip(direct["goals"]["mark"], direct["goals"]["line"], strict=True):
        assert f"{mark} {line}" in shown
    assert len(direct["goals"]) >= 1
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")  # the line chart


@pytest.mark.slow
@pytest.mark.parametrize("language", ["vi", "en"])
def test_model_page_calibrates_and_applies(language):
    """The shipped drive test calibrates the model as the library does; applied, audits use it."""
    from phusong.calibration.view import calibration_view
    from phusong.io.sites import sample_sites_path

    settings = services.Settings(model="uma", resolution_m=200.0)
    at = _app(None, lang=language, settings=settings)
    at.switch_page("app_pages/model.py").run()
    assert not at.exception, at.exception
    assert strings.t("cal_title", language) in [h.value for h in at.subheader]
    at.button(key="model_cal_sample").click().run()
    assert not at.exception, at.exception
    direct = calibration_view(
        sample_sites_path("sheet"),
        services.sample_measurements().open(),
        model="uma",
        lang=language,
    )
    assert f"**{direct.sentence}**" in [m.value for m in at.markdown]
    assert at.session_state[services.K_MODEL].calibration is None  # not applied until asked
    at.toggle(key="model_w_apply_calibration").set_value(True).run()
    assert not at.exception, at.exception
    applied = at.session_state[services.K_MODEL]
    assert applied.calibration == direct.calibration_json.decode("utf-8")
    assert applied.audit_kwargs(None)["calibration"] == direct.calibration_json


def test_footprint_models_offer_no_calibration():
    at = _app(None, lang="vi", settings=DISC)
    at.switch_page("app_pages/model.py").run()
    assert not at.exception, at.exception
    assert any(strings.t("cal_needs_pathloss", "vi") in i.value for i in at.info)
    assert not at.get("file_uploader") or all(
        u.key != "model_w_measurements" for u in at.get("file_uploader")
    )


def test_site_estimate_reads_the_curve_like_direct_plans(expected):
    """Second method: each target planned on its own gives the count read off the curve."""
    from phusong.planning import propose_sites

    est = services.city_estimate(expected)
    for target in (90.0, 95.0, 97.5):
        direct = propose_sites(
            expected, target_pct=target, demand_cell_m=services.ESTIMATE_DEMAND_CELL_M
        )
        assert est.sites_for(target) == direct.summary["n_sites"]
    assert est.sites_for(101.0) is None


def test_worst_wards_and_what_they_need(small, expected):
    from phusong.planning import PlanInputs, propose_sites

    at = _settle(_app(small, lang="en").run())
    table = at.dataframe[0].value
    worst = expected.wards[~expected.wards["meets_goal"]].head(5)
    assert list(table["ward"]) == list(worst["name"].astype(str))
    assert list(table["short"]) == [fmt.people(x, "en") for x in worst["shortfall_population"]]
    # the sites each ward needs on its own: a plan of that ward alone
    first = worst.iloc[0]
    wid = str(first["ward_id"])
    inputs = PlanInputs(
        wards=expected.wards[expected.wards["ward_id"].astype(str) == wid],
        gaps=expected.gaps[expected.gaps["ward_id"].astype(str) == wid],
        sites=expected.sites,
        params=expected.params,
    )
    direct = propose_sites(inputs, target_pct=99.0, demand_cell_m=services.ESTIMATE_DEMAND_CELL_M)
    assert table["sites"].iloc[0] == fmt.count(direct.summary["n_sites"], "en")
    # a row click selects the ward
    assert at.selectbox(key="ov_ward").value == wid


def test_goal_slider_does_not_recompute(small, counted):
    at = _app(small, lang="en").run()
    assert len(counted) == 1
    first = _map_args(at)
    _move_goal(at, 60.0)
    assert not at.exception, at.exception
    assert len(counted) == 1, "moving the goal slider re-ran run_audit"
    # ... the map is restyled, not rebuilt: same geometry key, new colours ...
    second = _map_args(at)
    assert second["data_key"] == first["data_key"]
    assert second["style"] != first["style"]
    # ... and the figures are those run_audit gives with that goal.
    direct = _direct(small, goal=Goal.target(60.0)).summary
    m = _metrics(at)
    assert m["Wards meeting the goal"].value == (
        f"{direct['wards_meeting_goal']} of {direct['n_wards']}"
    )
    assert m["People with 5G"].delta == (
        f"{fmt.points(direct['population_coverage_pct'] - 60.0, 1, 'en')} against the goal"
    )
    # The area metric switches the goal column without recomputing either.
    at.radio(key="ov_w_metric").set_value("area").run()
    assert len(counted) == 1
    assert _metrics(at)["Land with 5G"].delta is not None
    # The goal is kept when the page is left and revisited.
    at.switch_page("app_pages/model.py").run()
    at.switch_page("app_pages/overview.py").run()
    assert _goal_args(at)["value"] == 60.0
    assert at.radio(key="ov_w_metric").value == "area"


def test_with_goal_matches_run_audit(small, expected):
    """Re-judging a cached audit gives exactly run_audit's figures for that goal."""
    goal = Goal(80.0, "area")
    direct = _direct(small, goal=goal)
    rejudged = services.with_goal(expected, goal)
    assert rejudged.summary == direct.summary
    pd.testing.assert_frame_equal(
        pd.DataFrame(rejudged.wards.drop(columns="geometry")),
        pd.DataFrame(direct.wards.drop(columns="geometry")),
    )


def test_map_colours_and_legend(small, expected):
    at = _app(small, lang="vi").run()
    args = _map_args(at)
    wards = expected.wards
    from phusong.output.maps import goal_colours, legend_rows

    colours = goal_colours(wards["population_coverage_pct"], 99.0)  # as the CLI's map.html
    assert args["style"] == dict(zip(wards["ward_id"].astype(str), colours, strict=True))
    features = json.loads(args["wards"])["features"]
    assert {f["properties"]["id"] for f in features} == set(wards["ward_id"].astype(str))
    assert "OpenStreetMap contributors" in args["attribution"]
    library_rows = legend_rows(99.0, "vi")  # the same legend as the CLI's map.html
    legend = [(r[0], r[1]) for r in args["legend"]["rows"]]
    assert legend[: len(library_rows)] == library_rows
    assert set(colours) <= {c for c, _ in legend}
    # a ward's tooltip holds its own figures
    row = wards.iloc[0]
    tip = args["info"][str(row["ward_id"])]
    assert fmt.pct(row["population_coverage_pct"], 1, "vi") in tip
    assert fmt.people(row["uncovered_population"], "vi") in tip


def test_map_click_picks_the_ward(small, expected):
    at = _app(small, lang="en").run()
    row = expected.wards.iloc[5]
    assert at.selectbox(key="ov_ward").value != str(row["ward_id"])
    # A click on a ward: the component's value, as the browser sends it.
    at.session_state["ov_map"] = {"ward_id": str(row["ward_id"]), "seq": 1}
    at.run()
    assert not at.exception, at.exception
    assert at.selectbox(key="ov_ward").value == str(row["ward_id"])
    assert any(md.value == f"### {row['name']}" for md in at.markdown)
    # ... and the map draws it highlighted.
    assert _map_args(at)["selected"] == str(row["ward_id"])


def test_ward_detail_selection(small, expected):
    at = _app(small, lang="en").run()
    box = at.selectbox(key="ov_ward")
    # The ward holding the city back the most is shown first.
    assert box.value == str(expected.wards["ward_id"].iloc[0])
    row = expected.wards.iloc[3]
    at.selectbox(key="ov_ward").set_value(str(row["ward_id"])).run()
    assert not at.exception
    assert any(md.value == f"### {row['name']}" for md in at.markdown)


def test_map_component_serves_leaflet_offline():
    folder = services.wardmap.served_folder()
    assert (folder / "leaflet.js").exists() and (folder / "index.html").exists()
    html = (folder / "index.html").read_text()
    assert not re.search(r'src="https?://', html)


def test_disk_cache_round_trip(tmp_path, monkeypatch):
    import diskcache

    monkeypatch.setenv(diskcache.CACHE_ENV, str(tmp_path))
    key = diskcache.fingerprint("audit", ("disc",))
    assert key != diskcache.fingerprint("audit", ("uma",))
    assert diskcache.load(key) is None
    diskcache.save(key, {"x": 1})
    assert diskcache.load(key) == {"x": 1}
    (tmp_path / f"{key}.pkl").write_bytes(b"broken")
    assert diskcache.load(key) is None  # computed again, never shown
    monkeypatch.setenv(diskcache.CACHE_ENV, "off")
    diskcache.save(key, 2)
    assert diskcache.load(key) is None


def test_shipped_audit_from_disk_equals_run_audit(tmp_path, monkeypatch):
    """A server that finds the shipped data's audit on disk shows run_audit's figures."""
    import diskcache

    monkeypatch.setenv(diskcache.CACHE_ENV, str(tmp_path))
    st.cache_resource.clear()
    services.audit(None, None, None, DISC)  # computed and stored
    assert list(tmp_path.glob("*.pkl"))
    calls = _spy(monkeypatch, "run_audit")  # a new process: empty memory caches
    loaded = services.audit(None, None, None, DISC)
    assert not calls, "the stored audit was computed again"
    direct = run_audit(sample_sites_path("sheet"), model="disc")
    assert loaded.summary == direct.summary
    pd.testing.assert_frame_equal(
        pd.DataFrame(loaded.wards.drop(columns="geometry")),
        pd.DataFrame(direct.wards.drop(columns="geometry")),
    )


def test_cached_tables_are_copies():
    """Tables come from st.cache_data: changing one a caller got does not change the cache."""
    first = services.wards_table(None)
    first["name"] = "changed"
    again = services.wards_table(None)
    assert not (again["name"] == "changed").any()


def test_services_use_no_private_api():
    """No private name of phusong is imported or used by the app."""
    problems = []
    for path in _app_sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules: dict[str, str] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    modules[a.asname or a.name] = a.name
            elif isinstance(node, ast.ImportFrom) and node.module:
                if node.module.startswith("phusong"):
                    problems += [
                        f"{path.name}: from {node.module} import {a.name}"
                        for a in node.names
                        if a.name.startswith("_")
                    ]
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and modules.get(node.value.id, "").startswith("phusong")
                and node.attr.startswith("_")
                and not (node.attr.startswith("__") and node.attr.endswith("__"))  # __file__
            ):
                problems.append(f"{path.name}: {node.value.id}.{node.attr}")
    assert not problems, problems


def test_default_model_overview(small, central_wards, counted):
    """The default model (from phusong.options) gives the app's figures, as run_audit does."""
    at = _app(small, central_wards, lang="vi", settings=None).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    expected = run_audit(small.open(), central_wards.open())
    assert expected.params.model == services.Settings().model or services.Settings().model in (
        expected.params.model,
        expected.summary["model"],
    )
    m = _metrics(at)
    assert m["Dân số có 5G"].value == fmt.pct(expected.summary["population_coverage_pct"], 1, "vi")
    assert len(counted) == 1


@pytest.mark.slow
def test_overview_opens_on_shipped_sample(counted):
    at = _app(None, lang="vi", settings=None).run(timeout=600)
    assert not at.exception, at.exception
    assert any("GIẢ LẬP" in w.value for w in at.warning)
    expected = run_audit(sample_sites_path("sheet"))
    m = _metrics(at)
    assert m["Dân số có 5G"].value == fmt.pct(expected.summary["population_coverage_pct"], 1, "vi")


# --------------------------------------------------------------------------- data page


def test_data_page_reports_rejected_rows(counted):
    bad = services.InputFile.from_bytes("bad_sites.csv", _bad_sites_csv())
    at = _app(bad, lang="en")
    at.switch_page("app_pages/data.py").run()
    assert not at.exception, at.exception
    m = _metrics(at)
    assert m["Rejected"].value == "2"
    assert m["Accepted"].value == "39"
    rejected = at.dataframe[0].value
    assert set(rejected["Row"].astype(int)) == {41, 42}
    # the preview map shows the accepted sites
    args = _map_args(at)
    shown = sum(len(layer["rows"]) for layer in args["points"])
    assert shown == 39


def test_a_failed_upload_keeps_the_data_in_use(small, counted):
    """Upload a good file, then a bad one: the good one stays in use, and the page says so."""
    at = _app(None, lang="vi")
    at.switch_page("app_pages/data.py").run()
    at.file_uploader(key="data_sites_upload").upload(small.name, small.data, "text/csv").run()
    assert not at.exception, at.exception
    assert at.session_state[services.K_SITES].digest == small.digest
    assert any(small.name in s.value for s in at.success)
    junk = b"\x00\x01\x02 not a table \xff\xfe"
    at.file_uploader(key="data_sites_upload").upload("broken.csv", junk, "text/csv").run()
    assert not at.exception, at.exception
    assert at.session_state[services.K_SITES].digest == small.digest  # kept
    notice = [e.value for e in at.error if "broken.csv" in e.value]
    assert notice and small.name in notice[0]
    # every page keeps computing on the good data
    at.switch_page("app_pages/overview.py").run()
    assert not at.error, [e.value for e in at.error]
    expected = _direct(small)
    assert _metrics(at)["Dân số có 5G"].value == fmt.pct(
        expected.summary["population_coverage_pct"], 1, "vi"
    )
    # a file with no usable row fails too
    header_only = small.data.decode().splitlines()[0].encode()
    at.switch_page("app_pages/data.py").run()
    at.file_uploader(key="data_sites_upload").upload("empty.csv", header_only, "text/csv").run()
    assert at.session_state[services.K_SITES].digest == small.digest


def test_data_page_unreadable_file_in_use_does_not_crash():
    junk = services.InputFile.from_bytes("sites.csv", b"\x00\x01\x02 not a table \xff\xfe")
    at = _app(junk)
    at.switch_page("app_pages/data.py").run()
    assert not at.exception, at.exception
    assert at.error, "a bad file must be reported with st.error"
    at.switch_page("app_pages/overview.py").run()
    assert not at.exception
    assert at.error


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


JUNK = {
    "sites.xlsx": b"PK\x03\x04 this is no workbook",
    "sites.geojson": b'{"type": "FeatureCollection", "features": [{"type": "Feature"}]}',
    "sites.zip": _zip({"../../escape.csv": b"lat,lon\n21,105\n"}),
    "sites.parquet": b"PAR1 nonsense",
    "sites.csv.gz": b"\x1f\x8b\x08 truncated",
    "empty.csv": b"",
}


@pytest.mark.parametrize("name", sorted(JUNK))
def test_junk_site_files_are_reported_not_crashed(name):
    at = _app(services.InputFile.from_bytes(name, JUNK[name]))
    for page in ("app_pages/data.py", "app_pages/overview.py", "app_pages/downloads.py"):
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        assert at.error, f"{page}: a bad file must be reported with st.error"


@pytest.mark.parametrize(
    ("key", "name", "data"),
    [
        (services.K_WARDS, "wards.geojson", b'{"type": "FeatureCollection", "features": []}'),
        (services.K_WARDS, "wards.zip", _zip({"readme.txt": b"no shapefile here"})),
        (services.K_RASTER, "people.tif", b"II*\x00 not a tiff"),
    ],
)
def test_junk_ward_and_raster_files_are_reported_not_crashed(small, key, name, data):
    at = _app(small)
    at.session_state[key] = services.InputFile.from_bytes(name, data)
    for page in ("app_pages/overview.py", "app_pages/downloads.py"):
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        assert at.error, f"{page}: a bad file must be reported with st.error"


@pytest.mark.parametrize(
    ("kind", "name", "data"),
    [
        ("wards", "wards.geojson", b'{"type": "FeatureCollection", "features": []}'),
        ("raster", "people.tif", b"II*\x00 not a tiff"),
    ],
)
def test_junk_ward_and_raster_uploads_are_refused(kind, name, data):
    at = _app(None)
    at.switch_page("app_pages/data.py").run()
    at.file_uploader(key=f"data_{kind}_upload").upload(name, data).run()
    assert not at.exception, at.exception
    assert services.UPLOAD_SLOTS[kind] not in at.session_state
    assert any(name in e.value for e in at.error)


# --------------------------------------------------------------------------- model page


def test_model_page(small):
    from phusong.options import AUDIT

    at = _app(small, settings=None)
    at.switch_page("app_pages/model.py").run()
    assert not at.exception, at.exception
    assert at.selectbox(key="model_w_model").value == AUDIT["model"].default
    assert at.number_input(key="model_w_threshold").value == AUDIT["threshold_dbm"].default
    assert at.number_input(key="model_w_resolution").value == AUDIT["resolution_m"].default
    at.selectbox(key="model_w_model").set_value("uma").run()
    assert not at.exception
    assert any(i.value == strings.t("grid_note", "en") for i in at.info)  # the path-loss note
    assert at.session_state[services.K_MODEL].model == "uma"


# --------------------------------------------------------------------------- compare page


def test_compare_page_names_both_sides(small):
    at = _app(small)
    at.switch_page("app_pages/compare.py").run()
    assert not at.exception
    assert at.info  # asks for an alternative
    more = pd.read_csv(io.BytesIO(small.data))
    fewer = more.iloc[: len(more) // 2]
    alt = services.InputFile.from_bytes("half_SYNTHETIC.csv", fewer.to_csv(index=False).encode())
    at.session_state[services.K_CANDIDATE] = {"label": "half", "sites": alt, "key": alt.digest}
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    sides = [md.value for md in at.markdown if md.value.startswith("**Baseline:**")]
    assert sides and small.name in sides[0]
    others = [md.value for md in at.markdown if md.value.startswith("**Alternative:**")]
    assert others and "half" in others[0]
    table = at.dataframe[-1].value
    assert len(table) == 126
    base, other = _direct(small), _direct(alt)
    change = (
        other.wards.set_index("ward_id")["population_coverage_pct"]
        - base.wards.set_index("ward_id")["population_coverage_pct"]
    )
    assert (change <= 1e-9).all()  # half the cells never add coverage
    assert set(table["Change"]) <= {fmt.points(x, 2, "en") for x in change} | {fmt.missing("en")}


# --------------------------------------------------------------------------- downloads


def test_downloads_page_names_and_flags(small, expected):
    at = _app(small)
    at.switch_page("app_pages/downloads.py").run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    labels = [b.label for b in at.get("download_button")]
    assert "Download the ZIP" in labels and "Map (HTML)" in labels
    # the files: flagged in their names and inside
    inputs = (small, None, None, DISC)
    files = services.download_files(expected, inputs, expected.params.goal)
    assert {"report.html", "map.html", "wards.csv", "summary.json"} <= set(files)
    name, data = services.bundle(files, expected.summary, "audit", "central disc")
    assert name.startswith("phusong_audit_central-disc_") and name.endswith("_SYNTHETIC.zip")
    bundle = zipfile.ZipFile(io.BytesIO(data))
    assert len(bundle.namelist()) == len(files)
    for name in bundle.namelist():
        assert "_SYNTHETIC" in name, name
        data = bundle.read(name)
        if name.endswith((".csv", ".json", ".geojson", ".html")):
            assert b"SYNTHETIC" in data or b"synthetic" in data, name
    assert services.download_name("wards.csv", True) == "wards_SYNTHETIC.csv"
    assert services.download_name("wards.csv", False) == "wards.csv"


def test_downloaded_map_is_self_contained(expected):
    html = services.standalone_map_html(expected).decode("utf-8")
    assert not re.search(r'<script src="https?://', html)
    assert "OpenStreetMap contributors" in html


# --------------------------------------------------------------------------- plan page


def _direct_plan(sites: services.InputFile, wards: services.InputFile, **kwargs):
    from phusong.plan import run_plan

    kwargs.setdefault("model", "disc")
    return run_plan(sites.open(), wards.open(), **kwargs)


@pytest.fixture
def planned(monkeypatch):
    """Count the app's calls of run_plan (and start from empty caches)."""
    return _spy(monkeypatch, "run_plan")


def _plan_page(sites, wards, lang="en") -> AppTest:
    at = _app(sites, wards, lang=lang)
    at.switch_page("app_pages/plan.py").run()
    assert not at.exception, at.exception
    return at


def test_plan_page_figures_equal_run_plan(small, central_wards, planned):
    at = _plan_page(small, central_wards)
    assert not at.error, [e.value for e in at.error]
    assert at.info, "the page asks for a press of Propose sites"
    assert not planned, "planning ran before the button was pressed"
    assert at.number_input(key="plan_w_target").value == 99.0  # the overview's goal

    _settle(at.button(key="plan_run").click().run())
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert len(planned) == 1
    run = _direct_plan(small, central_wards, target_pct=99.0)
    direct = run.summary
    m = _metrics(at)
    pop_b, pop_a = direct["population_coverage_pct_before"], direct["population_coverage_pct_after"]
    area_b, area_a = direct["area_coverage_pct_before"], direct["area_coverage_pct_after"]
    assert m["People with 5G after"].value == fmt.pct(pop_a, 1, "en")
    assert m["People with 5G after"].delta == fmt.points(pop_a - pop_b, 1, "en")
    assert m["Land with 5G after"].value == fmt.pct(area_a, 1, "en")
    assert m["Land with 5G after"].delta == fmt.points(area_a - area_b, 1, "en")
    assert m["New sites"].value == fmt.count(direct["n_new_sites"], "en")
    assert direct["n_new_sites"] > 0
    # wards reaching the target after: counted from the audited ward table
    wt = run.ward_table()
    n_after = int((wt["population_coverage_pct_after"] >= 99.0 - 1e-9).sum())
    assert m["Wards reaching the target"].value == f"{n_after} of {len(wt)}"
    headline = [s.value for s in [*at.success, *at.warning] if "new sites" in s.value]
    assert headline and ("target of 99% is met" in headline[0]) == bool(
        direct["meets_target_after"]
    )
    lowest = wt.loc[wt["population_coverage_pct_after"].idxmin()]
    assert f"Lowest ward: {lowest['name']}, {fmt.pct(lowest['population_coverage_pct_after'], 1, 'en')}" in headline[0]  # fmt: skip
    assert any("SYNTHETIC" in w.value for w in at.warning)
    # One row per proposed site, with its ward and the people it adds.
    sites_table = next(d.value for d in at.dataframe if "Site" in d.value.columns)
    new = run.new_sites()
    assert list(sites_table["Site"]) == list(new["site_id"])
    assert list(sites_table["Ward / commune"]) == list(new["ward"])
    assert list(sites_table["People added (estimate)"]) == [
        fmt.count(x, "en") for x in new["covered_people_gain"]
    ]
    # One row per ward; the new sites per ward add up to at most the proposal.
    table = at.dataframe[-1].value
    assert len(table) == len(json.loads(central_wards.data)["features"])
    assert int(table["New sites"].sum()) <= direct["n_new_sites"]
    assert len(at.get("vega_lite_chart")) == 1  # the curve
    assert len(at.get("download_button")) == 6  # 5 files and the bundle
    args = _map_args(at)
    proposed = next(p for p in args["points"] if p["id"] == "proposed")
    assert len(proposed["rows"]) == direct["n_new_sites"]

    # Reruns (a download, another widget) reuse the cached plan.
    at.run()
    assert not at.exception
    assert len(planned) == 1
    # Changed options keep the last figures, say so, and do not recompute ...
    at.number_input(key="plan_w_spacing").set_value(300.0).run()
    assert len(planned) == 1
    assert any("last press" in i.value for i in at.info)
    # ... until Propose is pressed: a budget of 3 sites.
    at.radio(key="plan_w_mode").set_value("budget").run()
    at.number_input(key="plan_w_budget").set_value(3).run()
    _settle(at.button(key="plan_run").click().run())
    assert not at.exception, at.exception
    assert len(planned) == 2
    assert planned[-1]["budget"] == 3 and planned[-1]["min_spacing_m"] == 300.0
    direct = _direct_plan(
        small, central_wards, target_pct=99.0, budget=3, min_spacing_m=300.0
    ).summary
    m = _metrics(at)
    assert m["New sites"].value == "3" == str(direct["n_new_sites"])
    assert m["People with 5G after"].value == fmt.pct(
        direct["population_coverage_pct_after"], 1, "en"
    )


def test_plan_page_every_ward_floor(small, central_wards, planned):
    """The "every ward at least X %" mode plans with run_plan's floor and says whether it holds."""
    at = _plan_page(small, central_wards)
    at.radio(key="plan_w_mode").set_value("floor").run()
    at.number_input(key="plan_w_target").set_value(90.0).run()
    at.number_input(key="plan_w_floor").set_value(80.0).run()
    _settle(at.button(key="plan_run").click().run())
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert planned[-1]["ward_floor_pct"] == 80.0
    run = _direct_plan(small, central_wards, target_pct=90.0, ward_floor_pct=80.0)
    s = run.summary
    assert s["ward_floor_pct"] == 80.0
    below = int((run.ward_table()["population_coverage_pct_after"] < 80.0 - 1e-9).sum())
    assert s["wards_below_floor_after"] == below
    assert s["meets_ward_floor_after"] == (below == 0)
    assert _metrics(at)["New sites"].value == fmt.count(s["n_new_sites"], "en")
    headline = [x.value for x in [*at.success, *at.warning] if "Every ward at least" in x.value]
    assert headline and headline[0].endswith("yes." if below == 0 else "no.")


def test_plan_job_progress_and_cancel():
    """A job reports the library's progress; a cancel stops it at its next step."""
    import threading

    go = threading.Event()

    def work(n, *, progress):
        progress("round 1: proposing new sites", 0.25)
        go.wait(10)
        progress("round 1: re-auditing", 0.5)  # raises once cancelled
        return n

    job = jobs.submit("test-job-cancel", work, 3)
    assert jobs.submit("test-job-cancel", work, 3) is job  # one job per key
    for _ in range(100):
        if job.fraction == 0.25:
            break
        go.wait(0.01)
    assert job.step == "round 1: proposing new sites"
    job.cancel()
    go.set()
    assert job.wait(10)
    assert job.cancelled and isinstance(job.error, jobs.Cancelled) and not job.ok
    again = jobs.submit("test-job-cancel", work, 4)  # a cancelled job starts afresh
    assert again is not job and again.wait(10) and again.result == 4
    jobs.forget("test-job-cancel")


def test_a_failed_plan_is_shown_once_and_not_started_again(small, central_wards, monkeypatch):
    """A plan whose job fails shows its error; the page never starts the job again by itself."""
    import threading

    release = threading.Event()
    calls = []

    def failing(*args, progress=None, **kwargs):
        calls.append(1)
        progress("round 1: proposing new sites", 0.1)
        release.wait(60)
        from phusong.errors import ConfigError

        raise ConfigError("budget: this plan cannot be made (test)")

    st.cache_resource.clear()
    jobs._JOBS.clear()
    monkeypatch.setattr(services, "run_plan", failing)
    at = _plan_page(small, central_wards, lang="en")
    at.button(key="plan_run").click().run()
    job = next(iter(jobs._JOBS.values()))
    assert job.running
    release.set()
    assert job.wait(10) and job.error is not None
    at.run()  # the rerun after the failure shows it
    assert not at.exception, at.exception
    assert at.error and "cannot be made" in " ".join(str(e.value) for e in at.error)
    at.run()
    at.run()
    assert calls == [1]  # one start: the failure did not start it again
    assert not any(j.running for j in jobs._JOBS.values())


def test_plan_page_cancel_button(small, central_wards, monkeypatch):
    """While a plan runs the page shows its progress and a cancel button that stops it."""
    import threading

    release = threading.Event()
    real = services.run_plan

    def slow(*args, progress=None, **kwargs):
        progress("round 1: proposing new sites", 0.1)
        release.wait(60)
        return real(*args, progress=progress, **kwargs)

    st.cache_resource.clear()
    jobs._JOBS.clear()
    monkeypatch.setattr(services, "run_plan", slow)
    at = _plan_page(small, central_wards, lang="vi")
    at.button(key="plan_run").click().run()
    assert not at.exception, at.exception
    job = next(iter(jobs._JOBS.values()))
    assert job.running
    for _ in range(500):  # until the library's first progress message
        if job.step:
            break
        release.wait(0.01)
    at.run()
    bar = at.get("progress")
    assert bar and "chọn vị trí trạm mới" in bar[0].proto.text  # the library's step, translated
    at.button(key="plan_cancel").click().run()
    assert not at.exception, at.exception
    assert job.cancelled
    assert any(i.value == strings.VI["plan_cancelled"] for i in at.info)
    release.set()
    assert job.wait(60)
    assert isinstance(job.error, jobs.Cancelled)  # the library stopped at its next step


def test_plan_page_send_to_compare(small, central_wards, planned):
    at = _plan_page(small, central_wards)
    at.radio(key="plan_w_mode").set_value("budget").run()
    at.number_input(key="plan_w_budget").set_value(4).run()
    _settle(at.button(key="plan_run").click().run())
    assert not at.exception, at.exception
    at.button(key="plan_to_compare").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    slot = at.session_state[services.K_CANDIDATE]
    assert set(slot) == {"label", "sites", "key"}
    frame = slot["sites"]
    assert isinstance(frame, pd.DataFrame)
    direct = _direct_plan(small, central_wards, target_pct=99.0, budget=4)
    n_new = direct.summary["n_new_cells"]
    assert n_new > 0
    assert len(frame) == len(direct.before.sites) + n_new
    assert (frame["site_id"].astype(str).str.startswith("NEW-")).sum() == n_new
    assert "4 proposed sites" in slot["label"]
    # The app is now on Compare, whose alternative is the re-audited network.
    assert any(title.value == "Compare" for title in at.title)
    m = _metrics(at)
    assert fmt.pct(direct.summary["population_coverage_pct_after"], 1, "en") in [
        x.value for x in at.metric
    ]
    assert m  # both sides are shown
    assert len(planned) == 1


def test_plan_downloads_name_ward_and_people(small, central_wards):
    run = _direct_plan(small, central_wards, target_pct=99.0, budget=3)
    request = services.PlanRequest(small, central_wards, None, DISC, services.PlanOptions(budget=3))
    files = services.plan_file_set(run, request)
    by_site = pd.read_csv(io.BytesIO(files["proposed_sites_by_site.csv"]))
    new = run.new_sites()
    assert list(by_site["ward"].fillna("")) == list(new["ward"])
    assert np.allclose(by_site["covered_people_gain"], new["covered_people_gain"])
    assert by_site["synthetic"].all()


def test_plan_page_candidates_upload(small, central_wards, planned):
    """Uploaded positions are what the planner may choose from."""
    lat = [21.021 + 0.004 * i for i in range(10)]
    lon = [105.805 + 0.004 * i for i in range(10)]
    roofs = pd.DataFrame({"name": [f"roof{i}" for i in range(10)], "lat": lat, "lon": lon})
    upload = services.InputFile.from_bytes("roofs.csv", roofs.to_csv(index=False).encode())
    at = _plan_page(small, central_wards)
    at.session_state[services.K_PLAN_CANDIDATES] = upload  # as the uploader's callback does
    at.run()
    assert any("roofs.csv" in c.value for c in at.caption)
    _settle(at.button(key="plan_run").click().run())
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert planned[-1]["candidates"] == upload.path()
    direct = _direct_plan(small, central_wards, target_pct=99.0, candidates=upload.path())
    m = _metrics(at)
    assert m["New sites"].value == fmt.count(direct.summary["n_new_sites"], "en")
    assert m["People with 5G after"].value == fmt.pct(
        direct.summary["population_coverage_pct_after"], 1, "en"
    )
    # Every proposed site stands on one of the ten roofs.
    new = direct.new_sites()
    assert 0 < len(new) <= 10
    d = (new["lat_deg"].to_numpy()[:, None] - pd.Series(lat).to_numpy()) ** 2 + (
        new["lon_deg"].to_numpy()[:, None] - pd.Series(lon).to_numpy()
    ) ** 2
    assert (d.min(axis=1) < 1e-12).all()


def test_plan_page_excluded_zones(small, central_wards, planned):
    """Uploaded zones keep every proposed site out; the app shows what run_plan gives."""
    import geopandas as gpd
    import shapely
    from shapely.geometry import box

    free = _direct_plan(small, central_wards, target_pct=99.0).new_sites()
    assert len(free) > 0
    # a park where the free plan put its first site (so the zone matters)
    lon0, lat0 = float(free["lon_deg"].iloc[0]), float(free["lat_deg"].iloc[0])
    zone = box(lon0 - 0.004, lat0 - 0.004, lon0 + 0.004, lat0 + 0.004)
    zones = services.InputFile.from_bytes(
        "parks.geojson", gpd.GeoSeries([zone], crs="EPSG:4326").to_json().encode("utf-8")
    )
    at = _plan_page(small, central_wards)
    at.session_state[services.K_PLAN_EXCLUDED] = zones  # as the uploader's callback does
    at.run()
    assert any("parks.geojson" in c.value for c in at.caption)
    _settle(at.button(key="plan_run").click().run())
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert planned[-1]["excluded"] == zones.path()
    direct = _direct_plan(small, central_wards, target_pct=99.0, excluded=zones.path())
    assert _metrics(at)["New sites"].value == fmt.count(direct.summary["n_new_sites"], "en")
    new = direct.new_sites()
    assert len(new) > 0
    pts = shapely.points(new["lon_deg"].to_numpy(), new["lat_deg"].to_numpy())
    assert not shapely.intersects(zone, pts).any()


def _places_upload(central_wards: services.InputFile) -> services.InputFile:
    """Issue #15: one 60 m square industrial park (rule ``site``) inside the first central ward."""
    import geopandas as gpd
    from shapely.geometry import box

    from phusong.geo import equal_area_crs

    wards = gpd.read_file(io.BytesIO(central_wards.data))
    crs = equal_area_crs(wards)
    c = wards.to_crs(crs).geometry.iloc[0].representative_point()
    park = gpd.GeoDataFrame(
        {"name": ["KCN Thử"], "kind": ["industrial_park"], "deadline": ["2026-12-31"],
         "rule": ["site"]},
        geometry=[box(c.x - 30, c.y - 30, c.x + 30, c.y + 30)],
        crs=crs,
    ).to_crs("EPSG:4326")  # fmt: skip
    return services.InputFile.from_bytes("places.geojson", park.to_json().encode("utf-8"))


@pytest.mark.slow
def test_a_path_loss_plan_reuses_the_apps_audit_of_the_network(
    small, central_wards, planned, monkeypatch
):
    """Issue #17: the plan starts from the app's cached audit (no second audit of it)."""
    import phusong.plan as plan_module
    from phusong.audit import AuditResult

    settings = services.Settings(model="uma", resolution_m=200.0)
    app_audits = _spy(monkeypatch, "run_audit")
    plan_audits: list[int] = []  # rows of the sites each audit inside run_plan gets
    real = plan_module.run_audit

    def audit_in_plan(*args, **kwargs):
        plan_audits.append(len(args[0]) if isinstance(args[0], pd.DataFrame) else -1)
        return real(*args, **kwargs)

    monkeypatch.setattr(plan_module, "run_audit", audit_in_plan)
    at = _app(small, central_wards, settings=settings)
    at.switch_page("app_pages/plan.py").run()
    _settle(at.button(key="plan_run").click().run())
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert len(planned) == 1
    given = planned[0]["before"]
    assert isinstance(given, AuditResult)
    assert given is services.audit(small, central_wards, None, settings)  # the cached one
    assert len(app_audits) == 1  # the network audited once, by the app
    # inside the plan only re-audits: the existing sites plus proposed ones, never alone
    assert plan_audits and all(n > len(given.sites) for n in plan_audits), plan_audits


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "vi"])
def test_plan_page_covers_every_target_place(small, central_wards, planned, lang):
    """Issue #15: the "cover every target place" box plans a site for the park; both languages."""
    places = _places_upload(central_wards)
    at = _plan_page(small, central_wards, lang=lang)
    assert at.checkbox(key="plan_w_cover").disabled  # no target places yet
    assert at.checkbox(key="plan_w_cover").label == strings.t("plan_cover_targets", lang)
    at.session_state[services.K_PLAN_TARGETS] = places  # as the uploader's callback does
    at.run()
    assert any("places.geojson" in c.value for c in at.caption)
    assert not at.checkbox(key="plan_w_cover").disabled
    at.checkbox(key="plan_w_cover").check().run()
    _settle(at.button(key="plan_run").click().run())
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert planned[-1]["cover_targets"] is True and planned[-1]["targets"] == places.path()
    run = _direct_plan(small, central_wards, target_pct=99.0, targets=places.path(),
                       cover_targets=True)  # fmt: skip
    s = run.summary
    assert (s["targets_covered_before"], s["targets_covered_after"]) == (0, 1)
    assert s["n_target_sites"] == 1 and s["target_sites"][0]["site_id"] == "NEW-0001"
    words = strings.t("plan_headline_targets", lang, after="1", n="1", before="0", sites="1")
    assert any(words in x.value for x in [*at.success, *at.warning])
    table = next(d.value for d in at.dataframe if strings.t("col_reason", lang) in d.value.columns)
    why = table[strings.t("col_reason", lang)].tolist()
    assert why[0] == strings.t("plan_reason_place", lang, place="P001 (KCN Thử)")
    assert set(why[1:]) <= {strings.t("plan_reason_coverage", lang)}
    assert len(why) == s["n_new_sites"]
    # the plan map's tooltips name the place of the site placed for it, and only of that one
    import mapview

    proposed = next(p for p in mapview.plan_geometry(run, key="t", lang=lang).points
                    if p["id"] == "proposed")  # fmt: skip
    tips = [row[2] for row in proposed["rows"]]
    place = strings.t("tip_proposed_place", lang, place="P001 (KCN Thử)")
    assert place in tips[0] and not any(place in tip for tip in tips[1:])


@pytest.mark.parametrize(
    ("key", "name", "data"),
    [
        (services.K_PLAN_CANDIDATES, "roofs.csv", b"colour,size\nred,3\n"),
        (services.K_PLAN_EXCLUDED, "parks.geojson", b'{"type": "Point", "coordinates": [105, 21]}'),
    ],
)
def test_junk_plan_files_are_reported_not_crashed(small, central_wards, planned, key, name, data):
    at = _plan_page(small, central_wards)
    at.session_state[key] = services.InputFile.from_bytes(name, data)
    at.run()
    _settle(at.button(key="plan_run").click().run())
    assert not at.exception, at.exception
    assert at.error, "a bad file must be reported with st.error"


@pytest.mark.slow
def test_the_planner_warm_up_leaves_a_first_plan_its_caches(small, central_wards, monkeypatch):
    """Issue #17: after the server's warm-up a first plan finds templates, pixels and gaps."""
    from phusong.caches import clear_caches
    from phusong.planning import modelcover
    from phusong.raster import ward_pixels

    clear_caches()
    st.cache_resource.clear()  # no audit of these inputs cached by an earlier test
    services.warm_planner((small, central_wards, None, DISC))  # footprint model: nothing
    assert not modelcover._TEMPLATES
    settings = services.Settings(model="uma", resolution_m=200.0)
    services.warm_planner((small, central_wards, None, settings))
    assert modelcover._TEMPLATES  # the new site's footprint
    (warmed,) = ward_pixels._OVERLAPS.values()  # the ward pixels of its audit,
    assert warmed.memo  # with each ward's gap pieces
    audit = services.audit(small, central_wards, None, settings)
    assert audit.grid.overlap is warmed  # the app's audit (and a plan's re-audit) reuse them
