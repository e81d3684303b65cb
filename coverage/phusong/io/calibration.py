"""Read calibration files; their bytes as ``phusong calibrate`` writes them.

``calibration.json`` (:data:`CALIBRATION_FILE`) is what
:func:`phusong.calibration.run_calibration` fits and
``phusong audit --calibration`` / ``run_audit(calibration=…)`` applies. A
TOML file with the same keys is read too. The whole output folder of
``phusong calibrate`` is written by :mod:`phusong.io.calibration_outputs`.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from phusong.calibration.model import Calibration
from phusong.errors import ConfigError, DataError
from phusong.io.files import load_input

#: Name of the calibration file in the output folder.
CALIBRATION_FILE = "calibration.json"
#: Largest calibration file read [bytes].
MAX_CALIBRATION_BYTES = 10 * 1024 * 1024


def calibration_json_bytes(calibration: Calibration) -> bytes:
    """``calibration.json``: UTF-8, keys in a fixed order, two-space indent, final newline."""
    from phusong.summary import jsonable

    text = json.dumps(jsonable(calibration.as_dict()), ensure_ascii=False, indent=2)
    return (text + "\n").encode("utf-8")


def _parse(data: bytes, name: str) -> Any:
    """Parse JSON (or TOML) bytes; ConfigError naming the file when neither."""
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as json_error:
        import tomllib

        try:
            return tomllib.loads(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError):
            raise ConfigError(
                f"calibration: {name} is neither JSON nor TOML ({json_error}); give the "
                f"{CALIBRATION_FILE} that 'phusong calibrate' wrote."
            ) from None


def load_calibration(source: Any) -> Calibration:
    """Read a calibration from a path, bytes, a file object, a mapping or a Calibration.

    Returns
    -------
    Calibration
        With ``file`` set to the file's name and SHA-256 (for a mapping: the
        SHA-256 of its JSON form).

    Raises
    ------
    ConfigError
        Missing or unreadable file, or content that is not a phusong
        calibration (the message names the file and the key).
    """
    if isinstance(source, Calibration):
        if source.file is None:
            digest = hashlib.sha256(calibration_json_bytes(source)).hexdigest()
            return source.with_file("<calibration>", digest)
        return source
    if isinstance(source, Mapping):
        cal = Calibration.from_dict(source)
        return cal.with_file(
            "<calibration>", hashlib.sha256(calibration_json_bytes(cal)).hexdigest()
        )
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if path.is_dir():
            path = path / CALIBRATION_FILE
        if not path.is_file():
            raise ConfigError(
                f"calibration: file not found: {path}; give the {CALIBRATION_FILE} that "
                "'phusong calibrate' wrote."
            )
        source = path
    try:
        raw = load_input(source, max_bytes=MAX_CALIBRATION_BYTES)
    except DataError as exc:
        raise ConfigError(f"calibration: {exc}") from exc
    cal = Calibration.from_dict(_parse(raw.data, raw.name), raw.name)
    return cal.with_file(raw.name, hashlib.sha256(raw.data).hexdigest())


__all__ = [
    "CALIBRATION_FILE",
    "MAX_CALIBRATION_BYTES",
    "calibration_json_bytes",
    "load_calibration",
]
