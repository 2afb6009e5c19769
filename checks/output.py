"""Shared options and output of every ``handbook check`` command."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from checks.config import Config, apply_waivers, load_config
from checks.errors import UsageError
from checks.findings import Report
from checks.registry import default_registry
from checks.reporters import FORMATS, RenderContext, reporter

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class OutputOptions:
    """What to print, where, and when to fail."""

    format: str
    output: Path | None
    fail_on: str | None
    config: Path | None
    color: bool | None


def output_options(func: F) -> F:
    """Add ``--format``, ``--output``, ``--fail-on``, ``--config`` and ``--color`` to a command."""
    options = [
        click.option(
            "--format",
            "fmt",
            type=click.Choice(list(FORMATS)),
            default="text",
            show_default=True,
            help="Report format.",
        ),
        click.option(
            "--output",
            "-o",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Write the report to FILE (atomically) instead of stdout.",
        ),
        click.option(
            "--fail-on",
            type=click.Choice(["error", "warning", "never"]),
            help="Lowest severity that makes the exit status 1 [default: from config, else error].",
        ),
        click.option(
            "--config",
            type=click.Path(path_type=Path),
            help="pyproject.toml with [tool.handbook] (default: nearest one).",
        ),
        click.option(
            "--color/--no-color", default=None, help="Colour text output (default: when writing to a terminal)."
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def options_from(kwargs: dict[str, Any]) -> OutputOptions:
    """Pop the shared options out of a command's keyword arguments."""
    return OutputOptions(
        format=kwargs.pop("fmt"),
        output=kwargs.pop("output"),
        fail_on=kwargs.pop("fail_on"),
        config=kwargs.pop("config"),
        color=kwargs.pop("color"),
    )


def config_for(opts: OutputOptions) -> Config:
    """The configuration named by ``--config``, or the nearest one.

    The section of the engine whose command is running is validated here, even when the command
    line makes it unused, so a broken section is reported by the command it belongs to.
    """
    config = load_config(opts.config)
    ctx = click.get_current_context(silent=True)
    name = ctx.command.name if ctx is not None else None
    if name in config.engines:
        config.engines[name]  # reading a section validates it
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
        click.echo(text, nl=False)
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
    import tempfile  # only reports written to a file need it

    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
