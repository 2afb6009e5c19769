"""Check engines: each module here exposes one ``ENGINE`` and is found automatically.

An engine turns parsed input into findings tagged with rule IDs. Adding an engine
is adding a module; the CLI, ``check all``, the docs and the example tests pick it up.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from checks.errors import RegistryError
from checks.modules import submodule_names
from checks.registry import PROJECT_ROOT, Registry
from checks.validate import mapping

if TYPE_CHECKING:
    from checks.config import Config
    from checks.findings import Finding, Report
    from checks.output import Command
    from checks.rules import Example, Rule


class Engine(ABC):
    """A family of checks run by one ``handbook check <name>`` command."""

    name: ClassVar[str]
    title: ClassVar[str]
    usage: ClassVar[str]

    @abstractmethod
    def keys(self) -> dict[str, Any]:
        """Check keys this engine implements, each mapped to the object that implements it."""

    @abstractmethod
    def check_example(self, rule: Rule, example: Example) -> list[Finding]:
        """Run the rule's check on one of its examples and return its findings."""

    @abstractmethod
    def command(self) -> Command:
        """The ``handbook check <name>`` subcommand: its help, its arguments and what it runs.

        It is asked for only when that subcommand runs or is listed, and its parser is built then.
        """

    def parse_settings(self, data: Any) -> Any:
        """Validate this engine's ``[tool.handbook.<name>]`` section; raise :class:`~checks.validate.Invalid`."""
        return mapping(data, ())

    def run_configured(self, config: Config) -> Report | None:
        """Run on what ``[tool.handbook]`` configures; ``None`` when not configured."""
        return None

    def source_of(self, key: str) -> str:
        """Project-relative path of the file that implements ``key``."""
        import inspect  # the docs and the example tests need it, a check does not

        target = self.keys()[key]
        path = Path(inspect.getsourcefile(target) or "")
        try:
            return str(path.resolve().relative_to(PROJECT_ROOT))
        except ValueError:
            return str(path)

    def qualname_of(self, key: str) -> str:
        """Dotted Python name of the object that implements ``key``."""
        target = self.keys()[key]
        return f"{target.__module__}.{target.__qualname__}"


def engine_names() -> list[str]:
    """Names of every engine, read from the module names under ``checks.engines`` without importing them.

    Each module is named after the engine it defines, so a command can import only the engine it runs.
    """
    return list(_engine_modules())


@cache
def _engine_modules() -> tuple[str, ...]:
    return submodule_names(__path__)


@cache
def get_engine(name: str) -> Engine:
    """Import the module of one engine and return its ``ENGINE``; ``KeyError`` for an unknown name."""
    if name not in engine_names():
        raise KeyError(name)
    module = importlib.import_module(f"{__name__}.{name}")
    engine = getattr(module, "ENGINE", None)
    if not isinstance(engine, Engine):
        raise RegistryError(f"checks/engines/{name}: the module defines no ENGINE")
    if engine.name != name:
        raise RegistryError(f"checks/engines/{name}: ENGINE is named {engine.name!r}, not after its module")
    return engine


@cache
def all_engines() -> dict[str, Engine]:
    """Every engine module under ``checks.engines``, by name (imports them all)."""
    return {name: get_engine(name) for name in engine_names()}


def validate_enforcement(registry: Registry, engines: Iterable[str] | None = None) -> None:
    """Every rule names a known engine and key, and every key has exactly one rule.

    Engine names are checked for every rule; keys only for ``engines`` (default: all of them),
    since knowing an engine's keys means importing it.
    """
    names = set(engine_names())
    checked = {name: get_engine(name) for name in (names if engines is None else engines)}
    keys = {name: engine.keys() for name, engine in checked.items()}
    for rule in registry:
        spec = rule.enforced
        if spec.is_review:
            continue
        shown = registry.source_of(rule.id)
        if spec.engine not in names:
            raise RegistryError(f"enforced.engine: unknown engine {spec.engine!r}", file=shown)
        if spec.engine in keys and spec.key not in keys[spec.engine]:
            raise RegistryError(f"enforced.key: engine {spec.engine!r} has no check {spec.key!r}", file=shown)
    for name, implemented in keys.items():
        covered = registry.for_engine(name)
        for key in implemented:
            if key not in covered:
                raise RegistryError(f"check {name}:{key} enforces no rule in the registry")
