"""The contract itself: valid OpenAPI 3.1, clean under the handbook's API rules, examples match schemas."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate

from checks.engines import all_engines

from .conformance import Contract, escape
from .conftest import CONTRACT_PATH


def test_contract_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_contract_passes_the_handbook_openapi_check() -> None:
    report = all_engines()["openapi"].run([CONTRACT_PATH])
    assert {f"API-{n}" for n in range(101, 107)} <= set(report.rules_checked)
    assert [f"{f.rule_id}: {f.message}" for f in report.findings] == []


def _examples(node: Any, pointer: str = "") -> Iterator[tuple[str, str, Any]]:
    """(schema pointer, example pointer, value) for every media-type and schema example."""
    if isinstance(node, dict):
        if "schema" in node and isinstance(node.get("examples"), dict):
            for name, example in node["examples"].items():
                yield f"{pointer}/schema", f"{pointer}/examples/{name}", example["value"]
        if isinstance(node.get("examples"), list) and ("type" in node or "$ref" in node):
            for n, value in enumerate(node["examples"]):
                yield pointer, f"{pointer}/examples/{n}", value
        for key, value in node.items():
            yield from _examples(value, f"{pointer}/{escape(str(key))}")
    elif isinstance(node, list):
        for n, value in enumerate(node):
            yield from _examples(value, f"{pointer}/{n}")


def test_every_example_is_valid_against_its_schema(contract: Contract, document: dict[str, Any]) -> None:
    found = list(_examples(document))
    assert len(found) > 20
    for schema_at, example_at, value in found:
        assert contract.errors_at(schema_at, value) == [], example_at


def test_an_invalid_example_would_be_caught(contract: Contract) -> None:
    assert contract.errors_at("/components/schemas/PostCreate", {"title": "x", "body": "y", "extra": 1})


def _request_bodies(document: dict[str, Any]) -> Iterator[str]:
    for template, item in document["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and "requestBody" in op:
                schema = op["requestBody"]["content"]["application/json"]["schema"]
                yield schema["$ref"].rsplit("/", 1)[1] if "$ref" in schema else f"{method} {template}"


@pytest.mark.parametrize("name", ["PostCreate", "PostUpdate", "CommentCreate", "RoomCreate", "MessageCreate"])
def test_request_bodies_are_closed_and_bounded(document: dict[str, Any], name: str) -> None:
    assert name in set(_request_bodies(document))
    schema = document["components"]["schemas"][name]
    assert schema["additionalProperties"] is False
    for prop in schema["properties"].values():
        if prop.get("type") == "string":
            assert "maxLength" in prop
        if prop.get("type") == "array":
            assert "maxItems" in prop


def test_lists_use_cursor_pagination(document: dict[str, Any]) -> None:
    lists = [
        op
        for item in document["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and op.get("operationId", "").startswith("list")
    ]
    assert len(lists) == 6
    for op in lists:
        refs = {p["$ref"] for p in op["parameters"]}
        assert refs == {"#/components/parameters/Limit", "#/components/parameters/Cursor"}
        page = op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        assert document["components"]["schemas"][page]["required"] == ["items", "next_cursor"]


STREAM_URL = "http://test/v1/rooms/665f1c2ab1e4d2a9c8f0b001/stream"
GOOD_DATA = (
    '{"id":"665f1c2ab1e4d2a9c8f0c001","room_id":"665f1c2ab1e4d2a9c8f0b001","author":"alice",'
    '"body":"Hi all.","created_at":"2024-06-04T12:00:00Z"}'
)


def _stream(body: str) -> httpx.Response:
    request = httpx.Request("GET", STREAM_URL)
    return httpx.Response(200, headers={"content-type": "text/event-stream; charset=utf-8"}, text=body, request=request)


def test_each_event_of_a_stream_is_checked_against_the_event_schema_and_its_data_against_message(
    contract: Contract,
) -> None:
    good = f"retry: 1000\n\nid: 42\nevent: message\ndata: {GOOD_DATA}\n\n: heartbeat\n\n"
    assert contract.violations(_stream(good)) == []
    no_author = GOOD_DATA.replace('"author":"alice",', "")
    assert any(
        "'author' is a required property" in v for v in contract.violations(_stream(f"id: 43\ndata: {no_author}\n\n"))
    )
    assert any(
        "is not one of ['message']" in v
        for v in contract.violations(_stream(f"id: 44\nevent: ping\ndata: {GOOD_DATA}\n\n"))
    )
    assert any("data is not JSON" in v for v in contract.violations(_stream("id: 45\ndata: hello\n\n")))
