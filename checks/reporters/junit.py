"""JUnit XML: a test suite per engine, a failing test case per finding, a passing one per clean rule."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from itertools import groupby

from checks.findings import Report
from checks.reporters import RenderContext


def render(report: Report, ctx: RenderContext) -> str:
    """Report as JUnit XML that CI systems display as tests."""
    root = ET.Element("testsuites", name="handbook")
    findings = sorted(report.findings, key=lambda f: (f.engine, *f.sort_key()))
    by_engine = {engine: list(group) for engine, group in groupby(findings, key=lambda f: f.engine)}
    total_tests = total_failures = 0
    for engine in dict.fromkeys([*report.engines, *by_engine]):
        engine_findings = by_engine.get(engine, [])
        suite = ET.SubElement(root, "testsuite", name=f"handbook.{engine}")
        failed_rules = {f.rule_id for f in engine_findings}
        failures = 0
        for f in engine_findings:
            loc = f.location
            where = ":".join(str(p) for p in (loc.file, loc.line, loc.column) if p is not None)
            name = loc.pointer if loc.pointer is not None else (loc.logical or "")
            case = ET.SubElement(
                suite, "testcase", classname=f"{engine}.{f.rule_id}", name=f"{f.rule_id} {where} {name}".strip()
            )
            tag = "failure" if report.fails(ctx.fail_on) and f.severity.rank >= _threshold(ctx.fail_on) else "skipped"
            element = ET.SubElement(case, tag, message=f.message, type=f.severity.value)
            element.text = f"{where} {name}\n{f.message}\nRule: {ctx.rule_url(f.rule_id)}"
            failures += tag == "failure"
        for rid in report.rules_checked:
            rule = ctx.registry.rules.get(rid)
            if rule and rule.enforced.engine == engine and rid not in failed_rules:
                ET.SubElement(suite, "testcase", classname=f"{engine}.{rid}", name=f"{rid} {rule.title}")
        tests = len(suite)
        suite.set("tests", str(tests))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        suite.set("skipped", str(sum(1 for c in suite if c.find("skipped") is not None)))
        total_tests += tests
        total_failures += failures
    root.set("tests", str(total_tests))
    root.set("failures", str(total_failures))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _threshold(fail_on: str) -> int:
    return {"error": 2, "warning": 1}.get(fail_on, 99)
