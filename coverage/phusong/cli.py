"""``phusong`` command line: argument parsing only.

Subcommands live in :data:`COMMANDS`. Each is a :class:`Command` with a
``configure(parser)`` that adds its options and a ``run(args) -> int`` that
calls the library (:func:`phusong.audit.run_audit`,
:func:`phusong.io.outputs.write_outputs`, …) and returns the exit status. Adding
one is a configure function, a run function and one
``COMMANDS.append(Command(...))`` line.

Exit status
-----------
0 done · 1 bad input data (:class:`~phusong.errors.DataError`) · 2 usage error
(bad option, :class:`~phusong.errors.ConfigError`,
:class:`~phusong.errors.OutputExistsError`) · 3 goal not met with
``--fail-under`` · 4 unexpected error (rerun with ``--debug`` for the
traceback). Exception *types* are mapped to codes, never their messages.
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from phusong import __version__
from phusong.errors import (
    ConfigError,
    DataError,
    GoalNotMetError,
    OutputError,  # issue #13: busy / not-writable output folders
    OutputExistsError,
    PhusongError,
)
from phusong.i18n import LANGUAGES, catalogue, current_language, t
from phusong.i18n.catalog import option_help_key  # issue #16: option help in vi and en
from phusong.options import (
    AUDIT,
    CALIBRATE,
    PLAN,
    PROGRESS,
    Option,
    cli_label,  # issue #13: options named as --flags in messages
    option_name,
)

PROG = "phusong"

EXIT_OK = 0
EXIT_DATA = 1
EXIT_USAGE = 2
EXIT_GOAL_NOT_MET = 3
EXIT_UNEXPECTED = 4

#: Exception type -> exit status; the most specific class in the MRO wins.
EXIT_CODES: dict[type[BaseException], int] = {
    DataError: EXIT_DATA,
    ConfigError: EXIT_USAGE,
    OutputExistsError: EXIT_USAGE,
    OutputError: EXIT_USAGE,  # issue #13: output folder busy or not writable
    GoalNotMetError: EXIT_GOAL_NOT_MET,
    PhusongError: EXIT_DATA,
}

#: Catalogue key of the label printed before the message, per exit status.
_ERROR_LABELS = {
    EXIT_DATA: "cli.error.data",
    EXIT_USAGE: "cli.error.usage",
    EXIT_GOAL_NOT_MET: "cli.error.goal_not_met",
}


@dataclass(frozen=True)
class Command:
    """One subcommand.

    Parameters
    ----------
    name : str
        Subcommand name (``audit``).
    help : str
        One line for ``phusong --help``: a message key of :mod:`phusong.i18n`
        (``"cli.command.audit.help"``) or plain text.
    configure : callable
        ``configure(parser)`` adds the subcommand's arguments.
    run : callable
        ``run(args) -> int`` does the work and returns the exit status.
    description : str
        Longer text for ``phusong NAME --help`` (a message key or plain text).
    """

    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
    description: str = ""


# --------------------------------------------------------------------------
# Progress
# --------------------------------------------------------------------------
class Progress:
    """A tqdm bar fed by ``run_audit``'s ``progress(step, fraction)`` callback.

    It draws nothing when disabled or when stderr is not a terminal (pipes,
    CI logs, tests).
    """

    def __init__(self, enabled: bool = True, stream: Any = None, lang: str | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.lang = lang
        isatty = getattr(self.stream, "isatty", None)
        self.enabled = bool(enabled and isatty is not None and isatty())
        self._bar: Any = None

    def __call__(self, step: str, fraction: float) -> None:
        """Show ``step`` at ``fraction`` (0–1) of the work."""
        if not self.enabled:
            return
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(
                total=100,
                file=self.stream,
                leave=False,
                unit="%",
                bar_format="{desc:<28} {bar} {percentage:3.0f}% [{elapsed}]",
            )
        from phusong.output.text import progress_words

        self._bar.set_description_str(progress_words(step, self.lang), refresh=False)
        self._bar.n = max(self._bar.n, min(100, round(100 * fraction)))
        self._bar.refresh()

    def close(self) -> None:
        """Remove the bar."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --------------------------------------------------------------------------
# options, derived from phusong.options
# --------------------------------------------------------------------------
_ARGPARSE_TYPES: dict[str, Any] = {"float": float, "int": int}


def _help_of(key: str, opt: Option) -> str:
    """Help text of an option in the help language, with its default (``%`` escaped for argparse).

    The words come from the catalogue (``option.<key>``, see
    :func:`phusong.i18n.catalog.option_help_key`; the English is ``opt.help``).
    The default is shown as it is typed on the command line (``0.5``, ``./phusong-audit``),
    unless the English help already names it.
    """
    lang = _help_language()
    text = t(option_help_key(key, opt), lang)
    d = opt.default
    if d is not None and opt.kind not in ("bool",) and "default" not in opt.help:
        shown = (
            " ".join(d)
            if isinstance(d, tuple)
            else (f"./{d}" if key == "out" else f"{d:g}" if isinstance(d, float) else str(d))
        )
        text = t("cli.help.default", lang, text=text, default=shown)
    return text.replace("%", "%%")


def add_options(p: argparse.ArgumentParser, table: Mapping[str, Option]) -> None:
    """Add one command-line option per entry of an options table.

    Every option defaults to ``None`` so that a config file value is
    overridden only by options actually given; the defaults live in
    :mod:`phusong.options` and are shown in ``--help``.
    """
    for key, opt in table.items():
        kw: dict[str, Any] = {"dest": key, "default": None, "help": _help_of(key, opt)}
        if opt.kind == "bool":
            kw.update(action="store_const", const=True)
        else:
            kw["metavar"] = opt.metavar
        if opt.kind in _ARGPARSE_TYPES:
            kw["type"] = _ARGPARSE_TYPES[opt.kind]
        if opt.kind == "strlist":
            kw.update(nargs="+", action="extend")
        p.add_argument(*(opt.flags or (option_name(key),)), **kw)


def _add_output_flags(p: argparse.ArgumentParser, what: str) -> None:
    """``--json``, ``--quiet`` and ``--zip``, shared by audit and plan."""
    lang = _help_language()
    p.add_argument("--json", action="store_true", help=t("cli.help.json", lang, what=what))
    p.add_argument("-q", "--quiet", action="store_true", help=t("cli.help.quiet", lang))
    p.add_argument("--zip", action="store_true", help=t("cli.help.zip", lang))


# --------------------------------------------------------------------------
# Language (issue #16): --lang vi|en on every command, else $PHUSONG_LANG, else English
# --------------------------------------------------------------------------
#: Language of the parser's help texts, set by :func:`build_parser`.
_HELP_LANGUAGE: list[str] = ["en"]


def _help_language() -> str:
    """Return the language ``--help`` is written in (chosen before parsing, see :func:`language_of_argv`)."""
    return _HELP_LANGUAGE[0]


def language_of_argv(argv: Sequence[str] | None) -> str:
    """Return the language asked for on a command line (``--lang vi``, ``--lang=vi``), else the default.

    Used before parsing, so that ``--help`` is already in that language; an
    unknown value falls back to English here (the parser then refuses it).
    """
    args = list(sys.argv[1:] if argv is None else argv)
    given = None
    for i, arg in enumerate(args):
        if arg == "--lang" and i + 1 < len(args):
            given = args[i + 1]
        elif arg.startswith("--lang="):
            given = arg.split("=", 1)[1]
    try:
        return current_language(given if given in LANGUAGES else None)
    except ConfigError:
        return "en"


def _words(text: str, lang: str) -> str:
    """``text`` if it is plain text, its message if it is a catalogue key."""
    return t(text, lang) if text in catalogue(lang) else text


def run_language(args: argparse.Namespace) -> str:
    """Return the language of a command's output: ``--lang``, else ``$PHUSONG_LANG``, else English."""
    return current_language(getattr(args, "lang", None))


# --------------------------------------------------------------------------
# audit
# --------------------------------------------------------------------------
def _configure_audit(p: argparse.ArgumentParser) -> None:
    add_options(p, AUDIT)
    p.add_argument(
        "--config", metavar="FILE", type=Path, help=t("cli.help.config", _help_language())
    )
    _add_output_flags(p, "summary.json")


def _run_audit(args: argparse.Namespace) -> int:
    from phusong.audit import run_audit
    from phusong.io.outputs import audit_bundle, reserve_output, write_bundle, write_outputs
    from phusong.options import resolve_audit_options
    from phusong.output.tables import summary_json
    from phusong.output.text import format_summary

    lang = run_language(args)
    opts = resolve_audit_options({k: getattr(args, k, None) for k in AUDIT}, args.config)
    kwargs = opts.run_audit_kwargs()
    # issue #13: lock --out and check it is writable before the long computation; the
    # folder is written whole through a staging folder (an interrupt leaves it as it was).
    with reserve_output(opts.out, overwrite=opts.overwrite) as target:
        with Progress(enabled=not args.quiet, lang=lang) as progress:
            result = run_audit(**kwargs, progress=progress)
        paths = write_outputs(result, target, lang=lang)
    if args.zip:  # issue #16: one ZIP of every output, named with the scenario and the date
        bundle = write_bundle(opts.out, audit_bundle(result, lang=lang))
        paths = {**paths, bundle.name: bundle}
    if args.json:
        sys.stdout.buffer.write(summary_json(result.summary))
        sys.stdout.flush()
    elif not args.quiet:
        print(format_summary(result, paths, lang))
    not_met = result.summary.get("goals_not_met")  # progress (issue #15): every chosen target
    if opts.fail_under and (not_met if not_met is not None else not result.meets_goal):
        from phusong.output.progress import not_met_text
        from phusong.output.text import goal_description

        goal = goal_description(result.summary["goal"], lang)
        message = t("cli.fail_under.audit", lang, goal=goal)
        if not_met is not None:
            message = f"--fail-under: {not_met_text(result.summary, lang)}"
        raise GoalNotMetError(message)
    return EXIT_OK


# --------------------------------------------------------------------------
# plan
# --------------------------------------------------------------------------
def _configure_plan(p: argparse.ArgumentParser) -> None:
    add_options(p, PLAN)
    _add_output_flags(p, "plan_summary.json")


#: Plan options whose ``run_plan`` argument has another name.
_PLAN_ARGS = {"target": "target_pct"}


def _run_plan(args: argparse.Namespace) -> int:
    from phusong.io.outputs import plan_bundle, reserve_output, write_bundle, write_plan_outputs
    from phusong.options import validate_mapping
    from phusong.output.tables import summary_json
    from phusong.output.text import format_plan_summary
    from phusong.plan import run_plan

    given = {k: getattr(args, k) for k in PLAN if getattr(args, k, None) is not None}
    opts = validate_mapping(given, PLAN, label=option_name)
    if "sites" not in opts:
        raise ConfigError(t("cli.plan.no_sites", run_language(args)))
    out = opts.get("out", PLAN["out"].default)
    overwrite = bool(opts.get("overwrite", PLAN["overwrite"].default))
    not_plan_args = ("sites", "wards", "out", "overwrite", "fail_under")
    kwargs = {_PLAN_ARGS.get(k, k): v for k, v in opts.items() if k not in not_plan_args}
    lang = run_language(args)
    # issue #13: lock --out and check it before planning; written whole, or not at all
    with reserve_output(out, overwrite=overwrite) as target:
        with Progress(enabled=not args.quiet, lang=lang) as progress:
            run = run_plan(opts["sites"], opts.get("wards"), progress=progress, **kwargs)
        paths = write_plan_outputs(run, target, lang=lang)
    if args.zip:  # issue #16: one ZIP of every output, named with the scenario and the date
        bundle = write_bundle(out, plan_bundle(run, lang=lang))
        paths = {**paths, bundle.name: bundle}
    if args.json:
        sys.stdout.buffer.write(summary_json(run.summary))
        sys.stdout.flush()
    elif not args.quiet:
        print(format_plan_summary(run, paths, lang))
    if opts.get("fail_under") and not run.meets_target:
        from phusong.output.text import format_pct, target_text

        reached = format_pct(run.summary["population_coverage_pct_after"], 4, lang)
        goal = target_text(run.summary["target_pct"], lang)
        raise GoalNotMetError(t("cli.fail_under.plan", lang, reached=reached, target=goal))
    return EXIT_OK


# --------------------------------------------------------------------------
# validate
# --------------------------------------------------------------------------
def _configure_validate(p: argparse.ArgumentParser) -> None:
    lang = _help_language()
    p.add_argument("file", metavar="FILE", nargs="?", help=t("cli.help.validate_file", lang))
    p.add_argument(  # calibration (issue #14)
        "--measurements",
        metavar="FILE",
        default=None,
        help=t("cli.help.measurements", lang),
    )
    p.add_argument(
        "--radio", nargs="+", metavar="RAT", default=None, help=t("cli.help.radio", lang)
    )
    p.add_argument("--wards", metavar="FILE", default=None, help=t("cli.help.wards", lang))
    p.add_argument(
        "--out", metavar="CSV", type=Path, default=None, help=t("cli.help.validate_out", lang)
    )
    p.add_argument("--overwrite", action="store_true", help=t("cli.help.validate_overwrite", lang))
    p.add_argument("--crs", metavar="CRS", default=None, help=AUDIT["crs"].help)  # issue #13


def _run_validate(args: argparse.Namespace) -> int:
    import pandas as pd

    from phusong.audit import load_sites, load_wards
    from phusong.io.files import atomic_write_bytes
    from phusong.options import validate_mapping
    from phusong.output.tables import csv_bytes, validation_table
    from phusong.output.text import format_validation

    given = {"radio": args.radio} if args.radio is not None else {}
    radio = validate_mapping(given, {"radio": AUDIT["radio"]}, label=option_name)
    lang = run_language(args)
    if args.out is not None and args.out.exists() and not args.overwrite:
        raise OutputExistsError(t("cli.validate.exists", lang, path=args.out))
    if args.file is None and args.measurements is None:  # calibration (issue #14)
        raise ConfigError(t("cli.validate.nothing", lang))
    wards = load_wards(args.wards, args.crs)  # issue #13: --crs
    reports = []
    if args.file is not None:
        radios = radio.get("radio", AUDIT["radio"].default)
        _, report = load_sites(args.file, wards, radios, args.crs)  # issue #13: --crs
        print(format_validation(report, lang))
        reports.append(report)
    if args.measurements is not None:  # calibration (issue #14)
        reports.append(_validate_measurements(args.measurements, wards, radio, lang))
    if args.out is not None:
        table = pd.concat([validation_table(r) for r in reports], ignore_index=True)
        atomic_write_bytes(args.out, csv_bytes(table), overwrite=True)
        print("\n" + t("cli.validate.written", lang, path=args.out))
    return EXIT_OK


# --------------------------------------------------------------------------
# sample
# --------------------------------------------------------------------------
def _configure_sample(p: argparse.ArgumentParser) -> None:
    lang = _help_language()
    p.add_argument(
        "--out",
        metavar="DIR",
        type=Path,
        default=Path("phusong-sample"),
        help=t("cli.help.sample_out", lang),
    )
    p.add_argument("--overwrite", action="store_true", help=t("cli.help.sample_overwrite", lang))


def _run_sample(args: argparse.Namespace) -> int:
    from phusong.io.outputs import check_output_dir
    from phusong.sample import write_sample

    check_output_dir(args.out, overwrite=args.overwrite)
    written = write_sample(args.out, overwrite=args.overwrite)
    names = sorted(
        Path(p).name for p in (written.values() if isinstance(written, dict) else written or [])
    )
    lang = run_language(args)
    print(t("cli.sample.written", lang, path=args.out, names=", ".join(names)))
    print(t("cli.sample.made_up", lang))
    return EXIT_OK


# --------------------------------------------------------------------------
# calibrate (issue #14)
# --------------------------------------------------------------------------
def _validate_measurements(path: str, wards: Any, radio: Mapping[str, Any], lang: str) -> Any:
    """Check a measurement file for ``validate --measurements``; print and return its report."""
    from phusong.io.measurements import read_measurements
    from phusong.output.text import format_validation

    _, report = read_measurements(
        path, radio=radio.get("radio", CALIBRATE["radio"].default), study_area=wards
    )
    print(format_validation(report, lang))
    return report


def _configure_calibrate(p: argparse.ArgumentParser) -> None:
    add_options(p, CALIBRATE)
    _add_output_flags(p, "calibration_summary.json")


def _run_calibrate(args: argparse.Namespace) -> int:
    from phusong.calibration.run import run_calibration
    from phusong.io.calibration_outputs import write_calibration_outputs
    from phusong.io.outputs import reserve_output
    from phusong.options import validate_mapping
    from phusong.output.calibration import format_calibration_summary
    from phusong.output.tables import summary_json

    given = {k: getattr(args, k) for k in CALIBRATE if getattr(args, k, None) is not None}
    opts = validate_mapping(given, CALIBRATE, label=option_name)
    for key in ("sites", "measurements"):
        if key not in opts:
            raise ConfigError(
                t("cli.no_file", run_language(args), key=key, option=option_name(key))
            )
    out = opts.pop("out", CALIBRATE["out"].default)
    overwrite = bool(opts.pop("overwrite", False))
    lang = run_language(args)
    with reserve_output(out, overwrite=overwrite) as target:  # fails before the long computation
        with Progress(enabled=not args.quiet, lang=lang) as progress:
            result = run_calibration(
                opts.pop("sites"), opts.pop("measurements"), opts.pop("wards", None),
                progress=progress, **opts,
            )  # fmt: skip
        paths = write_calibration_outputs(result, target, overwrite=overwrite, lang=lang)
    if args.json:
        sys.stdout.buffer.write(summary_json(result.summary))
        sys.stdout.flush()
    elif not args.quiet:
        print(format_calibration_summary(result, paths, lang))
    return EXIT_OK


# --- end calibrate ---------------------------------------------------------


# --------------------------------------------------------------------------
# progress (issue #15): the rollout over time and the dated targets
# --------------------------------------------------------------------------
#: Options of ``phusong progress``: the audit's (but its output options), then its own.
PROGRESS_OPTIONS: dict[str, Option] = {
    **{k: v for k, v in AUDIT.items() if k not in ("out", "overwrite", "fail_under")},
    **PROGRESS,
}


def _configure_progress(p: argparse.ArgumentParser) -> None:
    add_options(p, PROGRESS_OPTIONS)
    _add_output_flags(p, "progress_summary.json")


def _run_progress(args: argparse.Namespace) -> int:
    from phusong.io.outputs import reserve_output
    from phusong.io.progress import write_progress_outputs
    from phusong.options import resolve_audit_options, validate_mapping
    from phusong.output.progress import not_met_text
    from phusong.output.progress_report import format_progress
    from phusong.output.tables import summary_json
    from phusong.progress.run import run_progress

    lang = run_language(args)
    audit_keys = [k for k in PROGRESS_OPTIONS if k in AUDIT]
    opts = resolve_audit_options({k: getattr(args, k, None) for k in audit_keys})
    own = {k: getattr(args, k) for k in PROGRESS if getattr(args, k, None) is not None}
    own = validate_mapping(own, PROGRESS, label=option_name)
    out = own.get("out", PROGRESS["out"].default)
    overwrite = bool(own.get("overwrite", False))
    with reserve_output(out, overwrite=overwrite) as target:  # fails before the long computation
        with Progress(enabled=not args.quiet, lang=lang) as progress:
            run = run_progress(
                **opts.run_audit_kwargs(), freq=own.get("freq", PROGRESS["freq"].default),
                required_sites=bool(own.get("required_sites", False)), progress=progress,
            )  # fmt: skip
        paths = write_progress_outputs(run, target, overwrite=overwrite, lang=lang)
    if args.json:
        sys.stdout.buffer.write(summary_json(run.summary))
        sys.stdout.flush()
    elif not args.quiet:
        print(format_progress(run, paths, lang))
    if own.get("fail_under") and not run.goals_met:
        raise GoalNotMetError(f"--fail-under: {not_met_text(run.summary, lang)}")
    return EXIT_OK


# --- end progress ------------------------------------------------------------


#: The subcommands, in the order ``phusong --help`` lists them.
COMMANDS: list[Command] = [
    Command(
        "audit",
        "cli.command.audit.help",
        _configure_audit,
        _run_audit,
        "cli.command.audit.description",
    ),
    Command(
        "plan",
        "cli.command.plan.help",
        _configure_plan,
        _run_plan,
        "cli.command.plan.description",
    ),
    Command(
        "validate",
        "cli.command.validate.help",
        _configure_validate,
        _run_validate,
        "cli.command.validate.description",
    ),
    Command(
        "sample",
        "cli.command.sample.help",
        _configure_sample,
        _run_sample,
        "cli.command.sample.description",
    ),
]
COMMANDS.append(  # progress (issue #15)
    Command(
        "progress",
        "cli.command.progress.help",
        _configure_progress,
        _run_progress,
        "cli.command.progress.description",
    )
)
COMMANDS.append(  # calibration (issue #14)
    Command(
        "calibrate",
        "cli.command.calibrate.help",
        _configure_calibrate,
        _run_calibrate,
        "cli.command.calibrate.description",
    )
)


# --------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------
def build_parser(lang: str | None = None) -> argparse.ArgumentParser:
    """Build the ``phusong`` parser with every subcommand of :data:`COMMANDS`.

    ``lang`` (default :func:`phusong.i18n.current_language`) is the language of
    the help texts; ``--lang`` on the command line picks the output's.
    """
    lang = _HELP_LANGUAGE[0] = current_language(lang) if lang else language_of_argv([])
    debug_help = t("cli.help.debug", lang)
    lang_help = t("cli.help.lang", lang, choices="|".join(LANGUAGES))
    # --debug and --lang are accepted before and after the subcommand. The
    # subcommand's copies default to SUPPRESS so that they do not reset a value
    # given before it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=debug_help)
    common.add_argument("--lang", choices=LANGUAGES, default=argparse.SUPPRESS, help=lang_help)
    parser = argparse.ArgumentParser(prog=PROG, description=t("cli.description", lang))
    parser.add_argument("--debug", action="store_true", default=False, help=debug_help)
    parser.add_argument("--lang", choices=LANGUAGES, default=None, help=lang_help)
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for cmd in COMMANDS:
        p = sub.add_parser(
            cmd.name,
            help=_words(cmd.help, lang),
            description=_words(cmd.description or cmd.help, lang),
            parents=[common],
        )
        cmd.configure(p)
        p.set_defaults(_run=cmd.run)
    return parser


def exit_code_for(exc: BaseException) -> int:
    """Exit status for an exception, by type (most specific class first)."""
    for cls in type(exc).__mro__:
        if cls in EXIT_CODES:
            return EXIT_CODES[cls]
    return EXIT_UNEXPECTED


@contextmanager
def _logging_to_stderr(debug: bool, quiet: bool) -> Iterator[None]:
    """Send phusong's log records to stderr while a command runs, then restore."""
    level = logging.DEBUG if debug else (logging.ERROR if quiet else logging.WARNING)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(f"{PROG}: %(levelname)s: %(message)s"))
    logger = logging.getLogger("phusong")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False
    try:
        yield
    finally:
        logger.handlers[:], logger.level, logger.propagate = saved


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``phusong`` command line; returns the exit status."""
    lang = language_of_argv(argv)
    parser = build_parser(lang)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version (0) and usage errors (2)
        return int(exc.code or 0) if not isinstance(exc.code, str) else EXIT_USAGE
    try:
        with _logging_to_stderr(args.debug, getattr(args, "quiet", False)):
            lang = run_language(args)  # an unknown $PHUSONG_LANG is a usage error
            return args._run(args)
    except KeyboardInterrupt:
        print(f"{PROG}: {t('cli.interrupted', lang)}", file=sys.stderr)
        return 130
    except Exception as exc:
        code = exit_code_for(exc)
        if args.debug:
            traceback.print_exc()
        if code == EXIT_UNEXPECTED:
            first = str(exc).splitlines()[0] if str(exc) else ""
            message = t("cli.error.unexpected", lang, kind=type(exc).__name__, message=first)
            print(f"{PROG}: {message}", file=sys.stderr)
        else:
            shown = exc.render(cli_label) if isinstance(exc, PhusongError) else str(exc)  # #13
            print(f"{PROG}: {t(_ERROR_LABELS[code], lang)}: {shown}", file=sys.stderr)
        return code


if __name__ == "__main__":
    sys.exit(main())
