"""The ``handbook`` command reference, generated from the click commands themselves."""

from __future__ import annotations

from collections.abc import Iterator

import click

from checks import cli
from checks.engines import all_engines

WIDTH = 100


def register_engine_commands() -> None:
    """Add each engine's ``check`` subcommand once, as ``handbook`` itself does at start-up."""
    if any(name not in cli.check.commands for name in all_engines()):
        cli._register_engines()


def walk(command: click.Command, ctx: click.Context) -> Iterator[tuple[click.Context, click.Command]]:
    """Every command below ``command``, depth first, each with its own context."""
    yield ctx, command
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                yield from walk(sub, click.Context(sub, info_name=name, parent=ctx, **sub.context_settings))


def cli_markdown() -> str:
    """The CLI reference page: one section with the help text of each command."""
    register_engine_commands()
    settings = {"max_content_width": WIDTH, **cli.main.context_settings, "terminal_width": WIDTH}
    root = click.Context(cli.main, info_name="handbook", **settings)
    out = [
        "# CLI reference",
        "",
        "The `handbook` command is installed with the project (`pip install -e .`). This page is the help text "
        "of every command, generated from the commands when the site is built; `handbook COMMAND --help` prints "
        "the same text. Exit status: `0` clean, `1` findings at the `--fail-on` level, `2` a usage or input "
        "error, printed as one line. "
        "[Gate a pull request on the handbook checks](../how-to/gate-pull-requests.md) shows them in CI.",
        "",
    ]
    for ctx, command in walk(cli.main, root):
        with ctx.scope(cleanup=False):
            help_text = command.get_help(ctx)
        out += [f"## `{ctx.command_path}`", "", "```text", help_text.rstrip(), "```", ""]
    return "\n".join(out)
