"""Load and validate the rule registry under ``standards/``.

Each rule lives in its own file, ``standards/<area>/<ID>-<slug>.yaml``. A broken
entry fails with ``standards/…yaml:LINE: what is wrong``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pydantic import ValidationError

from checks import pointer as jp
from checks.errors import InputError, RegistryError
from checks.rules import Area, Level, Rule
from checks.sources import Document

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RULE_FILE = re.compile(r"^(?P<id>(?:API|SEC|DATA|REL|OBS|QUAL)-\d{3})-[a-z0-9]+(?:-[a-z0-9]+)*\.yaml$")


def standards_dir() -> Path:
    """The folder of rule definitions (``HANDBOOK_STANDARDS`` overrides it)."""
    return Path(os.environ.get("HANDBOOK_STANDARDS", PROJECT_ROOT / "standards"))


@dataclass
class Registry:
    """All rules, by ID, with the file each was defined in."""

    root: Path
    rules: dict[str, Rule] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    retired: frozenset[str] = frozenset()

    def __iter__(self) -> Iterator[Rule]:
        return iter(sorted(self.rules.values(), key=lambda r: r.id))

    def __len__(self) -> int:
        return len(self.rules)

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self.rules

    def get(self, rule_id: str) -> Rule:
        """Return one rule or raise ``KeyError``."""
        return self.rules[rule_id.upper()]

    def select(self, *, area: Area | None = None, level: Level | None = None, engine: str | None = None) -> list[Rule]:
        """Rules filtered by area, level and enforcing engine."""
        return [
            r
            for r in self
            if (area is None or r.area == area)
            and (level is None or r.level == level)
            and (engine is None or r.enforced.engine == engine)
        ]

    def for_engine(self, engine: str) -> dict[str, Rule]:
        """Map of check key → rule for one engine."""
        return {r.enforced.key: r for r in self if r.enforced.engine == engine and r.enforced.key}

    def source_of(self, rule_id: str) -> str:
        """Path of a rule's definition relative to the project root."""
        path = self.files[rule_id]
        try:
            return str(path.relative_to(self.root.parent))
        except ValueError:
            return str(path)


def load_registry(root: Path | None = None) -> Registry:
    """Read every rule file below ``root`` and validate it and the whole set."""
    base = root or standards_dir()
    if not base.is_dir():
        raise RegistryError("standards folder not found", file=str(base))
    registry = Registry(root=base, retired=_load_retired(base))
    engine_keys: dict[tuple[str, str], str] = {}
    for path in sorted(base.glob("*/*.yaml")):
        match = RULE_FILE.match(path.name)
        if not match:
            continue
        rule = _load_rule(path, base)
        shown = _display(path, base)
        if rule.id != match["id"]:
            raise RegistryError(f"rule id {rule.id} does not match file name {path.name}", file=shown, line=1)
        if path.parent.name != rule.area.value:
            raise RegistryError(f"rule of area {rule.area.value!r} is in folder {path.parent.name!r}", file=shown)
        if rule.id in registry.rules:
            other = _display(registry.files[rule.id], base)
            raise RegistryError(f"duplicate rule id {rule.id} (also in {other})", file=shown, line=1)
        if rule.id in registry.retired:
            raise RegistryError(f"rule id {rule.id} is retired and must not be reused", file=shown, line=1)
        if rule.enforced.key:
            slot = (rule.enforced.engine, rule.enforced.key)
            if slot in engine_keys:
                raise RegistryError(
                    f"check {rule.enforced.engine}:{rule.enforced.key} already enforces {engine_keys[slot]}",
                    file=shown,
                )
            engine_keys[slot] = rule.id
        registry.rules[rule.id] = rule
        registry.files[rule.id] = path
    return registry


@lru_cache(maxsize=1)
def default_registry() -> Registry:
    """The project's registry, loaded once per process."""
    return load_registry()


def _display(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base.parent))
    except ValueError:
        return str(path)


def _load_retired(base: Path) -> frozenset[str]:
    path = base / "retired.yaml"
    if not path.exists():
        return frozenset()
    doc = Document.load(path, display=_display(path, base))
    entries = doc.data or []
    if not isinstance(entries, list) or not all(isinstance(e, dict) and "id" in e for e in entries):
        raise RegistryError("retired.yaml must be a list of {id, reason}", file=doc.path, line=1)
    return frozenset(str(e["id"]) for e in entries)


def _load_rule(path: Path, base: Path) -> Rule:
    shown = _display(path, base)
    try:
        doc = Document.load(path, display=shown)
    except InputError as exc:
        raise RegistryError(exc.message, file=exc.file, line=exc.line) from None
    if not isinstance(doc.data, dict):
        raise RegistryError("a rule definition must be a mapping", file=shown, line=1)
    try:
        return Rule.model_validate(doc.data)
    except ValidationError as exc:
        error = exc.errors()[0]
        tokens = [str(t) for t in error["loc"]]
        line, _ = doc.locate(jp.from_tokens(tokens))
        where = ".".join(tokens) or "rule"
        message = error["msg"].removeprefix("Value error, ")
        raise RegistryError(f"{where}: {message}", file=shown, line=line or 1) from None
