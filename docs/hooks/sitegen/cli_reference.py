"""The ``handbook`` command reference, generated from the command line's own argparse parsers."""

from __future__ import annotations

from collections.abc import Iterator

from checks import cli
from checks.engines import validate_enforcement
from checks.output import Command
from checks.registry import default_registry

WIDTH = 80
"""Columns of the help text: a code block of the page shows about as many without scrolling."""


def walk(node: Command | cli.Group, prog: str) -> Iterator[tuple[str, Command | cli.Group]]:
    """Every command from ``node`` down, depth first, each with its full name (``handbook check all``)."""
    yield prog, node
    if isinstance(node, cli.Group):
        for name in node.names():
            yield from walk(node.load(name), f"{prog} {name}")


def _anchor(prog: str) -> str:
    """The id of the section of command ``prog`` (the heading's slug)."""
    return prog.replace(" ", "-")


def cli_markdown() -> str:
    """The CLI reference page: one section with the help text of each command."""
    validate_enforcement(default_registry())  # every engine's checks, as `handbook` checks those it runs
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
    for prog, node in walk(cli.HANDBOOK, "handbook"):
        help_text = cli.parser_for(node, prog, width=WIDTH).format_help()
        out += [f"## `{prog}`", "", "```text", help_text.rstrip(), "```", ""]
        if isinstance(node, cli.Group):
            links = [f"[`{prog} {name}`](#{_anchor(f'{prog} {name}')})" for name in node.names()]
            out += ["Commands: " + ", ".join(links) + ".", ""]
    return "\n".join(out)
