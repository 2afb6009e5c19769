"""The running service serves exactly its contract, and drift between the two is caught."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from feedchat.feeds import Feeds
from feedchat.issuer import DevIssuer
from feedchat.reliability.streams import embedded

from .conformance import Contract
from .drift import all_routes, api_routes, contract_operations, fuzz, route_drift


def _existing(app: FastAPI, owner: str) -> Any:
    store = app.state.store

    def make() -> dict[str, str]:
        post = store.create_post(owner, "Seeded", "A post that exists.")
        room = store.create_room(f"seeded-{post['id']}", None, owner)
        return {"post_id": post["id"], "room_id": room["id"]}

    return make


def test_route_table_equals_contract(app: FastAPI, document: dict[str, Any]) -> None:
    assert route_drift(app, document) == []
    assert {(m, p, o) for m, p, o in api_routes(app)} == set(contract_operations(document))
    assert len(contract_operations(document)) == 20


def test_only_the_contract_files_are_served_outside_the_contract(app: FastAPI) -> None:
    extra = {r.path for r in all_routes(app) if not r.include_in_schema}
    assert extra == {"/openapi.yaml", "/openapi.json"}


def test_schemathesis_finds_no_drift(app: FastAPI, document: dict[str, Any], issuer: DevIssuer) -> None:
    app.state.feeds = Feeds(embedded())  # without one, the follow and timeline operations answer 503
    token = issuer.issue("alice", ttl=3600)
    assert fuzz(app, document, token, existing=_existing(app, "alice")) == []


def _mutated(document: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(document)


def test_removed_operation_is_drift(app: FastAPI, document: dict[str, Any]) -> None:
    changed = _mutated(document)
    del changed["paths"]["/v1/posts/{post_id}"]["delete"]
    assert route_drift(app, changed) == [
        "DELETE /v1/posts/{post_id} (deletePost) is served but not in the contract",
    ]


def test_renamed_operation_and_path_parameter_are_drift(app: FastAPI, document: dict[str, Any]) -> None:
    changed = _mutated(document)
    changed["paths"]["/v1/rooms/{room_id}"]["get"]["operationId"] = "fetchRoom"
    changed["paths"]["/v1/posts/{id}"] = changed["paths"].pop("/v1/posts/{post_id}")
    drift = route_drift(app, changed)
    assert "GET /v1/rooms/{room_id} (getRoom) is served but not in the contract" in drift
    assert "GET /v1/rooms/{room_id} (fetchRoom) is in the contract but not served" in drift
    assert "PATCH /v1/posts/{id} (updatePost) is in the contract but not served" in drift


def test_undeclared_status_is_drift(app: FastAPI, document: dict[str, Any], issuer: DevIssuer) -> None:
    changed = _mutated(document)
    del changed["paths"]["/v1/posts/{post_id}"]["get"]["responses"]["404"]
    assert route_drift(app, changed) == [
        "GET /v1/posts/{post_id} (getPost): statuses ['404'] not declared in the contract"
    ]
    found = fuzz(app, changed, issuer.issue("alice"), existing=_existing(app, "alice"), operations={"getPost"})
    assert any("GET /v1/posts/{post_id}" in f and "UndefinedStatusCode" in f for f in found), found


def test_changed_response_schema_is_drift(app: FastAPI, document: dict[str, Any], issuer: DevIssuer) -> None:
    changed = _mutated(document)
    post = changed["components"]["schemas"]["Post"]
    post["required"].append("score")
    post["properties"]["score"] = {"type": "integer"}
    found = fuzz(app, changed, issuer.issue("alice"), existing=_existing(app, "alice"), operations={"getPost"})
    assert any("GET /v1/posts/{post_id}" in f and "JsonSchemaError" in f for f in found), found


def test_request_schema_looser_than_code_is_drift(app: FastAPI, document: dict[str, Any], issuer: DevIssuer) -> None:
    changed = _mutated(document)
    create = changed["components"]["schemas"]["MessageCreate"]
    create["required"].append("mood")
    create["properties"]["mood"] = {"type": "string", "enum": ["happy", "sad"]}
    found = fuzz(app, changed, issuer.issue("alice"), existing=_existing(app, "alice"), operations={"createMessage"})
    assert any("POST /v1/rooms/{room_id}/messages" in f and "RejectedPositiveData" in f for f in found), found


@pytest.mark.parametrize("parameter", ["Limit", "IdempotencyKey"])
def test_parameter_missing_from_contract_is_drift(app: FastAPI, document: dict[str, Any], parameter: str) -> None:
    changed = _mutated(document)
    ref = {"$ref": f"#/components/parameters/{parameter}"}
    changed["paths"]["/v1/posts"]["get" if parameter == "Limit" else "post"]["parameters"].remove(ref)
    assert len(route_drift(app, changed)) == 1


def test_the_response_checker_flags_what_the_contract_forbids(contract: Contract) -> None:
    def check(status: int, body: Any, media: str = "application/json", path: str = "/v1/posts/abc") -> list[str]:
        request = httpx.Request("GET", f"http://testserver{path}")
        response = httpx.Response(status, json=body, headers={"content-type": media}, request=request)
        return contract.violations(response)

    problem = {"type": "about:blank", "title": "Not Found", "status": 404}
    assert check(404, problem, "application/problem+json") == []
    assert "not declared" in check(418, problem, "application/problem+json")[0]
    assert "not application/problem+json" in check(404, problem)[0]
    assert "'author' is a required property" in check(200, {"id": "a", "title": "t"})[0]
    assert "no operation" in check(200, {}, path="/v1/secret")[0]
