"""The reference service passes every live check: schemathesis, forged and invalid tokens, both authorizations."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import SERVICE


def test_reference_service_passes(cli, feedchat, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = cli(
        "check", "contract", "--spec", SERVICE / "openapi.yaml", "--url", feedchat.url,
        "--token-command", feedchat.token_command("alice"),
        "--identity", f"bob=cmd:{feedchat.token_command('bob')}",
        "--identity", f"member=cmd:{feedchat.token_command('carol')}",
        "--identity", f"moderator=cmd:{feedchat.token_command('mo', 'moderator')}",
        "--max-examples", "10", "--max-time", "90",
        "--format", "json", "--output", out,
    )  # fmt: skip
    report = json.loads(out.read_text(encoding="utf-8"))
    shown = [f"{f['ruleId']} {f['message']} :: {f['details'].get('curl')}" for f in report["findings"]]
    assert result.code == 0, "\n".join(shown)
    assert {f"API-{n}" for n in range(170, 179)} <= set(report["rulesChecked"])
