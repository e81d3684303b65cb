"""Background jobs of the app: long computations with progress and a cancel button.

A job runs one function in a thread of the server process; sessions find it
again by its key (the request it computes), so a page can be left and
revisited, and two sessions asking for the same thing share one job. A job
reports progress through :meth:`Job.progress`, the ``progress(step,
fraction)`` callback the library's ``run_audit`` and ``run_plan`` accept;
cancelling makes the next progress call raise :class:`Cancelled`, which ends
the computation at its next step (the page stops waiting at once).

Nothing here imports Streamlit: jobs outlive the script runs that started them.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: Finished jobs kept (their results are what the pages show).
MAX_FINISHED = 12


class Cancelled(Exception):
    """Raised inside a job's computation once the user has cancelled it."""


@dataclass
class Job:
    """One computation running (or done) in a background thread.

    Attributes
    ----------
    key : str
        What the job computes (its identity).
    step : str
        The library's last progress message.
    fraction : float
        Progress, 0–1.
    result : any
        The function's return value once done.
    error : BaseException or None
        What the function raised (``Cancelled`` after a cancel).
    started, finished : float
        ``time.monotonic()`` at start and end [s] (``finished`` is ``None`` while running).
    """

    key: str
    step: str = ""
    fraction: float = 0.0
    result: Any = None
    error: BaseException | None = None
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    cancel_event: threading.Event = field(default_factory=threading.Event, repr=False)
    done_event: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def running(self) -> bool:
        """Whether the job has not finished yet."""
        return not self.done_event.is_set()

    @property
    def cancelled(self) -> bool:
        """Whether the user cancelled the job."""
        return self.cancel_event.is_set()

    @property
    def ok(self) -> bool:
        """Whether the job finished with a result."""
        return not self.running and self.error is None and not self.cancelled

    @property
    def elapsed_s(self) -> float:
        """Time since the start [s] (until the end, once finished)."""
        end = self.finished if self.finished is not None else time.monotonic()
        return end - self.started

    def progress(self, step: str, fraction: float) -> None:
        """Progress callback for the library; raises :class:`Cancelled` after a cancel."""
        if self.cancel_event.is_set():
            raise Cancelled(self.key)
        self.step = str(step)
        self.fraction = min(max(float(fraction), 0.0), 1.0)

    def cancel(self) -> None:
        """Ask the computation to stop at its next step."""
        self.cancel_event.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job is done (or ``timeout`` [s]); return whether it is done."""
        return self.done_event.wait(timeout)


_JOBS: OrderedDict[str, Job] = OrderedDict()
_LOCK = threading.Lock()


def get(key: str) -> Job | None:
    """The job computing ``key``, if one was started and not forgotten."""
    with _LOCK:
        return _JOBS.get(key)


def forget(key: str) -> None:
    """Drop a job (a failed or cancelled one, so that asking again starts afresh)."""
    with _LOCK:
        _JOBS.pop(key, None)


def submit(key: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Job:
    """Start ``fn(*args, progress=job.progress, **kwargs)`` in a thread, once per key.

    A running or successful job with the same key is returned as it is; a
    failed or cancelled one is replaced by a new run.
    """
    with _LOCK:
        job = _JOBS.get(key)
        if job is not None and (job.running or job.ok):
            _JOBS.move_to_end(key)
            return job
        job = Job(key)
        _JOBS[key] = job
        _trim()

    def run() -> None:
        try:
            job.result = fn(*args, progress=job.progress, **kwargs)
        except BaseException as exc:  # reported to the page, never lost
            job.error = exc
        finally:
            job.finished = time.monotonic()
            job.done_event.set()

    threading.Thread(target=run, name=f"phusong-job {key[:40]}", daemon=True).start()
    return job


def _trim() -> None:
    """Forget the oldest finished jobs beyond :data:`MAX_FINISHED` (lock held)."""
    finished = [k for k, j in _JOBS.items() if not j.running]
    for k in finished[: max(len(finished) - MAX_FINISHED, 0)]:
        _JOBS.pop(k, None)


__all__ = ["Cancelled", "Job", "forget", "get", "submit"]
