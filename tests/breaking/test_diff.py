"""The diff core: each category classified exactly, refactorings and doc edits are no change, cycles end."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest

from checks.engines.breaking import split_example
from checks.engines.breaking.changes import Change
from checks.engines.breaking.diff import diff
from checks.engines.openapi.spec import Spec
from checks.sources import Document

CASES = Path(__file__).parent / "cases"
TODAY = dt.date(2025, 6, 1)

B, W, C = "breaking", "warning", "compatible"
REQ, RESP = "request", "response"

EXPECTED: dict[str, list[tuple[str, str, str]]] = {
    "operation-removed": [("operation-removed", B, REQ)],
    "operation-removed-before-sunset": [("operation-removed", B, REQ)],
    "operation-removed-after-sunset": [("operation-removed-after-sunset", C, REQ)],
    "operation-added-and-deprecated": [("operation-deprecated", W, REQ), ("operation-added", C, REQ)],
    "security-added": [("security-requirement-added", B, REQ), ("security-scope-added", B, REQ)],
    "security-relaxed": [("security-relaxed", C, REQ)],
    "parameters": [
        ("request-parameter-removed", B, REQ),
        ("request-parameter-became-required", B, REQ),
        ("request-parameter-added-required", B, REQ),
        ("request-parameter-added-optional", C, REQ),
    ],
    "request-body-fields": [
        ("request-property-removed", B, REQ),
        ("request-type-changed", B, REQ),
        ("request-property-became-required", B, REQ),
        ("request-property-added-required", B, REQ),
        ("request-property-added-optional", C, REQ),
    ],
    "request-enum": [("request-enum-value-removed", B, REQ), ("request-enum-value-added", C, REQ)],
    "request-constraints-tightened": [
        ("request-constraint-tightened", B, REQ),
        ("request-constraint-tightened", B, REQ),
        ("request-constraint-tightened", B, REQ),
        ("request-constraint-tightened", B, REQ),
        ("request-additional-properties-closed", B, REQ),
    ],
    "request-constraints-loosened": [
        ("request-constraint-loosened", C, REQ),
        ("request-constraint-loosened", C, REQ),
        ("request-constraint-loosened", C, REQ),
        ("request-type-widened", C, REQ),
        ("request-became-nullable", C, REQ),
    ],
    "request-body-and-media": [
        ("request-body-became-required", B, REQ),
        ("request-media-type-removed", B, REQ),
        ("request-media-type-added", C, REQ),
    ],
    "request-union": [("request-alternative-removed", B, REQ)],
    "response-fields": [
        ("response-property-became-optional", B, RESP),
        ("response-became-nullable", B, RESP),
        ("response-type-changed", B, RESP),
        ("response-property-removed", B, RESP),
        ("response-property-added", C, RESP),
    ],
    "response-enum-and-union": [
        ("response-enum-value-removed", C, RESP),
        ("response-enum-value-added", W, RESP),
        ("response-alternative-added", W, RESP),
    ],
    "responses-and-media": [
        ("response-media-type-removed", B, RESP),
        ("response-header-removed", B, RESP),
        ("response-status-removed", B, RESP),
        ("response-error-status-removed", C, RESP),
        ("response-status-added", C, RESP),
    ],
    "deprecations-and-serialization": [
        ("operation-sunset-removed", W, REQ),
        ("request-parameter-serialization-changed", B, REQ),
        ("request-parameter-deprecated", W, REQ),
    ],
    "response-constraints": [
        ("response-constraint-loosened", B, RESP),
        ("response-type-narrowed", C, RESP),
        ("response-became-not-nullable", C, RESP),
        ("response-format-changed", B, RESP),
        ("discriminator-changed", B, RESP),
    ],
    "cycle-change": [("response-property-removed", B, RESP)],
    "same-ref-refactoring": [],
    "same-doc-only": [],
    "same-renamed-path-parameter": [],
    "same-cycles": [],
}


def changes_of(name: str, today: dt.date = TODAY) -> list[Change]:
    path = CASES / f"{name}.yaml"
    old, new = split_example(path.read_text(encoding="utf-8"), str(path))
    return diff(old, new, today=today)


def test_every_case_file_has_an_expectation() -> None:
    assert {p.stem for p in CASES.glob("*.yaml")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_classification(name: str) -> None:
    got = [(c.category, c.kind.value, c.side) for c in changes_of(name)]
    assert sorted(got) == sorted(EXPECTED[name])


def test_messages_name_the_operation_and_the_place() -> None:
    messages = {c.category: c.message for c in changes_of("request-constraints-tightened")}
    assert messages["request-additional-properties-closed"].startswith("POST /v1/items request body (application/json)")
    tightened = [c.message for c in changes_of("request-constraints-tightened") if "maxLength" in c.message]
    assert tightened == ["POST /v1/items request body (application/json) `name`: maxLength changed from 200 to 100"]


def test_removed_nodes_are_located_in_old_and_others_in_new() -> None:
    for change in changes_of("response-fields"):
        if change.category == "response-property-removed":
            assert change.new is None and change.old is not None
            assert change.old.doc.path.endswith("(old)")
            assert change.old.pointer.endswith("/properties/colour")
        else:
            assert change.new is not None and change.new.doc.path.endswith("(new)")


def test_a_shared_schema_change_is_reported_once_for_every_operation() -> None:
    [change] = changes_of("cycle-change")
    assert change.operations == ["GET /v1/trees", "GET /v1/trees/{id}"]
    assert change.old is not None and change.old.pointer == "/components/schemas/Tree/properties/weight"
    assert "also in 1 other operation" in change.message


@pytest.mark.parametrize(
    ("today", "category"),
    [
        (dt.date(2025, 8, 31), "operation-removed"),
        (dt.date(2025, 9, 1), "operation-removed-after-sunset"),
        (dt.date(2026, 1, 1), "operation-removed-after-sunset"),
    ],
)
def test_removal_is_judged_against_the_injected_clock(today: dt.date, category: str) -> None:
    [change] = changes_of("operation-removed-before-sunset", today)
    assert change.category == category


def test_policy_message_says_what_is_required() -> None:
    [change] = changes_of("operation-removed")
    assert "mark it deprecated with x-sunset at least 90 days ahead and remove it after that date" in change.message


@pytest.mark.parametrize(
    ("sunset", "expected"),
    [
        ("", "it has no x-sunset date"),
        ("x-sunset: 2025-07-01", "only 30 days ahead"),
        ("x-sunset: soon", "'soon' is not an RFC 3339 date"),
        ("x-sunset: 2025-12-01", "it may be removed after 2025-12-01"),
    ],
)
def test_deprecation_messages(sunset: str, expected: str) -> None:
    old = "openapi: 3.1.0\ninfo: {title: T, version: '1'}\npaths:\n  /v1/a:\n    get:\n      responses: {}\n"
    new = old.replace("    get:\n", f"    get:\n      deprecated: true\n      {sunset}\n")
    [change] = diff(_spec(old, "old"), _spec(new, "new"), today=TODAY)
    assert change.category == "operation-deprecated" and change.kind.value == "warning"
    assert expected in change.message


def _spec(text: str, name: str) -> Spec:
    return Spec.from_document(Document.from_text(text, name=name))


def _ring(size: int, extra: bool) -> str:
    """``size`` schemas that all reference each other (one strongly connected group), used by one operation."""
    lines = [
        "openapi: 3.0.3",
        "info: {title: T, version: '1'}",
        "paths:",
        "  /v1/s:",
        "    post:",
        "      requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/S0'}}}}",
        "      responses:",
        "        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/S0'}}}}",
        "components:",
        "  schemas:",
    ]
    for i in range(size):
        refs = ", ".join(f"p{j}: {{$ref: '#/components/schemas/S{(i + j) % size}'}}" for j in range(1, 6))
        anyof = f"{{anyOf: [{{type: string}}, {{$ref: '#/components/schemas/S{(i * 7) % size}'}}]}}"
        extra_prop = ", q: {type: string}" if extra and i == size - 1 else ""
        lines.append(f"    S{i}: {{type: object, properties: {{{refs}, e: {anyof}{extra_prop}}}}}")
    return "\n".join(lines) + "\n"


def test_large_cycles_terminate_quickly() -> None:
    old, new = _spec(_ring(200, False), "old"), _spec(_ring(200, True), "new")
    start = time.perf_counter()
    assert diff(old, _spec(_ring(200, False), "same"), today=TODAY) == []
    changes = diff(old, new, today=TODAY)
    assert time.perf_counter() - start < 5
    assert sorted((c.category, c.side) for c in changes) == [
        ("request-property-added-optional", "request"),
        ("response-property-added", "response"),
    ]
