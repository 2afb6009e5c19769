"""`handbook check code`: planted issues at the right lines in JSON and SARIF, ignores, and bad input."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import jsonschema
import pytest

from checks.engines.code.rules import load_checks
from checks.errors import RegistryError

PLANTED = Path(__file__).resolve().parent / "planted"


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    """A copy of the planted sources outside this repository (semgrep skips tests/ folders by default)."""
    return Path(shutil.copytree(PLANTED, tmp_path / "service"))


def expected_markers(root: Path) -> set[tuple[str, int, str]]:
    """``expect: RULE…`` markers (after # or //), as (file, line, rule)."""
    out: set[tuple[str, int, str]] = set()
    for path in sorted(p for p in root.rglob("*") if p.suffix in {".py", ".ts"} and "ignored" not in p.parts):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            match = re.search(r"(?:#|//)\s*expect:\s*(.+)$", line)
            if match:
                out |= {(path.relative_to(root).as_posix(), number, rule) for rule in match.group(1).split()}
    return out


def test_planted_issues_are_reported_at_their_lines_in_json(cli, planted: Path) -> None:
    result = cli("check", "code", ".", "--format", "json", "--fail-on", "error", cwd=planted)
    assert result.code == 1, result.err
    findings = json.loads(result.out)["findings"]
    reported = {(f["location"]["file"], f["location"]["line"], f["ruleId"]) for f in findings}
    assert reported == expected_markers(PLANTED)
    assert all(f["location"]["column"] >= 1 for f in findings)
    assert {f["location"]["logical"] for f in findings if f["ruleId"] == "SEC-101"} == {
        "jwt-decode-without-verification.python",
        "jwt-decode-without-verification.typescript",
    }
    severities = {f["ruleId"]: f["severity"] for f in findings}
    assert severities["SEC-105"] == "error" and severities["SEC-108"] == "warning"


def test_sarif_output_is_valid_and_located(cli, planted: Path, tmp_path: Path, sarif_schema: dict[str, object]) -> None:
    out = tmp_path / "code.sarif"
    result = cli("check", "code", "api", "--format", "sarif", "--output", out, cwd=planted)
    assert result.code == 1, result.err
    log = json.loads(out.read_text(encoding="utf-8"))
    jsonschema.validate(log, sarif_schema)
    located = set()
    for item in log["runs"][0]["results"]:
        where = item["locations"][0]["physicalLocation"]
        located.add((where["artifactLocation"]["uri"], where["region"]["startLine"], item["ruleId"]))
    wanted = {
        (f"api/{Path(f).name}", line, rule) for f, line, rule in expected_markers(PLANTED) if f.startswith("api/")
    }
    assert {(Path(uri).as_posix().removeprefix("./"), line, rule) for uri, line, rule in located} == wanted


def test_clean_file_exits_0(cli, tmp_path: Path) -> None:
    clean = tmp_path / "clean.py"
    clean.write_text(
        "import secrets\n\n\ndef token() -> str:\n    return secrets.token_urlsafe(32)\n", encoding="utf-8"
    )
    result = cli("check", "code", clean, cwd=tmp_path)
    assert result.code == 0, result.out + result.err
    assert "No findings" in result.out


def test_semgrepignore_is_respected(cli, planted: Path) -> None:
    result = cli("check", "code", ".", "--format", "json", "--fail-on", "never", cwd=planted)
    assert result.code == 0
    assert not [f for f in json.loads(result.out)["findings"] if "ignored" in f["location"]["file"]]


def test_configured_paths_are_the_default(cli, tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "calc.py").write_text(
        "def run(text: str) -> object:\n    return eval(text)\n", encoding="utf-8"
    )
    (tmp_path / "pyproject.toml").write_text('[tool.handbook.code]\npaths = ["src"]\n', encoding="utf-8")
    result = cli("check", "code", "--format", "json", cwd=tmp_path)
    assert result.code == 1, result.err
    assert [(f["ruleId"], f["location"]["line"]) for f in json.loads(result.out)["findings"]] == [("SEC-113", 2)]
    combined = cli("check", "all", "--format", "json", cwd=tmp_path)
    assert combined.code == 1 and "SEC-113" in combined.out


def _one_line_error(result) -> str:
    assert result.code == 2
    assert result.out == ""
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("handbook: error: "), result.err
    assert "Traceback" not in result.err
    return lines[0]


def test_missing_path_exits_2(cli, tmp_path: Path) -> None:
    line = _one_line_error(cli("check", "code", tmp_path / "nope", cwd=tmp_path))
    assert "nope: path not found" in line


def test_no_paths_and_no_config_exits_2(cli, tmp_path: Path) -> None:
    line = _one_line_error(cli("check", "code", cwd=tmp_path))
    assert "configure [tool.handbook.code] paths" in line


def test_empty_configured_paths_exit_2(cli, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.handbook.code]\npaths = []\n", encoding="utf-8")
    line = _one_line_error(cli("check", "code", cwd=tmp_path))
    assert "tool.handbook.code" in line


def test_missing_semgrep_exits_2(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HANDBOOK_SEMGREP", str(tmp_path / "no-semgrep"))
    line = _one_line_error(cli("check", "code", PLANTED, cwd=tmp_path))
    assert "does not exist" in line


def test_crashing_semgrep_exits_2(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "semgrep"
    fake.write_text("#!/bin/sh\necho 'fatal: something broke' >&2\nexit 7\n", encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setenv("HANDBOOK_SEMGREP", str(fake))
    line = _one_line_error(cli("check", "code", PLANTED, cwd=tmp_path))
    assert "semgrep failed (exit 7): fatal: something broke" in line


def test_misnamed_rule_file_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "SEC-199-some-check.yaml").write_text(
        "rules:\n  - id: other.python\n    languages: [python]\n    metadata: {handbook: SEC-199}\n", encoding="utf-8"
    )
    with pytest.raises(RegistryError, match=r"must have id 'some-check\.python'"):
        load_checks(tmp_path)
