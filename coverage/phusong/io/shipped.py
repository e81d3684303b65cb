"""Locate the data phusong ships (ward boundaries, the synthetic sample network).

In a repository checkout the data lives in ``data/`` at the top of the
project; an installed wheel carries the same files as ``phusong._data``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def data_path(*parts: str) -> Path:
    """Path of a shipped data file, e.g. ``data_path("boundaries", "x.geojson")``.

    Looks in the repository's ``data/`` folder first (checkout and editable
    installs), then in the installed ``phusong._data`` package.
    """
    repo = Path(__file__).resolve().parents[3] / "data"
    candidate = repo.joinpath(*parts)
    if candidate.exists():
        return candidate
    try:
        ref = resources.files("phusong._data").joinpath(*parts)
    except ModuleNotFoundError as exc:  # pragma: no cover - broken install
        raise FileNotFoundError(f"shipped data file {'/'.join(parts)} not found") from exc
    path = Path(str(ref))
    if not path.exists():
        raise FileNotFoundError(f"shipped data file {'/'.join(parts)} not found in {path.parent}")
    return path
