"""What every ``handbook`` command shares: its :class:`Command`, argument types, output options and output.

Commands are described with the standard library's :mod:`argparse`: a command adds its arguments to
a parser it is given, and :mod:`checks.cli` builds that parser only when the command runs or shows
its help.
"""

from __future__ import annotations

import os
import re
import sys
from argparse import ArgumentParser, ArgumentTypeError, BooleanOptionalAction, Namespace
from collections.abc import Callable, Iterable
from pathlib import Path

from checks.config import Config, apply_waivers, load_config
from checks.errors import UsageError
from checks.findings import Report
from checks.registry import default_registry
from checks.reporters import FORMATS, RenderContext, reporter

FAIL_ON = ("error", "warning", "never")
ESCAPES = r"\x1b\[[;?0-9]*[a-zA-Z]"
"""Terminal escape sequences (SGR colours and the like)."""


class Command:
    """One ``handbook`` command: its help text, how it adds its arguments to a parser, and what it runs."""

    __slots__ = ("arguments", "description", "run")

    def __init__(
        self, description: str, arguments: Callable[[ArgumentParser], None], run: Callable[[Namespace], None]
    ) -> None:
        self.description = description
        """Help text; its first sentence is the command's line in its group's list."""
        self.arguments = arguments
        """Adds the command's arguments and options to its parser (``-h``/``--help`` is added for it)."""
        self.run = run
        """Runs the command with the parsed arguments."""


def choices(values: Iterable[str]) -> str:
    """The metavar of an option with fixed choices: ``[a|b|c]``."""
    return f"[{'|'.join(values)}]"


def file_path(text: str) -> Path:
    """Argument type: a path that is not an existing directory."""
    path = Path(text)
    if path.is_dir():
        raise ArgumentTypeError(f"file {text!r} is a directory")
    return path


def directory_path(text: str) -> Path:
    """Argument type: a path that is not an existing file."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise ArgumentTypeError(f"directory {text!r} is a file")
    return path


def int_range(low: int, high: int) -> Callable[[str], int]:
    """Argument type: an integer from ``low`` to ``high``."""

    def convert(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise ArgumentTypeError(f"{text!r} is not a valid integer") from None
        if not low <= value <= high:
            raise ArgumentTypeError(f"{value} is not in the range {low}<=x<={high}")
        return value

    return convert


def float_range(low: float) -> Callable[[str], float]:
    """Argument type: a number of at least ``low``."""

    def convert(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise ArgumentTypeError(f"{text!r} is not a valid number") from None
        if not value >= low:  # also refuses NaN
            raise ArgumentTypeError(f"{text} is not in the range x>={low}")
        return value

    return convert


class OutputOptions:
    """What to print, where, and when to fail."""

    __slots__ = ("color", "config", "fail_on", "format", "output")

    def __init__(
        self, *, format: str, output: Path | None, fail_on: str | None, config: Path | None, color: bool | None
    ) -> None:
        self.format = format
        self.output = output
        self.fail_on = fail_on
        self.config = config
        self.color = color


def add_output_options(parser: ArgumentParser) -> None:
    """Add ``--format``, ``--output``, ``--fail-on``, ``--config`` and ``--color`` to a command."""
    parser.add_argument(
        "--format", choices=FORMATS, default="text", metavar=choices(FORMATS), help="Report format.  [default: text]"
    )
    parser.add_argument(
        "-o",
        "--output",
        type=file_path,
        metavar="FILE",
        help="Write the report to FILE (atomically) instead of stdout.",
    )
    parser.add_argument(
        "--fail-on",
        choices=FAIL_ON,
        metavar=choices(FAIL_ON),
        help="Lowest severity that makes the exit status 1 [default: from config, else error].",
    )
    parser.add_argument(
        "--config", type=Path, metavar="PATH", help="pyproject.toml with [tool.handbook] (default: nearest one)."
    )
    parser.add_argument(
        "--color", action=BooleanOptionalAction, help="Colour text output (default: when writing to a terminal)."
    )


def options_from(args: Namespace) -> OutputOptions:
    """The shared options of a parsed command line."""
    return OutputOptions(
        format=args.format, output=args.output, fail_on=args.fail_on, config=args.config, color=args.color
    )


def config_for(opts: OutputOptions, command: str | None = None) -> Config:
    """The configuration named by ``--config``, or the nearest one.

    The section of the engine whose ``command`` is running is validated here, even when the command
    line makes it unused, so a broken section is reported by the command it belongs to.
    """
    config = load_config(opts.config)
    if command in config.engines:
        config.engines[command]  # reading a section validates it
    return config


def emit(report: Report, opts: OutputOptions, config: Config, *, inputs: list[Path] | None = None) -> None:
    """Apply waivers, render the report, write it, and exit with the gate's status."""
    report = apply_waivers(report, config)
    fail_on = opts.fail_on or config.fail_on
    to_terminal = opts.output is None and sys.stdout.isatty()
    color = (
        opts.color
        if opts.color is not None
        else (to_terminal and opts.format == "text" and "NO_COLOR" not in os.environ)
    )
    ctx = RenderContext(registry=default_registry(), docs_url=config.docs_url, color=color, fail_on=fail_on)
    text = reporter(opts.format)(report, ctx)
    if opts.output is None:
        if "\x1b" in text and not to_terminal and not opts.color:  # a pipe gets them only when asked for
            text = re.sub(ESCAPES, "", text)
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        write_atomically(opts.output, text, protect=inputs or [])
    raise SystemExit(1 if report.fails(fail_on) else 0)


def write_atomically(path: Path, text: str, *, protect: list[Path]) -> None:
    """Write ``text`` to ``path`` via a temporary file, never over one of the inputs."""
    target = path.resolve()
    if any(target == p.resolve() for p in protect):
        raise UsageError(f"--output {path} would overwrite an input file")
    if not target.parent.is_dir():
        raise UsageError(f"--output {path}: folder {path.parent} does not exist")
    try:
        fd, tmp = _create_beside(target)
    except OSError as exc:
        raise UsageError(f"--output {path}: cannot create a file in {path.parent}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise UsageError(f"--output {path}: cannot write the report: {exc.strerror or exc}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _create_beside(target: Path) -> tuple[int, Path]:
    """Create a new private file next to ``target`` (as ``tempfile.mkstemp`` would, without importing it:
    exclusive creation, mode 0600, a name no other process uses) and return its descriptor and path."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for attempt in range(100):
        tmp = target.with_name(f".{target.name}.{os.getpid()}.{attempt}.tmp")
        try:
            return os.open(tmp, flags, 0o600), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name next to {target}")
