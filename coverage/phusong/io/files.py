"""File safety shared by every reader and writer.

- Inputs: a path, raw bytes, or an uploaded file object (Streamlit's
  ``UploadedFile`` or any binary file-like with ``read`` and ``name``) is turned
  into bytes once, with a size limit.
- Zip archives are read member by member with a limit on the uncompressed size
  and without ever writing a member outside a temporary folder.
- Outputs are written atomically: a temporary file in the same folder, then
  :func:`os.replace`.
"""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from phusong.errors import ConfigError, DataError, OutputExistsError

#: Default largest accepted input, compressed or not [bytes] (200 MB).
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
#: Largest total uncompressed size read from an archive [bytes] (1 GB).
MAX_UNCOMPRESSED_BYTES = 1024 * 1024 * 1024
#: Largest accepted compression ratio of an archive member (zip-bomb guard).
MAX_COMPRESSION_RATIO = 200

Source = str | os.PathLike[str] | bytes | IO[bytes] | Any


@dataclass(frozen=True)
class RawInput:
    """The bytes of one input and the name to show in messages.

    Parameters
    ----------
    name : str
        File name as the user knows it (no folder for uploads).
    data : bytes
        The whole content.
    path : Path or None
        The path on disk when the input came from one.
    """

    name: str
    data: bytes
    path: Path | None = None

    @property
    def suffix(self) -> str:
        """Lower-case suffix including compound ones such as ``.csv.gz``."""
        lower = self.name.lower()
        for compound in (".csv.gz", ".tsv.gz", ".txt.gz", ".shp.zip"):
            if lower.endswith(compound):
                return compound
        return Path(lower).suffix


def load_input(
    source: Source, *, max_bytes: int = MAX_UPLOAD_BYTES, name: str | None = None
) -> RawInput:
    """Read a path, bytes or binary file object into memory, with a size limit.

    Parameters
    ----------
    source : path, bytes or file-like
        What to read. File-like objects need ``read()``; their ``name``
        attribute (if any) is used in messages.
    max_bytes : int
        Largest accepted size [bytes]; default 200 MB.
    name : str, optional
        Name to show in messages (overrides the source's own).

    Raises
    ------
    DataError
        The file does not exist, cannot be read, or is larger than ``max_bytes``.
    """
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        shown = name or path.name
        if not path.is_file():
            raise DataError(f"file not found: {path}. Check the path.", file=shown)
        size = path.stat().st_size
        _check_size(size, max_bytes, shown)
        return RawInput(shown, path.read_bytes(), path)
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        shown = name or "<upload>"
    elif hasattr(source, "read"):
        shown = name or Path(str(getattr(source, "name", "<upload>"))).name
        declared = getattr(source, "size", None)
        if isinstance(declared, int):
            _check_size(declared, max_bytes, shown)
        if hasattr(source, "seek"):
            try:
                source.seek(0)
            except (OSError, ValueError):
                pass
        data = source.read(max_bytes + 1)
        if isinstance(data, str):
            data = data.encode("utf-8")
    else:
        raise DataError(
            f"cannot read an input of type {type(source).__name__}; give a path, bytes or a file object.",
            file=name or "<input>",
        )
    _check_size(len(data), max_bytes, shown)
    return RawInput(shown, data, None)


def _check_size(size: int, max_bytes: int, shown: str) -> None:
    if size > max_bytes:
        raise DataError(
            f"file is {size / 1e6:.1f} MB, larger than the {max_bytes / 1e6:.0f} MB limit. "
            "Split it, compress it as .csv.gz, or raise the limit (max_bytes / --max-upload-mb).",
            file=shown,
        )


def safe_zip_members(raw: RawInput, *, max_total: int = MAX_UNCOMPRESSED_BYTES) -> dict[str, bytes]:
    """Read every regular member of a zip archive into memory, safely.

    Member names with absolute paths or ``..`` parts are refused (path
    traversal); the total uncompressed size is bounded by ``max_total`` and each
    member's compression ratio by :data:`MAX_COMPRESSION_RATIO` (zip bombs).
    Sizes are checked while decompressing, not only from the header.

    Returns
    -------
    dict
        Member name (POSIX, relative) -> bytes.
    """
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw.data))
    except zipfile.BadZipFile as exc:
        raise DataError(f"not a valid zip archive ({exc}).", file=raw.name) from exc
    out: dict[str, bytes] = {}
    total = 0
    with zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            member = PurePosixPath(info.filename.replace("\\", "/"))
            if member.is_absolute() or ".." in member.parts or info.filename.startswith("/"):
                raise DataError(
                    f"archive member '{info.filename}' points outside the archive (path traversal); "
                    "re-create the zip with relative paths.",
                    file=raw.name,
                )
            if (
                info.compress_size
                and info.file_size / max(info.compress_size, 1) > MAX_COMPRESSION_RATIO
            ):
                raise DataError(
                    f"archive member '{info.filename}' expands more than {MAX_COMPRESSION_RATIO}× "
                    "(possible zip bomb); unzip it yourself and upload the files.",
                    file=raw.name,
                )
            chunks = []
            with zf.open(info) as fh:
                while True:
                    chunk = fh.read(1 << 20)
                    if not chunk:
                        break
                    total += len(chunk)
                    if total > max_total:
                        raise DataError(
                            f"archive expands to more than {max_total / 1e6:.0f} MB; "
                            "upload a smaller archive.",
                            file=raw.name,
                        )
                    chunks.append(chunk)
            out[str(member)] = b"".join(chunks)
    return out


@contextmanager
def materialise(raw: RawInput, suffix: str | None = None) -> Iterator[Path]:
    """Give a path on disk for ``raw`` (its own path, or a temporary copy)."""
    if raw.path is not None and (suffix is None or raw.path.name.lower().endswith(suffix)):
        yield raw.path
        return
    with tempfile.TemporaryDirectory(prefix="phusong-") as tmp:
        path = Path(tmp) / ("input" + (suffix or raw.suffix or ""))
        path.write_bytes(raw.data)
        yield path


def atomic_write_bytes(
    path: str | os.PathLike[str], data: bytes, *, overwrite: bool = False
) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file + rename).

    Parameters
    ----------
    path : path
        Destination.
    data : bytes
        Content.
    overwrite : bool
        Replace an existing file; otherwise :class:`OutputExistsError`.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise OutputExistsError(
            f"{path} exists; pass overwrite=True (CLI: --overwrite) to replace it."
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp creates 0600; give the file the permissions open() would.
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path: str | os.PathLike[str], text: str, *, overwrite: bool = False) -> Path:
    """Write UTF-8 text atomically; see :func:`atomic_write_bytes`."""
    return atomic_write_bytes(path, text.encode("utf-8"), overwrite=overwrite)


def read_toml(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a TOML file (a config file).

    Raises
    ------
    ConfigError
        The file is missing, a folder, not UTF-8 or not valid TOML; the
        message names the file.
    """
    import tomllib

    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"config: {path} is a folder, not a TOML file.")
    if not path.is_file():
        raise ConfigError(f"config: file not found: {path}.")
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config: {path.name} is not valid TOML ({exc}).") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config: {path.name} is not UTF-8 text ({exc}).") from exc


def sha256_file(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB chunks [hex]."""
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def input_record(source: Any) -> dict[str, Any] | None:
    """Name and SHA-256 of an input (a path, bytes or a file object), for ``summary.json``.

    Returns ``None`` for anything else (a table passed in memory).
    """
    import hashlib

    if isinstance(source, (str, os.PathLike)) and Path(source).is_file():
        return {"name": Path(source).name, "sha256": sha256_file(source)}
    if isinstance(source, (bytes, bytearray)):
        return {"name": "<bytes>", "sha256": hashlib.sha256(source).hexdigest()}
    if hasattr(source, "read") and hasattr(source, "seek"):
        pos = source.tell() if hasattr(source, "tell") else 0
        source.seek(0)
        data = source.read()
        source.seek(pos)
        if isinstance(data, str):
            data = data.encode()
        return {
            "name": Path(str(getattr(source, "name", "<upload>"))).name,
            "sha256": hashlib.sha256(data).hexdigest(),
        }
    return None
