"""Config files and option merging (phusong.options)."""

from __future__ import annotations

from pathlib import Path

import pytest

from phusong.errors import ConfigError
from phusong.options import AUDIT_KEYS, AuditOptions, read_config, resolve_audit_options


def write(tmp_path: Path, text: str, name: str = "audit.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_every_key_is_an_option_and_back():
    from dataclasses import fields

    names = {f.name for f in fields(AuditOptions)} - {"config"}
    assert names == set(AUDIT_KEYS)


def test_reads_values_and_resolves_paths_against_the_file(tmp_path):
    sub = tmp_path / "cfg"
    sub.mkdir()
    cfg = write(
        sub,
        'sites = "data/sites.csv"\nwards = "/abs/w.geojson"\nmodel = "uma"\n'
        'threshold_dbm = -105\nresolution_m = 50\ngoal = 95\ngoal_metric = "area"\n'
        'operators = ["Viettel", "VinaPhone"]\nradio = "nr"\nout = "reports/q3"\n'
        "overwrite = true\nfail_under = true\n",
    )
    values = read_config(cfg)
    assert values["sites"] == sub.resolve() / "data" / "sites.csv"
    assert values["wards"] == Path("/abs/w.geojson")
    assert values["out"] == sub.resolve() / "reports" / "q3"
    assert values["threshold_dbm"] == -105.0 and isinstance(values["threshold_dbm"], float)
    assert values["operators"] == ("Viettel", "VinaPhone")
    assert values["radio"] == ("NR",)
    assert values["overwrite"] is True and values["fail_under"] is True


def test_command_line_overrides_the_file(tmp_path):
    cfg = write(tmp_path, 'sites = "a.csv"\nthreshold_dbm = -105\nmodel = "uma"\ngoal = 95\n')
    opts = resolve_audit_options({"threshold_dbm": -100.0, "model": None}, cfg)
    assert opts.threshold_dbm == -100.0  # given on the command line
    assert opts.model == "uma"  # None = not given: the file's value stays
    assert opts.goal == 95.0
    assert opts.resolution_m == 50.0  # built-in default (issue #12: was 20 m)
    assert opts.sites == tmp_path.resolve() / "a.csv"
    assert opts.config == cfg


def test_defaults_without_a_file():
    opts = resolve_audit_options({})
    assert (opts.model, opts.threshold_dbm, opts.goal, opts.goal_metric) == (
        "planning",  # issue #12: the default model (was disc)
        -110.0,
        99.0,
        "population",
    )
    assert opts.radio == ("NR",) and opts.out == Path("phusong-audit")
    with pytest.raises(ConfigError, match=r"^sites: .*--sites"):
        opts.run_audit_kwargs()


def test_radio_all_keeps_every_technology():
    assert resolve_audit_options({"radio": ["all"]}).radio is None
    assert resolve_audit_options({"radio": ["nr", "LTE"]}).radio == ("NR", "LTE")


def test_unknown_key_is_named_and_valid_keys_listed(tmp_path):
    cfg = write(tmp_path, "treshold_dbm = -105\n")
    with pytest.raises(ConfigError) as info:
        read_config(cfg)
    msg = str(info.value)
    assert msg.startswith("treshold_dbm (in audit.toml): unknown key")
    assert "threshold_dbm" in msg and "resolution_m" in msg


@pytest.mark.parametrize(
    ("line", "key", "allowed"),
    [
        ('threshold_dbm = "low"', "threshold_dbm", "a number"),
        ("threshold_dbm = true", "threshold_dbm", "a number"),  # a bool is not a number
        ("goal = 150", "goal", "≤ 100"),
        ("goal = -1", "goal", "0 ≤ value"),
        ("resolution_m = 0", "resolution_m", "1 ≤ value"),
        ("radius_m = 0", "radius_m", "0 < value"),
        ('goal_metric = "people"', "goal_metric", "one of population, area"),
        ('model = "okumura"', "model", "one of planning, disc, sector"),
        ("overwrite = 1", "overwrite", "true or false"),
        ("operators = [1, 2]", "operators", "a list of strings"),
        ("operators = []", "operators", "at least one"),
        ("sites = 3", "sites", "a file path"),
    ],
)
def test_bad_values_name_the_key(tmp_path, line, key, allowed):
    cfg = write(tmp_path, line + "\n")
    with pytest.raises(ConfigError) as info:
        read_config(cfg)
    assert str(info.value).startswith(f"{key} (in audit.toml): got ")
    assert allowed in str(info.value)


def test_bad_command_line_values_name_the_option():
    with pytest.raises(ConfigError, match=r"^--threshold-dbm: got 5\.0"):
        resolve_audit_options({"threshold_dbm": 5.0})
    with pytest.raises(ConfigError, match=r"^--goal-metric: "):
        resolve_audit_options({"goal_metric": "households"})


def test_full_path_loss_model_names_are_accepted():
    from phusong.propagation import PATH_LOSS_MODELS

    name = next(iter(PATH_LOSS_MODELS))
    assert resolve_audit_options({"model": name}).model == name


def test_invalid_toml_and_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="not valid TOML"):
        read_config(write(tmp_path, "model = \n"))
    with pytest.raises(ConfigError, match="file not found"):
        read_config(tmp_path / "nope.toml")


def test_run_audit_kwargs_carry_the_goal(tmp_path):
    from phusong.goals import Goal

    opts = resolve_audit_options({"sites": "s.csv", "goal": 90.0, "goal_metric": "area"})
    kw = opts.run_audit_kwargs()
    assert (kw["goal"].target_pct, kw["goal"].metric) == (90.0, "area")
    assert "custom target" in kw["goal"].source  # not attributed to plan 58
    assert resolve_audit_options({"sites": "s.csv"}).run_audit_kwargs()["goal"] == Goal()
    assert kw["sites"] == Path("s.csv")
