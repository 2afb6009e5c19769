"""The ``handbook`` command line: it parses arguments and wires engines to reporters.

Commands form a tree: :class:`Group` nodes (``handbook``, ``handbook check``, ``handbook new``) and
:class:`~checks.output.Command` leaves. The command line is read one level at a time, and the
:mod:`argparse` parser of a command is built only when that command runs or shows its help, so
``handbook check openapi`` imports the OpenAPI engine and no other.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from functools import cache, partial
from pathlib import Path
from typing import ClassVar

from checks import __version__
from checks.config import load_config
from checks.engines import engine_names, get_engine, validate_enforcement
from checks.errors import HandbookError, UsageError
from checks.findings import Report
from checks.output import (
    Command,
    add_output_options,
    choices,
    config_for,
    directory_path,
    emit,
    options_from,
)
from checks.registry import default_registry
from checks.rules import Area, Level

MAX_WIDTH = 100
"""Help is as wide as the terminal, up to this many columns."""


@cache
def terminal_width() -> int:
    """Columns of the terminal: ``$COLUMNS``, else the size of standard output's terminal, else 80.

    The same answer as :func:`shutil.get_terminal_size`, without importing shutil (and through it
    bz2 and lzma): argparse asks for a formatter, and so for the width, at every ``add_argument``.
    """
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80
    except (AttributeError, ValueError, OSError):
        return 80


class HelpFormatter(argparse.HelpFormatter):
    """Help text: ``Usage: PROG [OPTIONS] ARGS``, the description, then ``Arguments`` and ``Options``."""

    HEADINGS: ClassVar[dict[str, str]] = {"positional arguments": "Arguments", "options": "Options"}

    def __init__(self, prog: str, width: int | None = None) -> None:
        width = terminal_width() if width is None else width
        super().__init__(prog, max_help_position=32, width=max(min(width, MAX_WIDTH) - 2, 50))

    def add_usage(
        self,
        usage: str | None,
        actions: Iterable[argparse.Action],
        groups: Iterable[argparse._MutuallyExclusiveGroup],
        prefix: str | None = None,
    ) -> None:
        """Options are summed up as ``[OPTIONS]``; arguments are shown as they are taken."""
        if usage is None:
            actions = list(actions)
            words = ["%(prog)s", "[OPTIONS]"] if any(a.option_strings for a in actions) else ["%(prog)s"]
            words += [self._format_args(a, a.dest.upper()) for a in actions if not a.option_strings]
            usage = " ".join(words)
        super().add_usage(usage, actions, groups, "Usage: ")

    def start_section(self, heading: str | None) -> None:
        """Capitalised section headings."""
        super().start_section(self.HEADINGS.get(heading or "", heading))

    def _format_action_invocation(self, action: argparse.Action) -> str:
        """``-o, --output FILE`` rather than ``-o FILE, --output FILE``."""
        if not action.option_strings or action.nargs == 0:
            return super()._format_action_invocation(action)
        return f"{', '.join(action.option_strings)} {self._format_args(action, action.dest.upper())}"


class ListingFormatter(HelpFormatter):
    """Help of a group: one line per subcommand, its help cut to fit."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        import textwrap

        return [textwrap.shorten(text, width, placeholder="...")]


class Group:
    """A command with subcommands; each subcommand is loaded by name, when it runs or is listed."""

    __slots__ = ("description", "load", "names", "version")

    def __init__(
        self,
        description: str,
        names: Callable[[], list[str]],
        load: Callable[[str], Command | Group],
        *,
        version: str | None = None,
    ) -> None:
        self.description = description
        self.names = names
        """Names of the subcommands, without loading them."""
        self.load = load
        """The subcommand of a name."""
        self.version = version
        """What ``--version`` prints, if the group has that option."""

    @classmethod
    def of(cls, description: str, commands: dict[str, Command | Group], *, version: str | None = None) -> Group:
        """A group of subcommands known in advance."""
        return cls(description, lambda: sorted(commands), commands.__getitem__, version=version)


def _parser(
    prog: str, description: str, *, usage: str | None = None, width: int | None = None, listing: bool = False
) -> argparse.ArgumentParser:
    formatter = ListingFormatter if listing else HelpFormatter
    return argparse.ArgumentParser(
        prog=prog,
        description=description,
        usage=usage,
        formatter_class=partial(formatter, width=width),
        add_help=False,
        allow_abbrev=False,
    )


def command_parser(command: Command, prog: str, *, width: int | None = None) -> argparse.ArgumentParser:
    """The parser of a command: its own arguments, then ``-h``/``--help``."""
    parser = _parser(prog, command.description, width=width)
    command.arguments(parser)
    parser.add_argument("-h", "--help", action="help", help="Show this message and exit.")
    return parser


def group_parser(
    group: Group, prog: str, *, width: int | None = None, listing: bool = False
) -> argparse.ArgumentParser:
    """The parser of a group's own options (they come before the subcommand's name).

    With ``listing``, its help lists every subcommand with the first line of its help (loading each);
    that parser is for showing help only.
    """
    parser = _parser(prog, group.description, usage=f"{prog} [OPTIONS] COMMAND [ARGS]...", width=width, listing=listing)
    if group.version is not None:
        parser.add_argument("--version", action="version", version=group.version, help="Show the version and exit.")
    parser.add_argument("-h", "--help", action="store_true", help="Show this message and exit.")
    if listing:
        commands = parser.add_argument_group("Commands")
        for name in group.names():
            # Shown, never parsed: this parser only prints its help.
            commands.add_argument(name, help=group.load(name).description.replace("%", "%%"))
    return parser


def _subcommand(group: Group, prog: str, argv: list[str]) -> tuple[str, list[str]]:
    """The name of the subcommand ``argv`` runs, and its arguments; help, usage errors: :class:`SystemExit`.

    A group's options take no values, so the first argument that is not an option names the subcommand.
    """
    at = next((i for i, arg in enumerate(argv) if not arg.startswith("-")), len(argv))
    if at == 0 and argv and argv[0] in group.names():  # no options of the group: no need for its parser
        return argv[0], argv[1:]
    parser = group_parser(group, prog)
    parsed = parser.parse_args(argv[:at])
    if parsed.help or at == len(argv):
        listing = parser_for(group, prog)
        if parsed.help:
            listing.print_help()
            raise SystemExit(0)
        listing.print_help(sys.stderr)
        raise SystemExit(2)
    name, names = argv[at], group.names()
    if name not in names:
        parser.error(f"argument COMMAND: invalid choice: {name!r} (choose from {', '.join(map(repr, names))})")
    return name, argv[at + 1 :]


def parser_for(node: Command | Group, prog: str, *, width: int | None = None) -> argparse.ArgumentParser:
    """The parser whose help documents ``node`` (a group's lists its subcommands)."""
    if isinstance(node, Group):
        return group_parser(node, prog, width=width, listing=True)
    return command_parser(node, prog, width=width)


def _rules_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("rule_id", nargs="?", metavar="RULE_ID", help="The rule to print, e.g. API-101.")
    areas = [a.value for a in Area]
    parser.add_argument("--area", choices=areas, metavar=choices(areas), help="Only rules of this area.")
    levels = [lv.value for lv in Level]
    parser.add_argument(
        "--level",
        type=str.upper,
        choices=levels,
        metavar=choices(lv.lower() for lv in levels),
        help="Only rules of this level.",
    )
    parser.add_argument(
        "--engine", metavar="TEXT", help="Only rules enforced by this engine ('review' for checklists)."
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        metavar="[text|json]",
        help="Output format.  [default: text]",
    )


def _rules(args: argparse.Namespace) -> None:
    registry = default_registry()
    if args.rule_id:
        if args.rule_id.upper() not in registry:
            raise UsageError(f"no rule {args.rule_id!r}; run 'handbook rules' to list them")
        rule = registry.get(args.rule_id)
        if args.format == "json":
            print(json.dumps(rule.to_dict(), indent=2, ensure_ascii=False))
        else:
            from checks.render import rule_page  # it parses the code the rule links to: only this command needs ast

            print(rule_page(rule))
        return
    selected = registry.select(
        area=Area(args.area) if args.area else None,
        level=Level(args.level) if args.level else None,
        engine=args.engine,
    )
    if args.format == "json":
        print(json.dumps([r.to_dict() for r in selected], indent=2))
        return
    width = max((len(r.title) for r in selected), default=10)
    for r in selected:
        how = "review" if r.enforced.is_review else f"{r.enforced.engine}:{r.enforced.key}"
        print(f"{r.id:<9} {r.level.value:<6} {r.title:<{width}}  {how}")
    print(f"{len(selected)} rule{'s' if len(selected) != 1 else ''}", file=sys.stderr)


def _check_all(args: argparse.Namespace) -> None:
    opts = options_from(args)
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


def _new_service_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="NAME", help="Name of the service: lowercase words joined by '-'.")
    parser.add_argument(
        "--dir", dest="directory", type=directory_path, metavar="DIRECTORY", help="Target folder [default: ./NAME]."
    )
    parser.add_argument("--title", metavar="TEXT", help="Human title of the API.")


def _new_service(args: argparse.Namespace) -> None:
    from checks import scaffold  # jinja2 is imported only by the command that needs it

    target: Path = args.directory or Path(args.name)
    written = scaffold.render("service", args.name, target, title=args.title)
    print(f"Created {target}/ ({len(written)} files). Next: cd {target} && handbook check all")


CHECK_ALL = Command(
    "Run every engine configured in [tool.handbook] and print one combined report.", add_output_options, _check_all
)


def _check_command(name: str) -> Command:
    """``check all``, or the command of the engine ``name`` (importing that engine only)."""
    if name == "all":
        return CHECK_ALL
    engine = get_engine(name)
    validate_enforcement(default_registry(), engines=[name])
    return engine.command()


CHECK = Group("Run a check engine and report its findings.", lambda: sorted({"all", *engine_names()}), _check_command)
"""``handbook check``: one subcommand per engine, named after its module (see :func:`~checks.engines.engine_names`)."""

HANDBOOK = Group.of(
    "Executable standards for backend teams: rules, checks and reports.",
    {
        "check": CHECK,
        "new": Group.of(
            "Scaffold from a template a service that passes every check.",
            {
                "service": Command(
                    "Generate service NAME (lowercase-with-dashes) into a new folder.",
                    _new_service_arguments,
                    _new_service,
                )
            },
        ),
        "rules": Command("List the rules, or print one rule (same text as its page).", _rules_arguments, _rules),
    },
    version=f"handbook, version {__version__}",
)
"""The command tree of ``handbook``."""


def main(argv: Sequence[str]) -> None:
    """Read ``argv`` one command level at a time, then run the command it names.

    Help and usage errors end in :class:`SystemExit`, as do the checks (status 0 or 1).
    """
    node: Command | Group = HANDBOOK
    prog = "handbook"
    args = list(argv)
    while isinstance(node, Group):
        name, args = _subcommand(node, prog, args)
        node, prog = node.load(name), f"{prog} {name}"
    parser = command_parser(node, prog)
    # Options may come between arguments (``check breaking OLD --format json NEW``), except after a
    # ``--`` (Python 3.11's intermixed parsing loses it): then they come before the arguments.
    node.run(parser.parse_args(args) if "--" in args else parser.parse_intermixed_args(args))


def run(argv: Sequence[str] | None = None) -> int:
    """Entry point: run the CLI and turn user errors into one line and exit status 2."""
    try:
        validate_enforcement(default_registry(), engines=[])
        main(sys.argv[1:] if argv is None else argv)
    except HandbookError as exc:
        print(f"handbook: error: {exc.render()}", file=sys.stderr)
        return 2
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else 2
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        print("\nhandbook: aborted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug in handbook itself: one line, the traceback only on request
        if os.environ.get("HANDBOOK_DEBUG"):
            raise
        print(
            f"handbook: internal error: {type(exc).__name__}: {exc} (set HANDBOOK_DEBUG=1 for details)",
            file=sys.stderr,
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


__all__ = ["HANDBOOK", "Group", "entry", "load_config", "main", "parser_for", "run"]
