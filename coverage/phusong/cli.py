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
from phusong.errors import ConfigError, DataError, GoalNotMetError, OutputExistsError, PhusongError
from phusong.options import AUDIT, PLAN, Option, option_name

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
    GoalNotMetError: EXIT_GOAL_NOT_MET,
    PhusongError: EXIT_DATA,
}

#: Label printed before the message, per exit status.
_ERROR_LABELS = {
    EXIT_DATA: "bad input data",
    EXIT_USAGE: "usage error",
    EXIT_GOAL_NOT_MET: "goal not met",
}


@dataclass(frozen=True)
class Command:
    """One subcommand.

    Parameters
    ----------
    name : str
        Subcommand name (``audit``).
    help : str
        One line for ``phusong --help``.
    configure : callable
        ``configure(parser)`` adds the subcommand's arguments.
    run : callable
        ``run(args) -> int`` does the work and returns the exit status.
    description : str
        Longer text for ``phusong NAME --help``.
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

    def __init__(self, enabled: bool = True, stream: Any = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
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
        self._bar.set_description_str(step, refresh=False)
        self._bar.n = max(self._bar.n, min(100, round(100 * fraction)))
        self._bar.refresh()

    def close(self) -> None:
        """Remove the bar."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None


# --------------------------------------------------------------------------
# options, derived from phusong.options
# --------------------------------------------------------------------------
_ARGPARSE_TYPES: dict[str, Any] = {"float": float, "int": int}


def _help_of(key: str, opt: Option) -> str:
    """Help text of an option, with its default (``%`` escaped for argparse)."""
    text = opt.help
    d = opt.default
    if d is not None and opt.kind not in ("bool",) and "default" not in text:
        shown = (
            " ".join(d)
            if isinstance(d, tuple)
            else (f"./{d}" if key == "out" else f"{d:g}" if isinstance(d, float) else str(d))
        )
        text = f"{text} (default {shown})"
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
    """``--json`` and ``--quiet``, shared by audit and plan."""
    p.add_argument(
        "--json",
        action="store_true",
        help=f"print {what} to stdout (and nothing else on stdout)",
    )
    p.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="print nothing but errors (no summary, no progress bar)",
    )


# --------------------------------------------------------------------------
# audit
# --------------------------------------------------------------------------
def _configure_audit(p: argparse.ArgumentParser) -> None:
    add_options(p, AUDIT)
    p.add_argument(
        "--config",
        metavar="FILE",
        type=Path,
        help="TOML file with the same keys as these options (threshold_dbm = -105 …); "
        "options given here override it",
    )
    _add_output_flags(p, "summary.json")


def _run_audit(args: argparse.Namespace) -> int:
    from phusong.audit import run_audit
    from phusong.io.outputs import check_output_dir, write_outputs
    from phusong.options import resolve_audit_options
    from phusong.output.tables import summary_json
    from phusong.output.text import format_summary

    opts = resolve_audit_options({k: getattr(args, k, None) for k in AUDIT}, args.config)
    kwargs = opts.run_audit_kwargs()
    check_output_dir(opts.out, overwrite=opts.overwrite)  # fail before the long computation
    progress = Progress(enabled=not args.quiet)
    try:
        result = run_audit(**kwargs, progress=progress)
    finally:
        progress.close()
    paths = write_outputs(result, opts.out, overwrite=opts.overwrite)
    if args.json:
        sys.stdout.buffer.write(summary_json(result.summary))
        sys.stdout.flush()
    elif not args.quiet:
        print(format_summary(result, paths))
    if opts.fail_under and not result.meets_goal:
        raise GoalNotMetError(
            f"--fail-under: the goal ({result.summary['goal']['description']}) is not met."
        )
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
    from phusong.io.outputs import check_output_dir, write_plan_outputs
    from phusong.options import validate_mapping
    from phusong.output.tables import summary_json
    from phusong.output.text import format_plan_summary
    from phusong.plan import run_plan

    given = {k: getattr(args, k) for k in PLAN if getattr(args, k, None) is not None}
    opts = validate_mapping(given, PLAN, label=option_name)
    if "sites" not in opts:
        raise ConfigError("sites: no site file given; pass --sites FILE.")
    out = opts.get("out", PLAN["out"].default)
    overwrite = bool(opts.get("overwrite", PLAN["overwrite"].default))
    check_output_dir(out, overwrite=overwrite)  # fail before the long computation
    not_plan_args = ("sites", "wards", "out", "overwrite", "fail_under")
    kwargs = {_PLAN_ARGS.get(k, k): v for k, v in opts.items() if k not in not_plan_args}
    progress = Progress(enabled=not args.quiet)
    try:
        run = run_plan(opts["sites"], opts.get("wards"), progress=progress, **kwargs)
    finally:
        progress.close()
    paths = write_plan_outputs(run, out, overwrite=overwrite)
    if args.json:
        sys.stdout.buffer.write(summary_json(run.summary))
        sys.stdout.flush()
    elif not args.quiet:
        print(format_plan_summary(run, paths))
    if opts.get("fail_under") and not run.meets_target:
        raise GoalNotMetError(
            f"--fail-under: the re-audit with the proposed sites reaches "
            f"{run.summary['population_coverage_pct_after']:.4f}% of the population, "
            f"short of the target {run.summary['target_pct']:g}%."
        )
    return EXIT_OK


# --------------------------------------------------------------------------
# validate
# --------------------------------------------------------------------------
def _configure_validate(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE", help="site/cell file to check")
    p.add_argument(
        "--radio",
        nargs="+",
        metavar="RAT",
        default=None,
        help="radio technologies to keep (default NR; 'all' keeps every one)",
    )
    p.add_argument(
        "--wards",
        metavar="FILE",
        default=None,
        help="study area for the in-area check (default: the shipped Hà Nội wards)",
    )
    p.add_argument(
        "--out",
        metavar="CSV",
        type=Path,
        default=None,
        help="also write the rejected rows to this CSV",
    )
    p.add_argument("--overwrite", action="store_true", help="replace --out if it exists")


def _run_validate(args: argparse.Namespace) -> int:
    from phusong.audit import load_sites, load_wards
    from phusong.io.files import atomic_write_bytes
    from phusong.options import validate_mapping
    from phusong.output.tables import csv_bytes, validation_table
    from phusong.output.text import format_validation

    given = {"radio": args.radio} if args.radio is not None else {}
    radio = validate_mapping(given, {"radio": AUDIT["radio"]}, label=option_name)
    if args.out is not None and args.out.exists() and not args.overwrite:
        raise OutputExistsError(f"{args.out} exists; pass --overwrite to replace it.")
    wards = load_wards(args.wards)
    _, report = load_sites(args.file, wards, radio.get("radio", AUDIT["radio"].default))
    print(format_validation(report))
    if args.out is not None:
        atomic_write_bytes(args.out, csv_bytes(validation_table(report)), overwrite=True)
        print(f"\nValidation report written to {args.out}")
    return EXIT_OK


# --------------------------------------------------------------------------
# sample
# --------------------------------------------------------------------------
def _configure_sample(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--out",
        metavar="DIR",
        type=Path,
        default=Path("phusong-sample"),
        help="folder to write the sample into (default ./phusong-sample)",
    )
    p.add_argument(
        "--overwrite", action="store_true", help="replace the files of a non-empty folder"
    )


def _run_sample(args: argparse.Namespace) -> int:
    from phusong.io.outputs import check_output_dir
    from phusong.sample import write_sample

    check_output_dir(args.out, overwrite=args.overwrite)
    written = write_sample(args.out, overwrite=args.overwrite)
    names = sorted(
        Path(p).name for p in (written.values() if isinstance(written, dict) else written or [])
    )
    print(f"SYNTHETIC sample network written to {args.out}: {', '.join(names)}")
    print("It is made-up data for trying phusong out, not any operator's real sites.")
    return EXIT_OK


#: The subcommands, in the order ``phusong --help`` lists them.
COMMANDS: list[Command] = [
    Command(
        "audit",
        "audit 5G coverage of every ward against the goal and write a report folder",
        _configure_audit,
        _run_audit,
        "Compute area- and population-weighted 5G coverage of every ward, judge it against "
        "the goal (default: 99% of the population by 2030, Hà Nội plan 58/KH-UBND) and "
        "write report.html, map.html, CSV, GeoJSON and summary.json.",
    ),
    Command(
        "plan",
        "propose the fewest new sites that reach the goal, and check them by re-auditing",
        _configure_plan,
        _run_plan,
        "Audit the existing network, propose new sites that bring population coverage to the "
        "target (default 99%, population-weighted) or the best coverage for a --budget of "
        "sites, re-audit with the proposed sites and top up if the re-audit falls short. "
        "Writes proposed_sites.csv (readable by 'phusong audit --sites'), curve.csv, "
        "wards_plan.csv, plan_summary.json and plan_map.html.",
    ),
    Command(
        "validate",
        "check a site file and list every rejected row",
        _configure_validate,
        _run_validate,
        "Read a site/cell file the way 'audit' does and print rows read, accepted and "
        "rejected, then each rejected row with file, row, column and reason.",
    ),
    Command(
        "sample",
        "write the SYNTHETIC sample network to a folder",
        _configure_sample,
        _run_sample,
        "Write the shipped SYNTHETIC 5G sample network (made-up sites) for trying phusong out.",
    ),
]


# --------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    """Build the ``phusong`` parser with every subcommand of :data:`COMMANDS`."""
    debug_help = "show the full traceback of unexpected errors and debug logs"
    # --debug is accepted before and after the subcommand. The subcommand's copy
    # defaults to SUPPRESS so that it does not reset a --debug given before it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=debug_help)
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Phủ Sóng: ward-by-ward 5G coverage audits for Hà Nội "
        "(goal: 99% of the population by 2030).",
    )
    parser.add_argument("--debug", action="store_true", default=False, help=debug_help)
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for cmd in COMMANDS:
        p = sub.add_parser(
            cmd.name, help=cmd.help, description=cmd.description or cmd.help, parents=[common]
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
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version (0) and usage errors (2)
        return int(exc.code or 0) if not isinstance(exc.code, str) else EXIT_USAGE
    try:
        with _logging_to_stderr(args.debug, getattr(args, "quiet", False)):
            return args._run(args)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        code = exit_code_for(exc)
        if code == EXIT_UNEXPECTED:
            if args.debug:
                traceback.print_exc()
            first = str(exc).splitlines()[0] if str(exc) else ""
            print(
                f"{PROG}: unexpected error: {type(exc).__name__}: {first} "
                "(rerun with --debug for the full traceback)",
                file=sys.stderr,
            )
        else:
            if args.debug:
                traceback.print_exc()
            print(f"{PROG}: {_ERROR_LABELS[code]}: {exc}", file=sys.stderr)
        return code


if __name__ == "__main__":
    sys.exit(main())
