"""Locate the data phusong ships (ward boundaries, the synthetic sample network).

In a repository checkout the data lives in ``data/`` at the top of the
project; an installed wheel carries the same files as ``phusong._data``.
"""

from __future__ import annotations

import base64
import functools
import re
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


@functools.cache
def asset_data_urls(assets: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """Return ``data:`` URLs of shipped vendor assets (``data/vendor/…``), by asset name.

    Parameters
    ----------
    assets : tuple of (name, path below ``data/vendor``)
        The assets to embed (``.css`` as text/css, anything else as JavaScript).

    Images a stylesheet refers to (``url(images/layers.png)``) are embedded in
    it as ``data:image/png`` URLs first, since a ``data:`` stylesheet has no
    folder to resolve them against.
    """
    out: dict[str, str] = {}
    for name, rel in assets:
        path = data_path("vendor", *rel.split("/"))
        if path.suffix == ".css":
            text = path.read_text(encoding="utf-8")

            def inline(match: re.Match[str], folder: Path = path.parent) -> str:
                image = folder / match.group(1)
                if not image.is_file():
                    return match.group(0)
                return f"url(data:image/png;base64,{base64.b64encode(image.read_bytes()).decode()})"

            text = re.sub(r"url\((images/[\w.-]+\.png)\)", inline, text)
            data, mime = text.encode("utf-8"), "text/css"
        else:
            data, mime = path.read_bytes(), "text/javascript"
        out[name] = f"data:{mime};base64,{base64.b64encode(data).decode()}"
    return out
