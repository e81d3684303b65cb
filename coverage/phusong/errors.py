"""One exception tree for the whole library.

Every exception raised on purpose by :mod:`phusong` derives from
:class:`PhusongError` *and* from the builtin that best describes it, so callers
can catch either (the rasterio convention: ``DriverCapabilityError(RasterioError,
ValueError)``). The CLI maps these types, never their message text, to exit codes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


class PhusongError(Exception):
    """Root of every error raised on purpose by phusong."""


@dataclass(frozen=True)
class Problem:
    """One problem found in user input.

    Parameters
    ----------
    file : str
        File name (or ``"<upload>"`` / ``"<table>"`` for in-memory input).
    row : int or None
        1-based data row number as a spreadsheet shows it (the header is row 1
        when there is one), or ``None`` for a problem with the whole file.
    column : str or None
        Column concerned, or ``None``.
    reason : str
        What is wrong *and how to fix it*.
    """

    file: str
    row: int | None
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column '{self.column}'"
        return f"{where}: {self.reason}"


class DataError(PhusongError, ValueError):
    """Bad input data: lists every problem found and how to fix it.

    Parameters
    ----------
    problems : iterable of Problem or str
        All problems found. A plain string is taken as a file-level problem.
    file : str, optional
        File the problems belong to, used for plain-string problems.
    """

    def __init__(self, problems: Iterable[Problem | str] | str, file: str = "<input>") -> None:
        if isinstance(problems, str):
            problems = [problems]
        self.problems: list[Problem] = [
            p if isinstance(p, Problem) else Problem(file, None, None, str(p)) for p in problems
        ]
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in the input data:"
        shown = [f"  - {p}" for p in self.problems[:50]]
        if n > 50:
            shown.append(f"  … and {n - 50} more (see the validation report)")
        super().__init__("\n".join([head, *shown]))


class ConfigError(PhusongError, ValueError):
    """Invalid option or configuration value (names the key and the valid values)."""


class OutputExistsError(PhusongError, FileExistsError):
    """An output would overwrite existing files and overwriting was not asked for."""


class GoalNotMetError(PhusongError):
    """Raised only on request (``--fail-under``) when the coverage goal is not met."""
