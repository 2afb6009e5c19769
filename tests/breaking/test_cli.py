"""`handbook check breaking`: files, --base against a git repository, reports and bad input."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).parent / "cli"
OLD, NEW = HERE / "old.yaml", HERE / "new.yaml"


def test_findings_exit_1_with_rule_change_and_side(cli) -> None:
    result = cli("check", "breaking", OLD, NEW, "--format", "json")
    assert result.code == 1, result.err
    findings = json.loads(result.out)["findings"]
    got = sorted((f["ruleId"], f["details"]["change"], f["details"]["side"]) for f in findings)
    assert got == [
        ("API-150", "request-constraint-tightened", "request"),
        ("API-151", "operation-removed", "request"),
        ("API-152", "operation-deprecated", "request"),
        ("API-153", "response-enum-value-added", "response"),
        ("API-154", "response-property-added", "response"),
    ]
    removed = next(f for f in findings if f["ruleId"] == "API-151")
    assert removed["location"]["file"].endswith("old.yaml") and removed["location"]["line"] == 27
    tightened = next(f for f in findings if f["ruleId"] == "API-150")
    assert tightened["location"]["file"].endswith("new.yaml")
    assert tightened["location"]["pointer"] == "/paths/~1v1~1posts/get/parameters/0/schema"


def test_same_document_is_clean(cli) -> None:
    result = cli("check", "breaking", NEW, NEW)
    assert result.code == 0, result.out + result.err
    assert "No findings" in result.out


def test_compatible_changes_never_fail_the_gate(cli, tmp_path: Path) -> None:
    text = OLD.read_text(encoding="utf-8")
    grown = tmp_path / "grown.yaml"
    grown.write_text(
        text.replace("        title: {type: string}\n", "        title: {type: string}\n        tags: {type: array}\n")
    )
    for level in ("error", "warning"):
        result = cli("check", "breaking", OLD, grown, "--fail-on", level, "--format", "json")
        assert result.code == 0, result.out
        assert [f["severity"] for f in json.loads(result.out)["findings"]] == ["info"]


def test_markdown_report_has_the_changelog(cli) -> None:
    result = cli("check", "breaking", OLD, NEW, "--format", "markdown")
    assert result.code == 1
    changelog = result.out.split("### Changelog", 1)[1]
    assert "- **operation-removed**: DELETE /v1/posts/{id}: removed without deprecation" in changelog
    assert "- **response-property-added**:" in changelog


def test_fail_on_never_passes_breaking_changes(cli) -> None:
    assert cli("check", "breaking", OLD, NEW, "--fail-on", "never").code == 0


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository whose first commit holds ``old.yaml`` (as api.yaml) and a multi-file spec."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    root = tmp_path / "repo"
    (root / "contract").mkdir(parents=True)
    shutil.copy(OLD, root / "contract" / "api.yaml")
    shutil.copytree(HERE / "multi", root / "multi")
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "first contract")
    return root


def test_base_reads_old_from_the_git_ref(cli, repo: Path) -> None:
    spec = repo / "contract" / "api.yaml"
    shutil.copy(NEW, spec)
    result = cli("check", "breaking", "--base", "main", spec, "--format", "json")
    assert result.code == 1, result.err
    findings = json.loads(result.out)["findings"]
    removed = next(f for f in findings if f["details"]["change"] == "operation-removed")
    assert removed["location"]["file"] == "main:contract/api.yaml"
    assert removed["location"]["line"] == 27
    assert len(findings) == 5


def test_base_unchanged_is_clean_even_from_another_folder(cli, repo: Path, tmp_path: Path) -> None:
    result = cli("check", "breaking", "--base", "HEAD", repo / "contract" / "api.yaml", cwd=tmp_path)
    assert result.code == 0, result.out + result.err


def test_base_follows_refs_into_other_files_at_that_ref(cli, repo: Path) -> None:
    schema = repo / "multi" / "schemas" / "post.yaml"
    schema.write_text(schema.read_text().replace("required: [id, title]", "required: [id]"))
    result = cli("check", "breaking", "--base", "main", repo / "multi" / "openapi.yaml", "--format", "json")
    assert result.code == 1, result.err
    [finding] = json.loads(result.out)["findings"]
    assert finding["details"]["change"] == "response-property-became-optional"
    assert finding["location"]["file"].endswith("post.yaml")


def test_check_all_runs_the_configured_gate(cli, repo: Path) -> None:
    (repo / "pyproject.toml").write_text(
        '[tool.handbook.breaking]\nspecs = ["contract/api.yaml"]\nbase = "main"\n', encoding="utf-8"
    )
    assert cli("check", "all", cwd=repo).code == 0
    shutil.copy(NEW, repo / "contract" / "api.yaml")
    result = cli("check", "all", "--format", "json", cwd=repo)
    assert result.code == 1
    files = {f["location"]["file"] for f in json.loads(result.out)["findings"]}
    assert files == {"contract/api.yaml", "main:contract/api.yaml"}


def one_line_error(result) -> str:
    assert result.code == 2, result.out + result.err
    assert result.out == ""
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("handbook: error: "), result.err
    assert "Traceback" not in result.err
    return lines[0]


def test_unknown_git_ref_exits_2(cli, repo: Path) -> None:
    line = one_line_error(cli("check", "breaking", "--base", "no-such-branch", repo / "contract" / "api.yaml"))
    assert "unknown git ref 'no-such-branch'" in line


def test_path_absent_at_ref_exits_2(cli, repo: Path) -> None:
    added = repo / "contract" / "v2.yaml"
    shutil.copy(NEW, added)
    line = one_line_error(cli("check", "breaking", "--base", "main", added))
    assert "contract/v2.yaml does not exist at git ref 'main'" in line


def test_base_outside_a_repository_exits_2(cli, tmp_path: Path) -> None:
    spec = tmp_path / "api.yaml"
    shutil.copy(NEW, spec)
    line = one_line_error(cli("check", "breaking", "--base", "main", spec))
    assert "not inside a git repository" in line


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.yaml", "new.yaml"], "missing.yaml: OpenAPI document not found"),
        (["old.yaml", "not-openapi.yaml"], "not-openapi.yaml:1: not an OpenAPI document"),
        (["old.yaml"], "give OLD and NEW specs"),
        (["old.yaml", "new.yaml", "old.yaml"], "give OLD and NEW specs"),
        (["--base", "main", "old.yaml", "new.yaml"], "with --base REF, give exactly one NEW spec"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(cli, args: list[str], message: str) -> None:
    line = one_line_error(
        cli("check", "breaking", *[a if a.startswith("-") or a == "main" else HERE / a for a in args])
    )
    assert re.search(re.escape(message), line), line
