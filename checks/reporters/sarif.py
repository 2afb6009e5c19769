"""SARIF 2.1.0: one run, the rules that were checked, results with physical and logical locations."""

from __future__ import annotations

import json

from checks import __version__
from checks.findings import Finding, Report, Severity
from checks.reporters import RenderContext

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def render(report: Report, ctx: RenderContext) -> str:
    """Report as a SARIF 2.1.0 log."""
    rule_ids = list(dict.fromkeys([*report.rules_checked, *(f.rule_id for f in report.findings)]))
    index = {rid: i for i, rid in enumerate(rule_ids)}
    descriptors = [_descriptor(rid, ctx) for rid in rule_ids]
    results = [_result(f, index, ctx) for f in report.sorted_findings()]
    artifacts = sorted({f.location.file for f in report.findings if f.location.file})
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "handbook",
                        "semanticVersion": __version__,
                        "informationUri": ctx.docs_url,
                        "rules": descriptors,
                    }
                },
                "automationDetails": {"id": f"handbook/{'+'.join(report.engines) or 'none'}/"},
                "artifacts": [{"location": {"uri": a}} for a in artifacts],
                "results": results,
                "columnKind": "unicodeCodePoints",
            }
        ],
    }
    return json.dumps(log, indent=2) + "\n"


def _descriptor(rule_id: str, ctx: RenderContext) -> dict[str, object]:
    if rule_id not in ctx.registry:
        return {"id": rule_id, "helpUri": ctx.rule_url(rule_id)}
    rule = ctx.registry.get(rule_id)
    return {
        "id": rule.id,
        "name": "".join(w.capitalize() for w in rule.title.replace("-", " ").split() if w.isalnum()) or rule.id,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.summary.strip()},
        "help": {
            "text": rule.rationale.strip(),
            "markdown": f"{rule.rationale.strip()}\n\n[{rule.id}]({ctx.rule_url(rule.id)})",
        },
        "helpUri": ctx.rule_url(rule.id),
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "properties": {
            "level": rule.level.value,
            "area": rule.area.value,
            "tags": list(dict.fromkeys([rule.area.value, *rule.tags])),
        },
    }


def _result(finding: Finding, index: dict[str, int], ctx: RenderContext) -> dict[str, object]:
    loc = finding.location
    location: dict[str, object] = {}
    if loc.file:
        physical: dict[str, object] = {"artifactLocation": {"uri": loc.file}}
        if loc.line:
            region: dict[str, int] = {"startLine": loc.line}
            if loc.column:
                region["startColumn"] = loc.column
            physical["region"] = region
        location["physicalLocation"] = physical
    name = loc.pointer if loc.pointer is not None else loc.logical
    if name is not None:
        kind = "object" if loc.pointer is not None else "member"
        location["logicalLocations"] = [{"fullyQualifiedName": name or "/", "kind": kind}]
    result: dict[str, object] = {
        "ruleId": finding.rule_id,
        "ruleIndex": index[finding.rule_id],
        "level": _LEVEL[finding.severity],
        "message": {"text": finding.message},
        "locations": [location] if location else [],
        "properties": {
            "engine": finding.engine,
            "helpUri": ctx.rule_url(finding.rule_id),
            **({"details": finding.details} if finding.details else {}),
        },
    }
    return result
