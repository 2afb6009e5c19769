"""Each live check fires on the service that breaks it, with its rule ID and a curl line."""

from __future__ import annotations

import json
from pathlib import Path

SPEC = Path(__file__).resolve().parent / "broken.yaml"
EXPECTED = {
    "API-171": "createNote",  # an unsigned token creates a note
    "API-172": "listNotes",  # a burst is never limited
    "API-173": "getLegacy",  # deprecated without headers
    "API-174": "createNote",  # Idempotency-Key ignored
    "API-175": "listNotes",  # limit above the maximum served
    "API-176": "getNote",  # a 404 that is not problem+json
    "API-177": "deleteNote",  # bob deletes alice's note
    "API-178": "pinNote",  # a member pins
}


def test_every_live_check_fires(cli, broken, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = cli(
        "check", "contract", "--spec", SPEC, "--url", broken.url,
        "--header", f"Authorization: Bearer {broken.tokens['alice']}",
        "--identity", f"bob={broken.tokens['bob']}",
        "--identity", f"member={broken.tokens['member']}",
        "--signing-key", broken.key_file,
        "--max-examples", "5", "--max-time", "60", "--request-timeout", "5",
        "--format", "json", "--output", out,
    )  # fmt: skip
    assert result.code == 1, result.err
    findings = json.loads(out.read_text(encoding="utf-8"))["findings"]
    for rule_id, operation in EXPECTED.items():
        hits = [f for f in findings if f["ruleId"] == rule_id and operation in f["details"].get("operation", "")]
        assert hits, f"{rule_id} did not fire on {operation}"
        assert all(f["details"]["curl"].startswith("curl -X ") for f in hits)
    curls = " ".join(f["details"]["curl"] for f in findings)
    assert broken.tokens["alice"] not in curls and "Bearer <redacted>" in curls
    assert any(f["ruleId"] == "API-170" for f in findings), "schemathesis found nothing on the broken app"
    signed = [f["message"] for f in findings if f["ruleId"] == "API-171"]
    assert any("expired" in m for m in signed) and any("another audience" in m for m in signed)


def test_show_secrets_keeps_tokens(cli, broken) -> None:
    result = cli(
        "check", "contract", "--spec", SPEC, "--url", broken.url,
        "--header", f"Authorization: Bearer {broken.tokens['alice']}",
        "--max-examples", "1", "--max-time", "30", "--show-secrets",
    )  # fmt: skip
    assert result.code == 1
    assert broken.tokens["alice"] in result.out
