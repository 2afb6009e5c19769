"""Pure core: semgrep's JSON results → handbook findings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from checks.engines.code.rules import SemgrepCheck
from checks.findings import Finding, Location
from checks.rules import Rule

ENGINE_NAME = "code"


def check_for(check_id: str, checks: dict[str, SemgrepCheck]) -> tuple[SemgrepCheck, str] | None:
    """The check and semgrep rule ID behind a result's ``check_id`` (semgrep prefixes it with the config path)."""
    for check in checks.values():
        for semgrep_id in check.semgrep_ids:
            if check_id == semgrep_id or check_id.endswith(f".{semgrep_id}"):
                return check, semgrep_id
    return None


def findings_from(
    result: dict[str, Any],
    checks: dict[str, SemgrepCheck],
    rules: dict[str, Rule],
    *,
    display: dict[str, str] | None = None,
) -> list[Finding]:
    """Findings for the semgrep ``results`` whose check enforces a rule in ``rules`` (check key → rule).

    ``display`` maps a path as semgrep reports it to the path to show (for example, an example's name).
    """
    out: list[Finding] = []
    for item in result.get("results", []):
        found = check_for(str(item.get("check_id", "")), checks)
        if found is None:
            continue
        check, semgrep_id = found
        rule = rules.get(check.key)
        if rule is None:
            continue
        path = str(item.get("path", ""))
        start = item.get("start") or {}
        extra = item.get("extra") or {}
        out.append(
            Finding(
                rule_id=rule.id,
                severity=rule.severity,
                message=" ".join(str(extra.get("message") or rule.title).split()),
                location=Location(
                    file=(display or {}).get(path, Path(path).as_posix()),
                    line=start.get("line"),
                    column=start.get("col"),
                    logical=semgrep_id,
                ),
                engine=ENGINE_NAME,
                details={"semgrep_rule": semgrep_id, "rule_file": check.display()},
            )
        )
    return sorted(out, key=Finding.sort_key)
