"""The rule registry: every definition is valid, IDs are unique, broken entries say file:line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from checks.engines import all_engines, validate_enforcement
from checks.errors import RegistryError
from checks.registry import cached_registry, default_registry, load_registry, standards_dir
from checks.rules import Area, Rule
from checks.sources import Document

GOOD = standards_dir() / "api" / "API-102-path-major-version.yaml"


def test_registry_loads_the_seeded_rules() -> None:
    registry = default_registry()
    assert {"API-101", "API-102", "API-103", "API-104", "API-105", "API-106", "QUAL-101"} <= set(registry.rules)
    validate_enforcement(registry)


def test_every_rule_file_is_named_after_its_id_and_area() -> None:
    for rule in default_registry():
        path = default_registry().files[rule.id]
        assert path.name.startswith(rule.id + "-")
        assert path.parent.name == rule.area.value
        assert rule.id.startswith(Area(rule.area).prefix + "-")


def test_review_rules_carry_a_checklist() -> None:
    for rule in default_registry():
        if rule.enforced.is_review:
            assert rule.enforced.checklist, rule.id


def _tree(tmp_path: Path, name: str, text: str) -> Path:
    root = tmp_path / "standards"
    (root / "api").mkdir(parents=True)
    (root / "api" / name).write_text(text, encoding="utf-8")
    return root


def test_broken_entry_reports_file_and_line(tmp_path: Path) -> None:
    text = GOOD.read_text(encoding="utf-8").replace("level: MUST", "level: MUSTN'T")
    root = _tree(tmp_path, GOOD.name, text)
    with pytest.raises(RegistryError) as err:
        load_registry(root)
    line = next(n for n, ln in enumerate(text.splitlines(), 1) if ln.startswith("level:"))
    assert err.value.render().startswith(f"standards/api/{GOOD.name}:{line}: level:")


def test_unknown_field_is_rejected(tmp_path: Path) -> None:
    text = GOOD.read_text(encoding="utf-8") + "severity: high\n"
    root = _tree(tmp_path, GOOD.name, text)
    with pytest.raises(RegistryError, match=r"severity: Extra inputs are not permitted"):
        load_registry(root)


def test_missing_example_is_rejected(tmp_path: Path) -> None:
    text = GOOD.read_text(encoding="utf-8").replace("  good:", "  fine:")
    root = _tree(tmp_path, GOOD.name, text)
    with pytest.raises(RegistryError, match=r"examples\.(good|fine)"):
        load_registry(root)


def test_id_must_match_file_and_area(tmp_path: Path) -> None:
    root = _tree(tmp_path, "API-199-other-name.yaml", GOOD.read_text(encoding="utf-8"))
    with pytest.raises(RegistryError, match="does not match file name"):
        load_registry(root)
    text = GOOD.read_text(encoding="utf-8").replace("area: api", "area: security")
    root2 = _tree(tmp_path / "b", GOOD.name, text)
    with pytest.raises(RegistryError, match="does not match area"):
        load_registry(root2)


def test_duplicate_ids_are_rejected(tmp_path: Path) -> None:
    root = _tree(tmp_path, GOOD.name, GOOD.read_text(encoding="utf-8"))
    shutil.copy(GOOD, root / "api" / "API-102-path-major-version-copy.yaml")
    with pytest.raises(RegistryError, match=r"duplicate rule id API-102|already enforces API-102"):
        load_registry(root)


def test_retired_ids_are_never_reused(tmp_path: Path) -> None:
    root = _tree(tmp_path, GOOD.name, GOOD.read_text(encoding="utf-8"))
    (root / "retired.yaml").write_text("- {id: API-102, reason: merged into API-101}\n", encoding="utf-8")
    with pytest.raises(RegistryError, match="retired and must not be reused"):
        load_registry(root)


def test_malformed_yaml_reports_line(tmp_path: Path) -> None:
    root = _tree(tmp_path, GOOD.name, "id: API-102\ntitle: [unclosed\nlevel: MUST\n")
    with pytest.raises(RegistryError) as err:
        load_registry(root)
    assert f"standards/api/{GOOD.name}:" in err.value.render()
    assert "invalid YAML" in err.value.render()


def test_review_rule_needs_checklist(tmp_path: Path) -> None:
    text = GOOD.read_text(encoding="utf-8")
    text = text[: text.index("enforced:")] + "enforced:\n  engine: review\n"
    root = _tree(tmp_path, GOOD.name, text)
    with pytest.raises(RegistryError, match="needs a non-empty checklist"):
        load_registry(root)


def test_unknown_engine_or_key_is_rejected(tmp_path: Path) -> None:
    text = GOOD.read_text(encoding="utf-8").replace("key: path-major-version", "key: no-such-check")
    root = _tree(tmp_path, GOOD.name, text)
    with pytest.raises(RegistryError, match="has no check 'no-such-check'"):
        validate_enforcement(load_registry(root))


def test_every_engine_key_enforces_a_rule() -> None:
    registry = default_registry()
    for engine in all_engines().values():
        assert set(engine.keys()) == set(registry.for_engine(engine.name)), engine.name


def _copy_standards(tmp_path: Path) -> Path:
    root = tmp_path / "standards"
    shutil.copytree(standards_dir(), root)
    return root


def test_snapshot_is_reused_and_any_edit_invalidates_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _copy_standards(tmp_path)
    monkeypatch.setenv("HANDBOOK_CACHE_DIR", str(tmp_path / "cache"))
    first = cached_registry(root)
    (snapshot,) = (tmp_path / "cache").glob("registry-*.json")
    assert cached_registry(root).rules == first.rules == load_registry(root).rules
    # A snapshot whose data differs but whose stamp matches is what a current snapshot looks like: it is used.
    body = json.loads(snapshot.read_text(encoding="utf-8"))
    rule_file = str(root / "api" / GOOD.name)
    body["data"][rule_file]["title"] = "Changed in the snapshot only"
    snapshot.write_text(json.dumps(body), encoding="utf-8")
    assert cached_registry(root).get("API-102").title == "Changed in the snapshot only"
    # Editing the rule file changes its stamp: the file is read again and the snapshot rewritten.
    path = root / "api" / GOOD.name
    path.write_text(path.read_text(encoding="utf-8").replace("title: ", "title: Edited ", 1), encoding="utf-8")
    assert cached_registry(root).get("API-102").title.startswith("Edited ")
    assert json.loads(snapshot.read_text(encoding="utf-8"))["data"][rule_file]["title"].startswith("Edited ")


def test_a_broken_edit_is_reported_even_with_a_snapshot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _copy_standards(tmp_path)
    monkeypatch.setenv("HANDBOOK_CACHE_DIR", str(tmp_path / "cache"))
    cached_registry(root)
    path = root / "api" / GOOD.name
    path.write_text(path.read_text(encoding="utf-8").replace("level: MUST", "level: SOMETIMES", 1), encoding="utf-8")
    with pytest.raises(RegistryError, match=r"level: Input should be 'MUST', 'SHOULD' or 'MAY'") as err:
        cached_registry(root)
    assert err.value.file and err.value.file.endswith(GOOD.name) and err.value.line


def test_a_corrupt_or_unwritable_cache_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _copy_standards(tmp_path)
    cache = tmp_path / "cache"
    monkeypatch.setenv("HANDBOOK_CACHE_DIR", str(cache))
    cached_registry(root)
    (snapshot,) = cache.glob("registry-*.json")
    snapshot.write_bytes(b"\x00\xff not json")
    assert len(cached_registry(root)) == len(load_registry(root))
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("HANDBOOK_CACHE_DIR", str(blocker / "cache"))  # cannot be created
    assert len(cached_registry(root)) == len(load_registry(root))
    monkeypatch.setenv("HANDBOOK_NO_CACHE", "1")
    monkeypatch.setenv("HANDBOOK_CACHE_DIR", str(tmp_path / "unused"))
    cached_registry(root)
    assert not (tmp_path / "unused").exists()


def test_a_rule_built_from_the_snapshot_equals_the_validated_rule() -> None:
    # The snapshot path builds rules without validating them again; for every rule it must give what parse gives.
    root = standards_dir()
    for path in sorted(root.glob("*/*.yaml")):
        if path.name == "retired.yaml":
            continue
        data = Document.load(path).data
        assert Rule.trusted(data) == Rule.parse(data), path.name
        assert Rule.trusted(data).to_dict() == Rule.parse(data).to_dict(), path.name
