"""The ``handbook`` command line: it parses arguments and wires engines to reporters."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from checks import __version__
from checks.config import load_config
from checks.engines import all_engines, engine_names, get_engine, validate_enforcement
from checks.errors import HandbookError, UsageError
from checks.findings import Report
from checks.output import config_for, emit, options_from, output_options
from checks.registry import default_registry
from checks.render import rule_page
from checks.rules import Area, Level


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="handbook")
def main() -> None:
    """Executable standards for backend teams: rules, checks and reports."""


@main.command()
@click.argument("rule_id", required=False)
@click.option("--area", type=click.Choice([a.value for a in Area]), help="Only rules of this area.")
@click.option(
    "--level", type=click.Choice([lv.value for lv in Level], case_sensitive=False), help="Only rules of this level."
)
@click.option("--engine", help="Only rules enforced by this engine ('review' for checklists).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules(rule_id: str | None, area: str | None, level: str | None, engine: str | None, fmt: str) -> None:
    """List the rules, or print one rule (same text as its page)."""
    registry = default_registry()
    if rule_id:
        if rule_id.upper() not in registry:
            raise UsageError(f"no rule {rule_id!r}; run 'handbook rules' to list them")
        rule = registry.get(rule_id)
        if fmt == "json":
            click.echo(json.dumps(rule.to_dict(), indent=2, ensure_ascii=False))
        else:
            click.echo(rule_page(rule))
        return
    selected = registry.select(
        area=Area(area) if area else None, level=Level(level.upper()) if level else None, engine=engine
    )
    if fmt == "json":
        click.echo(json.dumps([r.to_dict() for r in selected], indent=2))
        return
    width = max((len(r.title) for r in selected), default=10)
    for r in selected:
        how = "review" if r.enforced.is_review else f"{r.enforced.engine}:{r.enforced.key}"
        click.echo(f"{r.id:<9} {r.level.value:<6} {r.title:<{width}}  {how}")
    click.echo(f"{len(selected)} rule{'s' if len(selected) != 1 else ''}", err=True)


class EngineGroup(click.Group):
    """``handbook check``: one subcommand per engine, imported only when that command runs.

    Engine names come from the module names, so ``--help`` and completion list every engine
    while ``handbook check openapi`` pays only for importing the OpenAPI lint.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *engine_names()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in engine_names():
            engine = get_engine(cmd_name)
            validate_enforcement(default_registry(), engines=[cmd_name])
            self.add_command(engine.command(), name=cmd_name)
        return self.commands.get(cmd_name)


@main.group(cls=EngineGroup)
def check() -> None:
    """Run a check engine and report its findings."""


@check.command(name="all")
@output_options
def check_all(**kwargs: Any) -> None:
    """Run every engine configured in [tool.handbook] and print one combined report."""
    opts = options_from(kwargs)
    config = config_for(opts)
    settings = {name: config.engines[name] for name in config.engines}  # every section, before anything runs
    validate_enforcement(default_registry(), engines=list(settings))
    report = Report()
    for name in engine_names():
        if name not in config.engines:
            continue
        part = get_engine(name).run_configured(config)
        if part is not None:
            report.merge(part)
    if not report.engines and not config.waivers:
        raise UsageError("no engine is configured: add [tool.handbook.<engine>] sections to pyproject.toml")
    emit(report, opts, config)


@main.group()
def new() -> None:
    """Scaffold from a template a service that passes every check."""


@new.command(name="service")
@click.argument("name")
@click.option(
    "--dir", "directory", type=click.Path(file_okay=False, path_type=Path), help="Target folder [default: ./NAME]."
)
@click.option("--title", help="Human title of the API.")
def new_service(name: str, directory: Path | None, title: str | None) -> None:
    """Generate service NAME (lowercase-with-dashes) into a new folder."""
    from checks import scaffold  # jinja2 is imported only by the command that needs it

    target = directory or Path(name)
    written = scaffold.render("service", name, target, title=title)
    click.echo(f"Created {target}/ ({len(written)} files). Next: cd {target} && handbook check all")


def _register_engines() -> None:
    """Add every engine's command at once (the site's CLI reference walks them all)."""
    validate_enforcement(default_registry())
    for engine in all_engines().values():
        if engine.name not in check.commands:
            check.add_command(engine.command(), name=engine.name)


def run(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and turn user errors into one line and exit status 2."""
    try:
        validate_enforcement(default_registry(), engines=[])
        main.main(args=argv, prog_name="handbook", standalone_mode=False)
    except HandbookError as exc:
        click.echo(f"handbook: error: {exc.render()}", err=True)
        return 2
    except click.exceptions.Exit as exc:
        return int(exc.exit_code or 0)
    except click.exceptions.Abort:
        click.echo("handbook: aborted", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return 2
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else 2
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug in handbook itself: one line, the traceback only on request
        if os.environ.get("HANDBOOK_DEBUG"):
            raise
        click.echo(
            f"handbook: internal error: {type(exc).__name__}: {exc} (set HANDBOOK_DEBUG=1 for details)", err=True
        )
        return 2
    return 0


def entry() -> None:
    """Console-script entry point.

    The process ends without freeing its heap object by object: after linting a multi-megabyte
    document that teardown alone takes a noticeable share of the run, and the operating system
    reclaims the memory at once. Output is flushed first; handbook registers no exit handlers.
    """
    code = run()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):
        pass
    except OSError:
        code = code or 2
    os._exit(code)


__all__ = ["entry", "load_config", "main", "run"]
