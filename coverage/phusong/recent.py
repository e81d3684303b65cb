"""A few results kept by key, the least recently used dropped first (thread-safe).

What the library keeps from one audit or plan to the next (ward overlaps, ward
topology, new-site templates; :mod:`phusong.caches`) is held in :class:`Recent`
stores, each bounded by a number of entries.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class Recent(Generic[V]):
    """At most ``size`` values by key; a look-up or a store makes an entry the newest.

    Parameters
    ----------
    size : int
        Most entries kept.
    """

    def __init__(self, size: int) -> None:
        self.size = int(size)
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        """Return the value kept under ``key``, or ``None``."""
        with self._lock:
            got = self._items.get(key)
            if got is not None:
                self._items.move_to_end(key)
            return got

    def put(self, key: Hashable, value: V) -> None:
        """Keep ``value``; drop the least recently used past :attr:`size`."""
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        """Forget every value."""
        with self._lock:
            self._items.clear()

    def values(self) -> list[V]:
        """Return the values kept, oldest first."""
        with self._lock:
            return list(self._items.values())

    def __len__(self) -> int:
        return len(self._items)


__all__ = ["Recent"]
