"""Machine-readable JSON: every finding with its rule's level and page."""

from __future__ import annotations

import json

from checks.findings import Report
from checks.reporters import RenderContext


def render(report: Report, ctx: RenderContext) -> str:
    """Report as a JSON document (stable key order)."""
    counts = report.counts()
    payload = {
        "version": 1,
        "engines": report.engines,
        "inputs": report.inputs,
        "rulesChecked": report.rules_checked,
        "summary": {
            "total": len(report.findings),
            **{s.value: n for s, n in counts.items()},
            "waived": report.waived,
            "failOn": ctx.fail_on,
            "failed": report.fails(ctx.fail_on),
        },
        "findings": [
            {
                "ruleId": f.rule_id,
                "level": ctx.registry.get(f.rule_id).level.value if f.rule_id in ctx.registry else None,
                "severity": f.severity.value,
                "engine": f.engine,
                "message": f.message,
                "location": {
                    "file": f.location.file,
                    "line": f.location.line,
                    "column": f.location.column,
                    "pointer": f.location.pointer,
                    "logical": f.location.logical,
                },
                "details": f.details,
                "helpUri": ctx.rule_url(f.rule_id),
            }
            for f in report.sorted_findings()
        ],
    }
    return json.dumps(payload, indent=2) + "\n"
