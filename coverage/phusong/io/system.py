"""What the machine offers: the memory available to this process.

Read from the operating system (``/proc/meminfo``, the cgroup's limit when
running in a container), so it lives with the other code that reads files.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

#: Where Linux says how much memory can be used without swapping.
MEMINFO = Path("/proc/meminfo")
#: The memory limit and use of this process's cgroup (v2), when there is one.
CGROUP_MAX = Path("/sys/fs/cgroup/memory.max")
CGROUP_CURRENT = Path("/sys/fs/cgroup/memory.current")


def _meminfo_available() -> int | None:
    """``MemAvailable`` of ``/proc/meminfo`` [bytes], or ``None``."""
    with contextlib.suppress(OSError, ValueError):
        with open(MEMINFO, encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    return None


def _cgroup_room() -> int | None:
    """Memory left under the cgroup's limit [bytes], or ``None`` without a limit."""
    with contextlib.suppress(OSError, ValueError):
        with open(CGROUP_MAX, encoding="ascii") as fh:
            limit = fh.read().strip()
        if limit == "max":
            return None
        with open(CGROUP_CURRENT, encoding="ascii") as fh:
            used = int(fh.read().strip())
        return max(int(limit) - used, 0)
    return None


def available_memory_bytes() -> int | None:
    """Memory this process can still allocate without swapping [bytes], or ``None`` if unknown.

    The smaller of Linux's ``MemAvailable`` and the room under the cgroup's
    memory limit; elsewhere ``psutil`` when installed, else the free pages
    ``os.sysconf`` reports.
    """
    found = [v for v in (_meminfo_available(), _cgroup_room()) if v is not None]
    if found:
        return min(found)
    with contextlib.suppress(ImportError, AttributeError):
        import psutil

        return int(psutil.virtual_memory().available)
    with contextlib.suppress(ValueError, OSError, AttributeError):
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    return None


__all__ = ["available_memory_bytes"]
