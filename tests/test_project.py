"""Standing rules of the project, checked on every run."""

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_coverage_is_a_source_folder_not_a_package():
    assert not (ROOT / "coverage" / "__init__.py").exists()
    # `import coverage` must never find our folder (it is coverage.py's name).
    spec = importlib.util.find_spec("coverage")
    assert (
        spec is None
        or spec.origin is None
        or not Path(spec.origin).is_relative_to(ROOT / "coverage")
    )
    import phusong

    assert Path(phusong.__file__).parent == ROOT / "coverage" / "phusong"


def test_library_never_imports_streamlit():
    pattern = re.compile(r"^\s*(import|from)\s+streamlit", re.M)
    offenders = [p for p in (ROOT / "coverage").rglob("*.py") if pattern.search(p.read_text())]
    assert offenders == []


def test_ruff_clean():
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    if not Path(ruff).exists():
        pytest.skip("ruff not installed")
    res = subprocess.run(
        [ruff, "check", "coverage", "app", "tests", "benchmarks"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stdout + res.stderr


def test_readme_names_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert "./dev app" in readme and "./dev test" in readme
    assert "OpenStreetMap contributors" in readme
    assert "./dev test" in (ROOT / ".ci" / "run").read_text()


def test_every_subpackage_is_installed():
    """pyproject's explicit package list names every subpackage (a wheel would miss it otherwise)."""
    import tomllib

    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    src = ROOT / "coverage"
    found = {
        ".".join(p.parent.relative_to(src).parts)
        for p in (src / "phusong").rglob("__init__.py")
        if "__pycache__" not in p.parts
    }
    assert found <= listed, sorted(found - listed)
