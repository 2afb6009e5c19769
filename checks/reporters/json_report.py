"""Machine-readable JSON: every finding with its rule's level and page."""

from __future__ import annotations

import json
from json.encoder import encode_basestring_ascii
from typing import Any

from checks.findings import Finding, Report
from checks.reporters import RenderContext


def render(report: Report, ctx: RenderContext) -> str:
    """Report as a JSON document (stable key order), indented by two spaces.

    The text is exactly ``json.dumps(payload, indent=2)``. Python 3.11 encodes indented JSON in pure
    Python, which on a report of thousands of findings costs more than the lint, so the fixed shape of
    a finding is written from a template and only its values go through the C string encoder.
    """
    counts = report.counts()
    head = {
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
        "findings": [],
    }
    text = json.dumps(head, indent=2)
    findings = report.sorted_findings()
    if not findings:
        return text + "\n"
    levels: dict[str, Any] = {}
    urls: dict[str, str] = {}
    items = []
    for f in findings:
        rid = f.rule_id
        if rid not in levels:
            levels[rid] = ctx.registry.get(rid).level.value if rid in ctx.registry else None
            urls[rid] = _value(ctx.rule_url(rid))
        items.append(_finding(f, _value(rid), _value(levels[rid]), urls[rid]))
    body = text.removesuffix('"findings": []\n}')
    return body + '"findings": [\n' + ",\n".join(items) + "\n  ]\n}\n"


def _finding(f: Finding, rule_id: str, level: str, url: str) -> str:
    loc = f.location
    details = (
        json.dumps(f.details, indent=2).replace("\n", "\n      ") if f.details else "{}"
    )  # nested at depth 3: six spaces
    return (
        "    {\n"
        f'      "ruleId": {rule_id},\n'
        f'      "level": {level},\n'
        f'      "severity": "{f.severity.value}",\n'
        f'      "engine": {_text(f.engine)},\n'
        f'      "message": {_text(f.message)},\n'
        '      "location": {\n'
        f'        "file": {_text(loc.file)},\n'
        f'        "line": {_number(loc.line)},\n'
        f'        "column": {_number(loc.column)},\n'
        f'        "pointer": {_text(loc.pointer)},\n'
        f'        "logical": {_text(loc.logical)}\n'
        "      },\n"
        f'      "details": {details},\n'
        f'      "helpUri": {url}\n'
        "    }"
    )


def _text(value: str | None) -> str:
    """A string field as ``json.dumps`` writes it, through the C encoder."""
    if type(value) is str:
        return encode_basestring_ascii(value)
    return _value(value)


def _number(value: int | None) -> str:
    """A line or column as ``json.dumps`` writes it."""
    return str(value) if type(value) is int else _value(value)


def _value(value: Any) -> str:
    """One scalar as ``json.dumps`` writes it (strings through the C encoder)."""
    if value is None:
        return "null"
    if type(value) is str:
        return encode_basestring_ascii(value)
    return json.dumps(value)
