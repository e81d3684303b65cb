"""Results of the *default* audit kept on disk between server processes.

The default audit (shipped wards, shipped SYNTHETIC sample, default model)
takes seconds to compute with the path-loss default model; a server that
starts computes it in the background (:func:`services.warm_up`), but a
visitor who arrives first would wait for it. So the warm-up also writes it
here, and the next server process loads it instead of computing it again.

An entry is used only when *everything* that produced it is unchanged: the
entry's name is a SHA-256 of the library's and the app's source files, the
shipped data files, the settings and the versions of Python and the main
dependencies (:func:`fingerprint`). Anything else is never stored. The
folder is ``$PHUSONG_APP_CACHE`` or ``~/.cache/phusong/app``;
``PHUSONG_APP_CACHE=off`` turns the cache off. Entries are written
atomically (a temporary file renamed), and a file that cannot be read is
ignored (and computed again).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import pickle
import platform
import tempfile
from pathlib import Path
from typing import Any

log = logging.getLogger("phusong.app")

#: Environment variable naming the cache folder (``off`` turns the cache off).
CACHE_ENV = "PHUSONG_APP_CACHE"
APP = Path(__file__).resolve().parent


def folder() -> Path | None:
    """The cache folder, or ``None`` when the cache is off."""
    value = os.environ.get(CACHE_ENV, "").strip()
    if value.lower() in ("off", "0", "no", "false"):
        return None
    if value:
        return Path(value).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "phusong" / "app"


def _digest_files(paths: list[Path], root: Path, h: Any) -> None:
    for p in sorted(paths):
        h.update(str(p.relative_to(root)).encode())
        h.update(p.read_bytes())


@functools.cache
def code_and_data_digest() -> str:
    """SHA-256 of the library's and the app's files and of the shipped data."""
    import numpy
    import pandas

    import phusong
    from phusong.io.shipped import data_path

    h = hashlib.sha256()
    lib = Path(phusong.__file__).resolve().parent
    _digest_files(
        [p for p in lib.rglob("*") if p.is_file() and "__pycache__" not in p.parts], lib, h
    )
    _digest_files([p for p in APP.rglob("*.py") if "__pycache__" not in p.parts], APP, h)
    data = data_path("boundaries").parent
    _digest_files([p for p in data.rglob("*") if p.is_file()], data, h)
    for v in (platform.python_version(), numpy.__version__, pandas.__version__):
        h.update(v.encode())
    return h.hexdigest()


def fingerprint(*parts: Any) -> str:
    """Name of an entry: :func:`code_and_data_digest` and ``parts`` (settings, what)."""
    h = hashlib.sha256(code_and_data_digest().encode())
    h.update(repr(parts).encode())
    return h.hexdigest()[:32]


def load(key: str) -> Any | None:
    """The entry ``key``, or ``None`` (no cache, no entry, or an unreadable one)."""
    base = folder()
    if base is None:
        return None
    path = base / f"{key}.pkl"
    if not path.is_file():
        return None
    try:
        with path.open("rb") as fh:
            return pickle.load(fh)
    except Exception as exc:  # a broken entry is computed again, never shown
        log.info("disk cache: %s unreadable (%s); computing it again", path.name, exc)
        return None


def save(key: str, value: Any) -> None:
    """Store ``value`` as the entry ``key`` (atomically; failures are only logged)."""
    base = folder()
    if base is None:
        return
    try:
        base.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=base, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, base / f"{key}.pkl")
    except Exception as exc:  # the cache is an optimisation: never fail the app for it
        log.info("disk cache: could not store %s (%s)", key, exc)


__all__ = ["CACHE_ENV", "fingerprint", "folder", "load", "save"]
