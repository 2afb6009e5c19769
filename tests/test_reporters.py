"""Reporters: SARIF validates against the official schema, JUnit parses back, JSON and Markdown agree."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import jsonschema
import pytest

from checks.engines.openapi import ENGINE
from checks.findings import Report
from checks.registry import default_registry
from checks.reporters import RenderContext, reporters
from tests.conftest import FIXTURES

PLANTED = FIXTURES / "openapi" / "planted.yaml"
CTX = RenderContext(registry=default_registry(), docs_url="https://handbook.test/", fail_on="error")


@pytest.fixture(scope="module")
def report() -> Report:
    return ENGINE.run([PLANTED])


def test_sarif_is_valid_and_complete(report: Report, sarif_schema: dict[str, object]) -> None:
    log = json.loads(reporters()["sarif"](report, CTX))
    jsonschema.validate(log, sarif_schema)
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert len(run["results"]) == len(report.findings)
    for result in run["results"]:
        descriptor = rules[result["ruleIndex"]]
        assert result["level"] == descriptor["defaultConfiguration"]["level"]
        assert descriptor["id"] == result["ruleId"]
        assert descriptor["helpUri"] == f"https://handbook.test/rules/{result['ruleId']}/"
        assert result["properties"]["helpUri"] == descriptor["helpUri"]
        physical = result["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uri"].endswith("planted.yaml")
        assert physical["region"]["startLine"] > 0
        assert result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"].startswith("/")


def test_sarif_without_findings_is_valid(sarif_schema: dict[str, object]) -> None:
    clean = Report(engines=["openapi"], rules_checked=["API-101", "API-102"])
    log = json.loads(reporters()["sarif"](clean, CTX))
    jsonschema.validate(log, sarif_schema)
    assert log["runs"][0]["results"] == []
    assert [r["id"] for r in log["runs"][0]["tool"]["driver"]["rules"]] == ["API-101", "API-102"]


def test_junit_parses_back(report: Report) -> None:
    root = ET.fromstring(reporters()["junit"](report, CTX))
    suite = root.find("testsuite")
    assert suite is not None and suite.get("name") == "handbook.openapi"
    failures = suite.findall("testcase/failure")
    errors = [f for f in report.findings if f.severity.value == "error"]
    assert len(failures) == len(errors) == int(suite.get("failures", "-1"))
    assert len(suite.findall("testcase/skipped")) == len(report.findings) - len(errors)  # warnings do not fail
    assert int(root.get("tests", "0")) == len(suite.findall("testcase"))
    assert all("https://handbook.test/rules/" in (f.text or "") for f in failures)


def test_junit_marks_clean_rules_as_passing_tests() -> None:
    clean = Report(engines=["openapi"], rules_checked=["API-101", "API-102"])
    root = ET.fromstring(reporters()["junit"](clean, CTX))
    cases = root.findall("testsuite/testcase")
    assert len(cases) == 2 and all(len(c) == 0 for c in cases)


def test_json_report_round_trips(report: Report) -> None:
    payload = json.loads(reporters()["json"](report, CTX))
    assert payload["summary"]["total"] == len(report.findings)
    assert payload["summary"]["failed"] is True
    first = payload["findings"][0]
    assert {"ruleId", "level", "severity", "message", "location", "helpUri"} <= set(first)
    assert first["location"]["pointer"].startswith("/")


def test_markdown_summary_links_rules_and_prints_review_checklists(report: Report) -> None:
    report.rules_checked.append("QUAL-101")
    text = reporters()["markdown"](report, CTX)
    assert text.startswith("## Backend Engineering Handbook")
    assert "❌ **Handbook checks failed**" in text
    assert "[API-102](https://handbook.test/rules/API-102/)" in text
    assert "### Review checklist" in text and "QUAL-102" in text and "- [ ] " in text


def test_text_report_groups_by_file_and_colours_on_request(report: Report) -> None:
    plain = reporters()["text"](report, CTX)
    assert plain.splitlines()[0].endswith("planted.yaml")
    assert "\x1b[" not in plain
    coloured = reporters()["text"](report, RenderContext(registry=CTX.registry, docs_url=CTX.docs_url, color=True))
    assert "\x1b[31m" in coloured
