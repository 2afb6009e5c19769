"""`[tool.handbook]` configuration, waivers and `handbook check all`."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

from tests.conftest import FIXTURES

PLANTED = FIXTURES / "openapi" / "planted.yaml"


def _repo(tmp_path: Path, body: str) -> Path:
    (tmp_path / "api").mkdir()
    shutil.copy(PLANTED, tmp_path / "api" / "openapi.yaml")
    (tmp_path / "pyproject.toml").write_text(body, encoding="utf-8")
    return tmp_path


def test_check_all_runs_configured_engines(cli, tmp_path: Path) -> None:
    repo = _repo(tmp_path, '[tool.handbook]\n[tool.handbook.openapi]\nspecs = ["api/openapi.yaml"]\n')
    result = cli("check", "all", "--format", "json", cwd=repo)
    payload = json.loads(result.out)
    assert result.code == 1
    assert payload["engines"] == ["openapi"]
    planted = sum(
        len(line.split("# expect:")[1].split()) for line in PLANTED.read_text().splitlines() if "# expect:" in line
    )
    assert payload["summary"]["total"] == planted  # every planted violation, once


def test_openapi_without_arguments_uses_config(cli, tmp_path: Path) -> None:
    repo = _repo(
        tmp_path, '[tool.handbook]\nfail-on = "never"\n[tool.handbook.openapi]\nspecs = ["api/openapi.yaml"]\n'
    )
    result = cli("check", "openapi", cwd=repo)
    assert result.code == 0  # fail-on = never from the config
    assert "API-102" in result.out


def test_active_waiver_hides_findings_and_expired_one_is_a_finding(cli, tmp_path: Path) -> None:
    future = date.today().replace(year=date.today().year + 1).isoformat()
    body = f"""[tool.handbook]
[tool.handbook.openapi]
specs = ["api/openapi.yaml"]

[[tool.handbook.waivers]]
rule = "API-105"
path = "api/*.yaml"
reason = "Partner errors move to problem+json in v2"
owner = "team-api"
expires = {future}

[[tool.handbook.waivers]]
rule = "API-102"
path = "api/*.yaml"
reason = "Unversioned legacy path kept for one partner"
owner = "team-partners"
expires = 2020-01-31
"""
    repo = _repo(tmp_path, body)
    payload = json.loads(cli("check", "all", "--format", "json", cwd=repo).out)
    rules = [f["ruleId"] for f in payload["findings"]]
    assert "API-105" not in rules
    assert payload["summary"]["waived"] == 2
    expired = [f for f in payload["findings"] if f["ruleId"] == "QUAL-101"]
    assert len(expired) == 1
    assert expired[0]["location"]["line"] == 12  # its [[tool.handbook.waivers]] header
    assert "expired on 2020-01-31" in expired[0]["message"]
    assert "API-102" in rules  # the expired waiver no longer hides its findings


def test_bad_config_is_one_line_and_exit_2(cli, tmp_path: Path) -> None:
    cases = {
        "[tool.handbook]\nspecz = 1\n": "unknown key 'specz'",
        "[tool.handbook\n": "invalid TOML",
        '[tool.handbook]\nfail-on = "sometimes"\n': "fail-on",
        "[tool.handbook.openapi]\nspecs = []\n": "specs",
        '[[tool.handbook.waivers]]\nrule = "API-102"\npath = "x"\n': "waivers",
    }
    for body, message in cases.items():
        folder = tmp_path / str(abs(hash(body)))
        folder.mkdir()
        (folder / "pyproject.toml").write_text(body, encoding="utf-8")
        result = cli("check", "openapi", PLANTED, "--config", folder / "pyproject.toml")
        assert result.code == 2, body
        lines = result.err.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], (body, result.err)


def test_check_all_without_configuration_is_a_usage_error(cli, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.handbook]\n", encoding="utf-8")
    result = cli("check", "all", cwd=tmp_path)
    assert result.code == 2 and "no engine is configured" in result.err


def test_rules_command_lists_filters_and_prints_pages(cli) -> None:
    listing = cli("rules")
    assert listing.code == 0 and "API-102" in listing.out and "QUAL-101" in listing.out
    only_quality = cli("rules", "--area", "quality")
    assert "API-102" not in only_quality.out and "QUAL-101" in only_quality.out
    should = cli("rules", "--level", "should")
    assert all(" SHOULD " in line for line in should.out.splitlines())
    page = cli("rules", "api-104")
    assert page.code == 0 and page.out.startswith("# API-104: ")
    assert "## Why" in page.out and "## Bad example" in page.out and "## Good example" in page.out


def test_a_waiver_matches_a_file_read_at_a_git_ref_by_its_repository_path(tmp_path: Path) -> None:
    from checks.config import Waiver
    from checks.findings import Finding, Location, Severity

    waiver = Waiver.parse(
        {
            "rule": "API-150",
            "path": "api/*.yaml",
            "reason": "removal agreed with clients",
            "owner": "api-team",
            "expires": "2099-01-01",
        },
        (),
    )
    at_ref = Finding("API-150", Severity.ERROR, "removed", Location(file="origin/main:api/openapi.yaml"), "breaking")
    elsewhere = Finding("API-150", Severity.ERROR, "removed", Location(file="origin/main:web/openapi.yaml"), "breaking")
    other_rule = Finding(
        "API-151", Severity.ERROR, "removed", Location(file="origin/main:api/openapi.yaml"), "breaking"
    )
    assert waiver.covers(at_ref, tmp_path)
    assert not waiver.covers(elsewhere, tmp_path)
    assert not waiver.covers(other_rule, tmp_path)
