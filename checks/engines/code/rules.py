"""The semgrep rule files under ``standards/<area>/semgrep/``: one file per handbook check key."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from checks.errors import RegistryError
from checks.registry import PROJECT_ROOT, standards_dir

RULE_FILE = re.compile(r"^(?P<id>(?:API|SEC|DATA|REL|OBS|QUAL)-\d{3})-(?P<key>[a-z0-9]+(?:-[a-z0-9]+)*)\.yaml$")
LANGUAGES = {"python": ".py", "typescript": ".ts"}
"""Languages the rules are written for, with the file extension semgrep reads them from."""


@dataclass(frozen=True)
class SemgrepCheck:
    """One handbook check: a semgrep rules file with one rule per language, all tagged with one rule ID."""

    key: str
    rule_id: str
    path: Path
    semgrep_ids: tuple[str, ...]
    languages: tuple[str, ...]

    def display(self) -> str:
        """Project-relative path of the rules file."""
        try:
            return str(self.path.resolve().relative_to(PROJECT_ROOT))
        except ValueError:
            return str(self.path)


def rules_dir(area: str = "security") -> Path:
    """Folder of one area's semgrep rules files and their tests."""
    return standards_dir() / area / "semgrep"


def rules_dirs() -> list[Path]:
    """Every ``standards/<area>/semgrep/`` folder, in name order."""
    return sorted(p for p in standards_dir().glob("*/semgrep") if p.is_dir())


@lru_cache(maxsize=4)
def load_checks(folder: Path | None = None) -> dict[str, SemgrepCheck]:
    """Every check in ``folder`` (default: all areas' folders) by key; a malformed file raises :class:`RegistryError`."""
    checks: dict[str, SemgrepCheck] = {}
    for base in [folder] if folder is not None else rules_dirs():
        for path in sorted(base.glob("*.yaml")):
            match = RULE_FILE.match(path.name)
            if not match:
                raise RegistryError(
                    "semgrep rules file must be named <ID>-<key>.yaml, e.g. SEC-101-<key>", file=str(path)
                )
            check = _read(path, match["id"], match["key"])
            if check.key in checks:
                raise RegistryError(f"check key {check.key!r} is defined twice", file=str(path))
            checks[check.key] = check
    return checks


def _read(path: Path, rule_id: str, key: str) -> SemgrepCheck:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    except yaml.YAMLError as exc:
        raise RegistryError(f"invalid YAML: {exc}", file=str(path)) from None
    rules = data.get("rules") if isinstance(data, dict) else None
    if not isinstance(rules, list) or not rules:
        raise RegistryError("a semgrep rules file needs a non-empty 'rules' list", file=str(path))
    ids: list[str] = []
    languages: list[str] = []
    for rule in rules:
        if not isinstance(rule, dict):
            raise RegistryError("each semgrep rule must be a mapping", file=str(path))
        langs = rule.get("languages") or []
        if len(langs) != 1 or langs[0] not in LANGUAGES:
            raise RegistryError(
                f"rule {rule.get('id')!r}: languages must be one of {sorted(LANGUAGES)}", file=str(path)
            )
        expected = f"{key}.{langs[0]}"
        if rule.get("id") != expected:
            raise RegistryError(f"rule {rule.get('id')!r} must have id {expected!r}", file=str(path))
        if (rule.get("metadata") or {}).get("handbook") != rule_id:
            raise RegistryError(f"rule {expected!r} must carry metadata.handbook: {rule_id}", file=str(path))
        ids.append(expected)
        languages.append(langs[0])
    return SemgrepCheck(key=key, rule_id=rule_id, path=path, semgrep_ids=tuple(ids), languages=tuple(languages))
