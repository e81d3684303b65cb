"""Output folders that are complete or untouched: a lock, a staging folder, one swap.

Writing an output folder file by file leaves a mixture when the run is
interrupted (8 of 9 files; a new ``summary.json`` beside an old
``coverage.tif``), and two runs into one folder overwrite each other. So:

1. :func:`reserve_folder` takes a **lock** (an advisory ``flock`` on a hidden
   file beside the folder, ``.<name>.phusong-lock``, removed at the end; the
   kernel releases it when a process dies), so that a second run into the
   same folder fails at once with :class:`~phusong.errors.OutputBusyError`
   (exit 2), and checks that the folder can be written *before* anything is
   computed (:class:`~phusong.errors.OutputNotWritableError`, exit 2): it
   creates the **staging folder** ``.<name>.phusong-staging-<pid>`` beside it.
2. :meth:`ReservedFolder.commit` writes every file into the staging folder,
   carries over (hard links, no copy) the files of the old folder that are
   not the run's own, writes the **completion marker**
   (:data:`COMPLETE_MARKER`, the list of files) last, and then puts the
   staging folder in place with one atomic exchange of the two folders
   (``renameat2(RENAME_EXCHANGE)`` on Linux; elsewhere two renames, the old
   folder restored if the second fails). The old folder is then deleted and
   the marker removed, so the folder holds exactly the outputs.

An interrupted run (an exception, Ctrl-C) leaves the old folder as it was,
or no folder when there was none; the staging folder is deleted, and any
left by a killed process is removed by the next run into the same folder.
When the folder's parent cannot be written but the folder can, the files
are written in place (each atomically), under a lock inside the folder.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import json
import os
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from phusong.errors import OutputBusyError, OutputExistsError, OutputNotWritableError
from phusong.io.files import atomic_write_bytes

try:  # POSIX advisory locks; absent on Windows
    import fcntl
except ImportError:  # pragma: no cover - not on the supported platform
    fcntl = None  # type: ignore[assignment]

#: Name of the completion marker written last into the staging folder.
COMPLETE_MARKER = ".phusong-complete"
#: Suffixes of the hidden siblings of an output folder ``.<name><suffix>…``.
LOCK_SUFFIX = ".phusong-lock"
STAGING_SUFFIX = ".phusong-staging-"
OLD_SUFFIX = ".phusong-old-"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _not_writable(where: Path, exc: OSError) -> OutputNotWritableError:
    """Build the error for an output folder that cannot be written (folder and fix)."""
    return OutputNotWritableError(
        f"cannot write the output folder {where} ({exc.strerror or exc}); choose a folder "
        "you can write to ([[out]]) or change its permissions. Nothing was computed.",
        option="out",
    )


class FolderLock:
    """An exclusive, non-blocking lock on a lock file (``flock``), removed on release.

    Parameters
    ----------
    path : Path
        The lock file (created if needed).
    folder : Path
        The output folder it protects (named in messages).
    """

    def __init__(self, path: Path, folder: Path) -> None:
        self.path = path
        self.folder = folder
        self.fd: int | None = None

    def acquire(self) -> FolderLock:
        """Take the lock or raise :class:`OutputBusyError` at once.

        Raises
        ------
        OutputBusyError
            Another process holds it.
        OutputNotWritableError
            The lock file cannot be created.
        """
        for _ in range(100):  # the holder may unlink the file between open and flock
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666 & ~_umask())
            except OSError as exc:
                raise _not_writable(self.folder, exc) from exc
            if not self._lock(fd):
                os.close(fd)
                raise OutputBusyError(
                    f"another phusong run is writing to {self.folder} (lock file {self.path}); "
                    "wait for it to finish or choose another output folder ([[out]]).",
                    option="out",
                )
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if same:
                self.fd = fd
                os.ftruncate(fd, 0)
                os.write(fd, f"{os.getpid()}\n".encode())
                return self
            os.close(fd)
        raise OutputBusyError(f"could not lock {self.path}; try again.", option="out")

    @staticmethod
    def _lock(fd: int) -> bool:
        if fcntl is None:  # pragma: no cover - Windows: no advisory locks, no protection
            return True
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def release(self) -> None:
        """Remove the lock file and release the lock."""
        if self.fd is None:
            return
        with contextlib.suppress(OSError):
            os.unlink(self.path)
        if fcntl is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)
        self.fd = None


def has_entries(path: Path) -> bool:
    """Whether ``path`` is a folder with anything in it (besides an in-place run's lock)."""
    if not path.is_dir():
        return False
    return any(entry.name != LOCK_SUFFIX for entry in os.scandir(path))


def _renameat2_exchange() -> Callable[[Path, Path], bool]:
    """``exchange(a, b)`` swapping two paths atomically (Linux), or one returning False."""
    libc_name = ctypes.util.find_library("c")
    func = getattr(ctypes.CDLL(libc_name, use_errno=True), "renameat2", None) if libc_name else None
    if func is None:  # pragma: no cover - not Linux/glibc ≥ 2.28
        return lambda a, b: False
    at_fdcwd, rename_exchange = -100, 2

    def exchange(a: Path, b: Path) -> bool:
        result = func(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
        return result == 0

    return exchange


_EXCHANGE = _renameat2_exchange()


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


@dataclass
class ReservedFolder:
    """An output folder locked for one run, with its staging folder.

    Made by :func:`reserve_folder`; valid inside its ``with`` block.

    Attributes
    ----------
    path : Path
        The output folder (symbolic links resolved).
    shown : Path
        The output folder as the caller named it (returned paths use it).
    overwrite : bool
        Whether an existing non-empty folder may be replaced.
    staging : Path or None
        The staging folder; ``None`` when the files are written in place
        (the parent cannot be written).
    """

    path: Path
    shown: Path
    overwrite: bool
    staging: Path | None
    lock: FolderLock = field(repr=False)

    def commit(
        self,
        files: Mapping[str, bytes],
        *,
        own_names: Iterable[str],
        extra: Callable[[Path], Path | None] | None = None,
    ) -> dict[str, Path]:
        """Write the run's files and put the folder in place in one step.

        Parameters
        ----------
        files : mapping of str to bytes
            File name -> content.
        own_names : iterable of str
            Every name the run may write: files of the old folder with these
            names are dropped (they described another run); others are kept.
        extra : callable, optional
            ``extra(folder) -> path`` writes one more file (a GeoTIFF) into
            the folder it is given and returns its path (or ``None``).

        Returns
        -------
        dict
            File name -> final path of every file written, sorted by name.
        """
        if not self.overwrite and has_entries(self.path):
            raise OutputExistsError(
                f"output folder {self.shown} is not empty; pass --overwrite to replace its "
                "files or choose another --out."
            )
        target = self.staging if self.staging is not None else self.path
        names = write_all(target, files, extra, in_place=self.staging is None)
        own = set(own_names) | set(names)
        if self.staging is None:
            for name in own - set(names):
                with contextlib.suppress(FileNotFoundError):
                    (self.path / name).unlink()
        else:
            self._carry_over(own)
            marker = {"files": sorted(names), "pid": os.getpid()}
            (self.staging / COMPLETE_MARKER).write_text(json.dumps(marker), encoding="utf-8")
            self._swap()
        return {n: self.shown / n for n in sorted(names)}

    def _carry_over(self, own: set[str]) -> None:
        """Hard-link the old folder's other entries (not the run's own) into staging."""
        assert self.staging is not None
        if not self.path.is_dir():
            return
        for entry in os.scandir(self.path):
            if entry.name in own or entry.name == COMPLETE_MARKER:
                continue
            dst = self.staging / entry.name
            if entry.is_dir(follow_symlinks=False):
                shutil.copytree(entry.path, dst, symlinks=True, copy_function=_link_or_copy)
            elif entry.is_symlink():
                os.symlink(os.readlink(entry.path), dst)
            else:
                _link_or_copy(entry.path, str(dst))
        shutil.copymode(self.path, self.staging)

    def _swap(self) -> None:
        """Put the complete staging folder at ``path``; delete the old one."""
        assert self.staging is not None
        staging, path = self.staging, self.path
        if not (staging / COMPLETE_MARKER).is_file():  # pragma: no cover - guarded above
            raise OutputExistsError(f"{staging} is not complete; nothing was replaced.")
        if not path.exists():
            os.rename(staging, path)
        elif not has_entries(path):
            os.rename(staging, path)  # replaces an empty folder
        elif _EXCHANGE(staging, path):
            shutil.rmtree(staging, ignore_errors=True)  # the old folder, now at staging
        else:  # pragma: no cover - no atomic exchange: two renames, undone on failure
            old = path.with_name(f".{path.name}{OLD_SUFFIX}{os.getpid()}")
            os.rename(path, old)
            try:
                os.rename(staging, path)
            except BaseException:
                os.rename(old, path)
                raise
            shutil.rmtree(old, ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            (path / COMPLETE_MARKER).unlink()
        self.staging = None

    def discard(self) -> None:
        """Delete the staging folder (an unfinished run)."""
        if self.staging is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
            self.staging = None


def write_all(
    folder: Path,
    files: Mapping[str, bytes],
    extra: Callable[[Path], Path | None] | None = None,
    *,
    in_place: bool = False,
) -> list[str]:
    """Write ``files`` (and ``extra``) into ``folder`` with the permissions ``open()`` gives.

    Returns
    -------
    list of str
        The names written.
    """
    mode = 0o666 & ~_umask()
    names = []
    for name in sorted(files):
        path = folder / name
        if in_place:
            atomic_write_bytes(path, files[name], overwrite=True)
        else:
            with open(path, "wb") as fh:
                fh.write(files[name])
                fh.flush()
                os.fsync(fh.fileno())
        os.chmod(path, mode)
        names.append(name)
    if extra is not None:
        written = extra(folder)
        if written is not None:
            os.chmod(written, mode)  # GDAL's temporary copy is private (0600)
            names.append(written.name)
    return names


def _remove_leftovers(path: Path) -> None:
    """Delete staging and old folders that killed runs left beside ``path``."""
    parent = path.parent
    if not parent.is_dir():
        return
    prefixes = (f".{path.name}{STAGING_SUFFIX}", f".{path.name}{OLD_SUFFIX}")
    for entry in os.scandir(parent):
        if entry.name.startswith(prefixes) and entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)


def _staging_for(path: Path, shown: Path) -> Path | None:
    """Create the staging folder beside ``path`` (``None``: write in place).

    In place when the parent cannot be written, or when ``path`` is (or holds)
    the working folder.

    Raises
    ------
    OutputNotWritableError
        Neither the parent nor the folder itself can be written.
    """
    cwd = Path.cwd().resolve()
    if cwd == path or path in cwd.parents:
        return None  # swapping the working folder away would strand this process: in place
    staging = path.with_name(f".{path.name}{STAGING_SUFFIX}{os.getpid()}")
    try:
        staging.mkdir(mode=0o777)
        return staging
    except PermissionError as exc:
        if path.is_dir() and os.access(path, os.W_OK | os.X_OK):
            return None  # write in place
        raise _not_writable(shown, exc) from exc
    except OSError as exc:
        raise _not_writable(shown, exc) from exc


@contextlib.contextmanager
def reserve_folder(path: Path, *, overwrite: bool) -> Iterator[ReservedFolder]:
    """Lock an output folder, check it can be written, and give its staging folder.

    Parameters
    ----------
    path : Path
        The output folder (it need not exist; missing parents are created).
    overwrite : bool
        Whether an existing non-empty folder may be replaced (checked by the
        caller; recorded here).

    Yields
    ------
    ReservedFolder
        Write with :meth:`ReservedFolder.commit`; leaving the block
        without committing leaves the folder as it was.

    Raises
    ------
    OutputBusyError
        Another run holds the folder's lock.
    OutputNotWritableError
        The folder (or its parent) cannot be written.
    """
    shown = Path(path)
    path = Path(os.path.realpath(path))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _not_writable(shown, exc) from exc
    if path.is_dir() and not os.access(path, os.W_OK | os.X_OK):
        raise _not_writable(shown, PermissionError(13, "permission denied"))
    lock_path = path.with_name(f".{path.name}{LOCK_SUFFIX}")
    if not os.access(path.parent, os.W_OK | os.X_OK) and path.is_dir():
        lock_path = path / LOCK_SUFFIX  # a read-only parent: lock inside, write in place
    lock = FolderLock(lock_path, shown).acquire()
    folder = None
    try:
        _remove_leftovers(path)
        folder = ReservedFolder(path, shown, overwrite, _staging_for(path, shown), lock)
        yield folder
    finally:
        if folder is not None:
            folder.discard()
        lock.release()


__all__ = [
    "COMPLETE_MARKER",
    "FolderLock",
    "ReservedFolder",
    "has_entries",
    "reserve_folder",
    "write_all",
]
