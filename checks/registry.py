"""Load and validate the rule registry under ``standards/``.

Each rule lives in its own file, ``standards/<area>/<ID>-<slug>.yaml``. A broken
entry fails with ``standards/…yaml:LINE: what is wrong``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import zlib
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from checks import __version__
from checks import pointer as jp
from checks.errors import InputError, RegistryError
from checks.rules import Area, Level, Rule
from checks.sources import Document
from checks.validate import Invalid

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RULE_FILE = re.compile(r"^(?P<id>(?:API|SEC|DATA|REL|OBS|QUAL)-\d{3})-[a-z0-9]+(?:-[a-z0-9]+)*\.yaml$")


def standards_dir() -> Path:
    """The folder of rule definitions (``HANDBOOK_STANDARDS`` overrides it)."""
    return Path(os.environ.get("HANDBOOK_STANDARDS", PROJECT_ROOT / "standards"))


class Registry:
    """All rules, by ID, with the file each was defined in."""

    __slots__ = ("files", "retired", "root", "rules")

    def __init__(
        self,
        root: Path,
        rules: dict[str, Rule] | None = None,
        files: dict[str, Path] | None = None,
        retired: frozenset[str] = frozenset(),
    ) -> None:
        """Mappings not given are new empty ones."""
        self.root = root
        self.rules: dict[str, Rule] = {} if rules is None else rules
        self.files: dict[str, Path] = {} if files is None else files
        self.retired = retired

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


def load_registry(
    root: Path | None = None, *, known: Mapping[str, Any] | None = None, seen: dict[str, Any] | None = None
) -> Registry:
    """Read every rule file below ``root`` and validate it and the whole set.

    ``known`` maps rule files to data already parsed and validated from them (a current snapshot): a
    rule is then built from it without reading the file or validating the rule again (the checks of
    the whole set still run). ``seen`` collects the parsed data of every file read.
    """
    base = root or standards_dir()
    if not base.is_dir():
        raise RegistryError("standards folder not found", file=str(base))
    registry = Registry(root=base, retired=_load_retired(base, known, seen))
    engine_keys: dict[tuple[str, str], str] = {}
    for path in sorted(base.glob("*/*.yaml")):
        match = RULE_FILE.match(path.name)
        if not match:
            continue
        rule = _load_rule(path, base, known, seen)
        if rule.id != match["id"]:
            raise RegistryError(
                f"rule id {rule.id} does not match file name {path.name}", file=_display(path, base), line=1
            )
        if path.parent.name != rule.area.value:
            raise RegistryError(
                f"rule of area {rule.area.value!r} is in folder {path.parent.name!r}", file=_display(path, base)
            )
        if rule.id in registry.rules:
            other = _display(registry.files[rule.id], base)
            raise RegistryError(f"duplicate rule id {rule.id} (also in {other})", file=_display(path, base), line=1)
        if rule.id in registry.retired:
            raise RegistryError(
                f"rule id {rule.id} is retired and must not be reused", file=_display(path, base), line=1
            )
        if rule.enforced.key:
            slot = (rule.enforced.engine, rule.enforced.key)
            if slot in engine_keys:
                raise RegistryError(
                    f"check {rule.enforced.engine}:{rule.enforced.key} already enforces {engine_keys[slot]}",
                    file=_display(path, base),
                )
            engine_keys[slot] = rule.id
        registry.rules[rule.id] = rule
        registry.files[rule.id] = path
    return registry


@lru_cache(maxsize=1)
def default_registry() -> Registry:
    """The project's registry, loaded once per process (from the snapshot cache when it is current)."""
    return cached_registry(standards_dir())


def cached_registry(root: Path) -> Registry:
    """``load_registry(root)``, kept between runs in a snapshot that any change to a rule file invalidates.

    Parsing a hundred YAML files is most of a small lint's start-up; the snapshot is a JSON file in the
    user's cache folder (``HANDBOOK_CACHE_DIR``, else ``$XDG_CACHE_HOME/handbook``, else
    ``~/.cache/handbook``), keyed by the standards folder and checked against every rule file's size and
    modification time, and the rule model's own source. It is written only from rules that validated,
    so its rules are built without validating them again. ``HANDBOOK_NO_CACHE=1`` turns it off. A cache
    that cannot be read or written is ignored.
    """
    if os.environ.get("HANDBOOK_NO_CACHE") or not root.is_dir():
        return load_registry(root)
    stamp = _fingerprint(root)
    path = _cache_dir() / f"registry-{zlib.crc32(str(root.resolve()).encode()):08x}.json"
    snapshot: Any = None
    with contextlib.suppress(OSError, ValueError):  # missing, unreadable or truncated: read the files
        snapshot = json.loads(path.read_bytes())
    if isinstance(snapshot, dict) and snapshot.get("stamp") == stamp and isinstance(snapshot.get("data"), dict):
        return load_registry(root, known=snapshot["data"])
    seen: dict[str, Any] = {}
    registry = load_registry(root, seen=seen)
    with contextlib.suppress(OSError, TypeError, ValueError):  # no cache folder, or data JSON cannot hold
        import tempfile

        body = json.dumps({"stamp": stamp, "data": seen}, ensure_ascii=False).encode()
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=path.parent, prefix=".registry-", delete=False) as handle:
            handle.write(body)
        os.replace(handle.name, path)
    return registry


def _cache_dir() -> Path:
    explicit = os.environ.get("HANDBOOK_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "handbook"


def _fingerprint(root: Path) -> list[Any]:
    """What the snapshot depends on: each rule file's name, size and mtime, and the model's source files."""
    here = Path(__file__).parent
    watched = [*sorted(root.glob("*/*.yaml")), root / "retired.yaml", here / "rules.py", here / "validate.py"]
    stats: list[Any] = [__version__]
    for file in watched:
        try:
            info = file.stat()
        except OSError:
            stats.append([str(file), None, None])
            continue
        stats.append([str(file), info.st_size, info.st_mtime_ns])
    return stats


def _display(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base.parent))
    except ValueError:
        return str(path)


def _load_retired(base: Path, known: Mapping[str, Any] | None, seen: dict[str, Any] | None) -> frozenset[str]:
    path = base / "retired.yaml"
    if not path.exists():
        return frozenset()
    entries = known.get(str(path)) if known is not None else None
    if not _retired_shape(entries):
        doc = Document.load(path, display=_display(path, base))
        entries = doc.data or []
        if not _retired_shape(entries):
            raise RegistryError("retired.yaml must be a list of {id, reason}", file=doc.path, line=1)
    if seen is not None:
        seen[str(path)] = entries
    return frozenset(str(e["id"]) for e in entries)


def _retired_shape(entries: Any) -> bool:
    return isinstance(entries, list) and all(isinstance(e, dict) and "id" in e for e in entries)


def _load_rule(path: Path, base: Path, known: Mapping[str, Any] | None, seen: dict[str, Any] | None) -> Rule:
    if known is not None and str(path) in known:
        # A current snapshot holds only data that validated; data of another shape sends us to the file.
        with contextlib.suppress(AttributeError, KeyError, TypeError, ValueError):
            return Rule.trusted(known[str(path)])
    shown = _display(path, base)
    try:
        doc = Document.load(path, display=shown)
    except InputError as exc:
        raise RegistryError(exc.message, file=exc.file, line=exc.line) from None
    if not isinstance(doc.data, dict):
        raise RegistryError("a rule definition must be a mapping", file=shown, line=1)
    try:
        rule = Rule.parse(doc.data)
    except Invalid as exc:
        tokens = [str(t) for t in exc.loc]
        line, _ = doc.locate(jp.from_tokens(tokens))
        where = ".".join(tokens) or "rule"
        raise RegistryError(f"{where}: {exc.message}", file=shown, line=line or 1) from None
    if seen is not None:
        seen[str(path)] = doc.data
    return rule
