"""`handbook check all` runs the contract tests configured in `[tool.handbook.contract]` with the lint."""

from __future__ import annotations

import json
from pathlib import Path

from tests.feedchat_process import FeedchatProcess

from .conftest import SERVICE, free_port

CONTRACT = SERVICE / "openapi.yaml"


def _pyproject(folder: Path, contract: dict[str, object], identities: dict[str, str] | None = None) -> Path:
    """A repository whose pyproject configures the OpenAPI lint and the contract tests of the reference service."""
    lines = ["[tool.handbook]", "[tool.handbook.openapi]", f"specs = [{json.dumps(str(CONTRACT))}]", ""]
    lines.append("[tool.handbook.contract]")
    lines += [f"{key} = {json.dumps(value)}" for key, value in contract.items()]
    if identities:
        lines += ["", "[tool.handbook.contract.identities]"]
        lines += [f"{name} = {json.dumps(value)}" for name, value in identities.items()]
    (folder / "pyproject.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_check_all_runs_lint_and_contract_into_one_report(cli, feedchat: FeedchatProcess, tmp_path: Path) -> None:
    repo = _pyproject(
        tmp_path,
        {
            "spec": str(CONTRACT),
            "url": feedchat.url,
            "token-command": feedchat.token_command("alice"),
            "max-examples": 10,
            "max-time": 90,
        },
        identities={
            "bob": f"cmd:{feedchat.token_command('bob')}",
            "member": f"cmd:{feedchat.token_command('carol')}",
            "moderator": f"cmd:{feedchat.token_command('mo', 'moderator')}",
        },
    )
    out = tmp_path / "report.json"
    result = cli("check", "all", "--format", "json", "--output", out, cwd=repo)
    report = json.loads(out.read_text(encoding="utf-8"))
    shown = [f"{f['ruleId']} {f['message']} :: {f['details'].get('curl')}" for f in report["findings"]]
    assert result.code == 0, "\n".join(shown) + result.err
    assert set(report["engines"]) == {"openapi", "contract"}
    checked = set(report["rulesChecked"])
    assert {f"API-{n}" for n in range(101, 125)} <= checked  # the lint
    assert {f"API-{n}" for n in range(170, 179)} <= checked  # the live contract tests
    assert report["summary"]["total"] == 0 and report["summary"]["failed"] is False
    assert {str(CONTRACT), feedchat.url} <= set(report["inputs"])


def test_check_all_with_an_unreachable_service_is_one_line_and_exit_2(cli, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    repo = _pyproject(tmp_path, {"spec": str(CONTRACT), "url": url, "request-timeout": 2})
    result = cli("check", "all", cwd=repo)
    assert result.code == 2
    assert result.out == ""
    assert result.err.strip() == f"handbook: error: cannot connect to {url}: connection refused"


def test_check_all_skips_a_contract_section_without_url_and_says_so(cli, tmp_path: Path) -> None:
    repo = _pyproject(tmp_path, {"spec": str(CONTRACT)})
    result = cli("check", "all", "--format", "json", cwd=repo)
    assert result.code == 0, result.err
    assert json.loads(result.out)["engines"] == ["openapi"]
    assert "note: [tool.handbook.contract] has no url: contract tests skipped" in result.err
