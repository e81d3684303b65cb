"""File safety shared by every reader and writer.

- Inputs: a path, raw bytes, or an uploaded file object (Streamlit's
  ``UploadedFile`` or any binary file-like with ``read`` and ``name``) is turned
  into bytes once, with a size limit.
- Compressed inputs (gzip, zip members, the parts of an XLSX workbook) are
  inflated as a stream and refused as soon as they grow past the limits:
  :data:`MAX_UNCOMPRESSED_BYTES` in all, and :data:`MAX_COMPRESSION_RATIO`
  times their compressed size (a "zip bomb" is refused after a few MB, never
  after inflating it). The sizes an archive declares are checked first.
- Zip archives are read member by member and without ever writing a member
  outside a temporary folder.
- Outputs are written atomically: a temporary file in the same folder, then
  :func:`os.replace`.
"""

from __future__ import annotations

import gzip
import io
import os
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from phusong.errors import ConfigError, DataError, OutputExistsError

#: One megabyte as sizes are shown to users (and as Streamlit counts its
#: upload limit): 2**20 bytes [bytes].
MB = 1024 * 1024
#: Default largest accepted input, compressed or not [bytes] (200 MB).
MAX_UPLOAD_BYTES = 200 * MB
#: Largest total uncompressed size read from an archive [bytes] (1,024 MB).
MAX_UNCOMPRESSED_BYTES = 1024 * MB
#: Largest accepted compression ratio of an archive member (zip-bomb guard).
MAX_COMPRESSION_RATIO = 200
#: Inflated data below this size is never refused for its ratio [bytes] (1 MB):
#: tiny files of repeated text compress far better than real tables.
RATIO_FREE_BYTES = MB

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
        if path.is_dir():
            raise DataError(
                f"{path} is a folder, not a file. Give the file inside it (or zip the folder).",
                file=shown,
            )
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
            f"file is {size / MB:.1f} MB, larger than the {max_bytes / MB:.0f} MB limit. "
            "Split it, or compress it (.csv.gz or .zip: the limit applies to the compressed file).",
            file=shown,
        )


def _refuse_bomb(shown: str, what: str, limit: int) -> DataError:
    return DataError(
        f"{what} expands to more than {limit / MB:,.0f} MB (or more than "
        f"{MAX_COMPRESSION_RATIO}× its compressed size: possibly a zip bomb); "
        "unpack it yourself and give the smaller files.",
        file=shown,
    )


def inflation_limit(compressed_bytes: int, max_total: int = MAX_UNCOMPRESSED_BYTES) -> int:
    """Most bytes a compressed input of ``compressed_bytes`` may inflate to [bytes].

    The smaller of ``max_total`` and :data:`MAX_COMPRESSION_RATIO` times the
    compressed size (at least :data:`RATIO_FREE_BYTES`).
    """
    return min(max_total, max(MAX_COMPRESSION_RATIO * compressed_bytes, RATIO_FREE_BYTES))


def gunzip_safely(raw: RawInput, *, max_total: int = MAX_UNCOMPRESSED_BYTES) -> bytes:
    """Inflate a gzip file as a stream, refusing it as soon as it grows too large.

    The size stored in the gzip trailer is checked first; then the data is
    inflated in 1 MB steps and refused once it passes :func:`inflation_limit`.

    Raises
    ------
    DataError
        Too large (a decompression bomb), corrupt or truncated.
    """
    limit = inflation_limit(len(raw.data), max_total)
    declared = int.from_bytes(raw.data[-4:], "little") if len(raw.data) >= 18 else 0
    if declared > limit:  # the trailer holds the size mod 2**32: a lower bound
        raise _refuse_bomb(raw.name, "the gzip file", limit)
    chunks, total = [], 0
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw.data)) as fh:
            while chunk := fh.read(MB):
                total += len(chunk)
                if total > limit:
                    raise _refuse_bomb(raw.name, "the gzip file", limit)
                chunks.append(chunk)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(
            f"the gzip file is corrupt or truncated ({exc}); download it again.", file=raw.name
        ) from exc
    return b"".join(chunks)


def check_zip_sizes(raw: RawInput, *, max_total: int = MAX_UNCOMPRESSED_BYTES) -> None:
    """Refuse a zip archive (or an XLSX workbook) whose declared sizes are too large.

    Python's zip reader never returns more than a member's declared size, so
    checking the declared sizes bounds what any reader (openpyxl, pyogrio)
    will inflate.

    Raises
    ------
    DataError
        The members declare more than ``max_total`` in all, or a member more
        than :data:`MAX_COMPRESSION_RATIO` times its compressed size.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(raw.data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise DataError(f"not a valid zip archive ({exc}).", file=raw.name) from exc
    if sum(i.file_size for i in infos) > max_total:
        raise _refuse_bomb(raw.name, "the archive", max_total)
    for info in infos:
        if info.file_size > inflation_limit(info.compress_size, max_total):
            raise _refuse_bomb(raw.name, f"archive member '{info.filename}'", max_total)


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
    check_zip_sizes(raw, max_total=max_total)
    zf = zipfile.ZipFile(io.BytesIO(raw.data))
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
            out[str(member)] = _inflate_member(zf, info, raw.name, max_total - total)
            total += len(out[str(member)])
    return out


#: Vector files a zip may hold, in order of preference (a Shapefile first).
ZIPPED_VECTOR_SUFFIXES = (".shp", ".geojson", ".json", ".gpkg", ".parquet", ".fgb")


def first_vector_member(
    members: dict[str, bytes], suffixes: tuple[str, ...] = ZIPPED_VECTOR_SUFFIXES
) -> str | None:
    """Choose the zip member to read as vector data: the first of the most preferred suffix.

    macOS resource forks (``__MACOSX/``) are skipped; ``None`` when there is none.
    """
    names = [m for m in members if not m.startswith("__MACOSX/")]
    return next((m for s in suffixes for m in names if m.lower().endswith(s)), None)


@contextmanager
def extracted_member(members: dict[str, bytes], member: str) -> Iterator[Path]:
    """Write a zip's members (from :func:`safe_zip_members`) to a temporary folder.

    Yields the path of ``member`` there, with the other members beside it (a
    Shapefile's ``.shx``, ``.dbf`` and ``.prj``); the folder is removed after.
    """
    with tempfile.TemporaryDirectory(prefix="phusong-zip-") as tmp:
        for name, data in members.items():
            target = Path(tmp, *Path(name).parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        yield Path(tmp, *Path(member).parts)


def _inflate_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, shown: str, room: int) -> bytes:
    """One member's bytes, inflated as a stream within the ratio limit and ``room`` [bytes]."""
    limit = min(room, inflation_limit(info.compress_size))
    chunks, size = [], 0
    try:
        with zf.open(info) as fh:
            while chunk := fh.read(MB):
                size += len(chunk)
                if size > limit:
                    raise _refuse_bomb(shown, f"archive member '{info.filename}'", limit)
                chunks.append(chunk)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError) as exc:
        raise DataError(
            f"archive member '{info.filename}' cannot be read ({type(exc).__name__}: {exc}); "
            "re-create the zip.",
            file=shown,
        ) from exc
    return b"".join(chunks)


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
