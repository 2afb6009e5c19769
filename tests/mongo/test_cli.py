"""`handbook check mongo`: findings at the right lines and names, output formats, configuration."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from checks.engines.mongo.audit import load_checks
from checks.registry import default_registry


def static_rules() -> set[str]:
    """IDs of the rules the static audit checks (live and capture rules need a server or a capture)."""
    return {r.id for key, r in default_registry().for_engine("mongo").items() if key in load_checks()}


FIXTURES = Path(__file__).parent / "fixtures"
FEEDCHAT = FIXTURES / "feedchat.yaml"
PLANTED = FIXTURES / "planted.yaml"


def expected_markers(path: Path) -> set[tuple[int, str]]:
    """``# expect: RULE…`` markers, as (line, rule) pairs."""
    out = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = re.search(r"#\s*expect:\s*(.+)$", line)
        if match:
            out |= {(number, rule) for rule in match.group(1).split()}
    return out


def test_feedchat_manifest_audits_clean(cli) -> None:
    result = cli("check", "mongo", FEEDCHAT)
    assert result.code == 0, result.out
    assert result.out.startswith("No findings")
    assert f"{len(static_rules())} rules checked by mongo" in result.out


def test_planted_findings_are_on_their_lines(cli) -> None:
    result = cli("check", "mongo", PLANTED, "--format", "json")
    assert result.code == 1
    report = json.loads(result.out)
    found = {(f["location"]["line"], f["ruleId"]) for f in report["findings"]}
    assert found == expected_markers(PLANTED)


def test_every_mongo_rule_is_planted() -> None:
    planted = {rule for _, rule in expected_markers(PLANTED)}
    assert planted == static_rules()


def test_findings_carry_logical_names(cli) -> None:
    result = cli("check", "mongo", PLANTED, "--format", "json")
    findings = json.loads(result.out)["findings"]
    names = {(f["ruleId"], f["location"]["logical"]) for f in findings}
    assert ("DATA-105", "posts.queries.recent") in names
    assert ("DATA-107", "posts.indexes.author") in names
    assert ("DATA-118", "posts.pipelines.withAuthors.stages[1]") in names
    assert ("DATA-103", "comments.fields.post.id") in names


def test_text_output_shows_file_line_and_name(cli) -> None:
    result = cli("check", "mongo", PLANTED, "--no-color")
    line = next(n for n, text in enumerate(PLANTED.read_text(encoding="utf-8").splitlines(), 1) if "recent:" in text)
    assert result.out.startswith(str(PLANTED))
    assert re.search(rf"^ +{line}:7 +warning +DATA-105 ", result.out, re.MULTILINE), result.out
    assert "at posts.queries.recent" in result.out


@pytest.mark.parametrize("fmt", ["sarif", "junit", "markdown"])
def test_other_formats_render(cli, fmt: str) -> None:
    result = cli("check", "mongo", PLANTED, "--format", fmt)
    assert result.code == 1
    assert "DATA-104" in result.out


def test_fail_on_never_exits_0(cli) -> None:
    assert cli("check", "mongo", PLANTED, "--fail-on", "never").code == 0


def _repo(tmp_path: Path, table: str) -> Path:
    shutil.copy(PLANTED, tmp_path / "mongo.yaml")
    (tmp_path / "pyproject.toml").write_text(f"[tool.handbook]\n{table}", encoding="utf-8")
    return tmp_path


def test_manifest_comes_from_config(cli, tmp_path: Path) -> None:
    repo = _repo(tmp_path, '[tool.handbook.mongo]\nmanifest = "mongo.yaml"\n')
    result = cli("check", "mongo", "--format", "json", cwd=repo)
    assert result.code == 1
    assert json.loads(result.out)["inputs"] == ["mongo.yaml"]


def test_check_all_runs_the_audit(cli, tmp_path: Path) -> None:
    repo = _repo(tmp_path, '[tool.handbook.mongo]\nmanifest = "mongo.yaml"\n')
    result = cli("check", "all", "--format", "json", cwd=repo)
    report = json.loads(result.out)
    assert "mongo" in report["engines"]
    assert any(f["ruleId"] == "DATA-104" for f in report["findings"])


def test_thresholds_come_from_config(cli, tmp_path: Path) -> None:
    repo = _repo(
        tmp_path,
        '[tool.handbook.mongo]\nmanifest = "mongo.yaml"\nlarge-collection = 5000000\nmax-indexes = 20\nmax-limit = 10000\n',
    )
    result = cli("check", "mongo", "--format", "json", cwd=repo)
    rules = {f["ruleId"] for f in json.loads(result.out)["findings"]}
    assert not rules & {"DATA-104", "DATA-106", "DATA-111", "DATA-116"}
    assert "DATA-105" in rules


def test_no_manifest_and_no_config_is_a_usage_error(cli, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.handbook]\n", encoding="utf-8")
    result = cli("check", "mongo", cwd=tmp_path)
    assert result.code == 2
    assert "configure [tool.handbook.mongo] manifest" in result.err


def test_unknown_setting_is_a_config_error(cli, tmp_path: Path) -> None:
    repo = _repo(tmp_path, '[tool.handbook.mongo]\nmanifest = "mongo.yaml"\nlarge = 5\n')
    result = cli("check", "mongo", cwd=repo)
    assert result.code == 2
    assert "tool.handbook.mongo" in result.err and len(result.err.strip().splitlines()) == 1


def test_output_never_overwrites_the_manifest(cli, tmp_path: Path) -> None:
    target = tmp_path / "m.yaml"
    shutil.copy(FEEDCHAT, target)
    result = cli("check", "mongo", target, "--output", target)
    assert result.code == 2
    assert target.read_text(encoding="utf-8") == FEEDCHAT.read_text(encoding="utf-8")
