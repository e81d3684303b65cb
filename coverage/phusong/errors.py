"""One exception tree for the whole library.

Every exception raised on purpose by :mod:`phusong` derives from
:class:`PhusongError` *and* from the builtin that best describes it, so callers
can catch either (the rasterio convention: ``DriverCapabilityError(RasterioError,
ValueError)``). The CLI maps these types, never their message text, to exit codes.

Options in messages
-------------------
A message that tells the user to change an option names it by its key inside
double brackets, ``[[crs]]`` or ``[[radio=all]]``, and each interface renders
the reference in its own words (:func:`render_message`): the Python API as
the argument (``crs``, ``radio=None``; the default, what ``str(exc)`` shows),
the command line as the flag (``--crs``, ``--radio all``;
:func:`phusong.options.cli_label`) and the app as the control's label (the
app passes its own ``label_for``). :attr:`PhusongError.option` names the key
an error is about, when there is one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

#: An option reference inside a message: ``[[key]]`` or ``[[key=value]]``.
OPTION_REF = re.compile(r"\[\[([a-z][a-z0-9_]*)(?:=([^\]]*))?\]\]")

#: Renders one option reference: ``label(key, value)`` (value ``None``: the name only).
OptionLabel = Callable[[str, "str | None"], str]

#: How the Python API spells option values that the other interfaces spell as words.
_API_VALUES = {("radio", "all"): "None"}


def api_label(key: str, value: str | None = None) -> str:
    """Name an option as the Python API does: ``crs`` or ``radio=None``.

    Parameters
    ----------
    key : str
        Option key (``resolution_m``).
    value : str, optional
        Value to show with it, as written in the message (``"all"``).
    """
    if value is None:
        return key
    shown = _API_VALUES.get((key, value))
    if shown is None:
        shown = value if _is_number(value) else repr(value)
    return f"{key}={shown}"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def render_message(text: str, label: OptionLabel = api_label) -> str:
    """Replace every ``[[key]]`` / ``[[key=value]]`` of ``text`` by ``label(key, value)``.

    Parameters
    ----------
    text : str
        A message, possibly with option references.
    label : callable
        ``label(key, value)`` of the interface the message is shown in;
        default :func:`api_label`.
    """
    return OPTION_REF.sub(lambda m: label(m.group(1), m.group(2)), text)


class PhusongError(Exception):
    """Root of every error raised on purpose by phusong.

    Parameters
    ----------
    message : str
        What went wrong and how to fix it; may hold option references
        (``[[resolution_m]]``, see the module docstring).
    option : str, optional
        Key of the option the error is about (``"resolution_m"``), for
        interfaces that point at their control.
    """

    def __init__(self, *args: object, option: str | None = None) -> None:
        super().__init__(*args)
        self.option = option

    @property
    def template(self) -> str:
        """The message with its option references unrendered."""
        return str(self.args[0]) if self.args else ""

    def render(self, label: OptionLabel = api_label) -> str:
        """Render the message in the words of one interface (see :func:`render_message`)."""
        return render_message(self.template, label)

    def __str__(self) -> str:
        return self.render()


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
        What is wrong *and how to fix it*, in the Python API's words. Given
        with option references (``[[crs]]``), it is rendered and the
        original kept in ``template``.
    template : str, optional
        The reason with its option references, for the other interfaces.
    """

    file: str
    row: int | None
    column: str | None
    reason: str
    template: str | None = None

    def __post_init__(self) -> None:
        if self.template is None and "[[" in self.reason:
            object.__setattr__(self, "template", self.reason)
            object.__setattr__(self, "reason", render_message(self.reason))

    @property
    def where(self) -> str:
        """File, row and column, as messages name them."""
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column '{self.column}'"
        return where

    def render(self, label: OptionLabel = api_label) -> str:
        """Render the problem with its option references in the words of one interface."""
        return f"{self.where}: {render_message(self.template or self.reason, label)}"

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


class DataError(PhusongError, ValueError):
    """Bad input data: lists every problem found and how to fix it.

    Parameters
    ----------
    problems : iterable of Problem or str
        All problems found. A plain string is taken as a file-level problem.
    file : str, optional
        File the problems belong to, used for plain-string problems.
    option : str, optional
        Key of the option that would fix the input (e.g. ``"crs"``).
    """

    def __init__(
        self,
        problems: Iterable[Problem | str] | str,
        file: str = "<input>",
        *,
        option: str | None = None,
    ) -> None:
        if isinstance(problems, str):
            problems = [problems]
        self.problems: list[Problem] = [
            p if isinstance(p, Problem) else Problem(file, None, None, str(p)) for p in problems
        ]
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in the input data:"
        shown = [f"  - {p.where}: {p.template or p.reason}" for p in self.problems[:50]]
        if n > 50:
            shown.append(f"  … and {n - 50} more (see the validation report)")
        super().__init__("\n".join([head, *shown]), option=option)


class ConfigError(PhusongError, ValueError):
    """Invalid option or configuration value (names the key and the valid values)."""


class OutputError(PhusongError, OSError):
    """The output folder cannot be used (exists, busy, not writable); a usage error."""

    def __str__(self) -> str:  # OSError would show its args tuple
        return self.render()


class OutputExistsError(OutputError, FileExistsError):
    """An output would overwrite existing files and overwriting was not asked for."""


class OutputBusyError(OutputError, BlockingIOError):
    """Another run is writing into the same output folder (its lock is held)."""


class OutputNotWritableError(OutputError, PermissionError):
    """The output folder (or its parent) cannot be written: checked before computing."""


class GoalNotMetError(PhusongError):
    """Raised only on request (``--fail-under``) when the coverage goal is not met."""
