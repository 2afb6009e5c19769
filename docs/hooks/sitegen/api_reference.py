"""Which engine modules the Python API page documents, and a rule's anchor there."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from checks.engines import Engine, all_engines

API_SRC = "reference/python-api.md"


def engine_modules() -> list[str]:
    """Dotted names of every public module of every engine, packages before their modules."""
    found: list[str] = []
    for engine in all_engines().values():
        package = importlib.import_module(type(engine).__module__)
        found.append(package.__name__)
        for info in pkgutil.walk_packages(getattr(package, "__path__", []), prefix=f"{package.__name__}."):
            if not _private(info.name):
                found.append(info.name)
    return found


def engine_directives() -> str:
    """mkdocstrings directives for the engine modules, one section per engine."""
    out: list[str] = []
    modules = engine_modules()
    for engine in all_engines().values():
        root = type(engine).__module__
        out += [f"## Engine `{engine.name}`: {engine.title}", ""]
        out += [f"::: {name}\n    options:\n      heading_level: 3\n" for name in modules if _within(name, root)]
    return "\n".join(out)


def check_identifier(engine: Engine, key: str) -> str | None:
    """The API page identifier of the object implementing a check, or of its module; None if not shown."""
    target = engine.keys()[key]
    module = getattr(target, "__module__", "")
    if module not in engine_modules():
        return None
    name = getattr(target, "__qualname__", "")
    if name and not _private(name) and inspect.getdoc(target):
        return f"{module}.{name}"
    return module


def _private(dotted: str) -> bool:
    return any(part.startswith("_") for part in dotted.split("."))


def _within(name: str, root: str) -> bool:
    return name == root or name.startswith(f"{root}.")
