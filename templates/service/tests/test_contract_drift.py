"""The routes serve exactly the contract, and the behaviour matches it."""

from __future__ import annotations

import base64
import json
import time

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import KeySet, OKPKey

from {{ package }}.app import create_app, load_contract

METHODS = {"get", "put", "post", "patch", "delete"}


@pytest.fixture
def signing_key() -> OKPKey:
    return OKPKey.generate_key("Ed25519", parameters={"kid": "test"})


@pytest.fixture
def client(signing_key: OKPKey) -> TestClient:
    keys = KeySet([signing_key])
    return TestClient(create_app(keys=keys, issuer="https://issuer.test", audience="{{ name }}"))


def token(key: OKPKey, sub: str = "alice", **claims: object) -> str:
    now = int(time.time())
    body = {"sub": sub, "iss": "https://issuer.test", "aud": "{{ name }}", "iat": now, "exp": now + 300, **claims}
    return jwt.encode({"alg": "Ed25519", "kid": "test"}, body, key, algorithms=["Ed25519"])


def b64(part: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).decode().rstrip("=")


def test_routes_equal_the_contract(client: TestClient) -> None:
    contract = load_contract()
    declared = {
        (method.upper(), path, op["operationId"])
        for path, item in contract["paths"].items()
        for method, op in item.items()
        if method in METHODS
    }
    served = {
        (method, route.path, route.name)
        for route in client.app.routes
        if isinstance(route, APIRoute) and route.include_in_schema
        for method in route.methods
    }
    assert served == declared


def test_create_requires_a_valid_token(client: TestClient, signing_key: OKPKey) -> None:
    assert client.post("/v1/items", json={"name": "x"}).status_code == 401
    other = OKPKey.generate_key("Ed25519", parameters={"kid": "test"})
    forged = client.post("/v1/items", json={"name": "x"}, headers={"Authorization": f"Bearer {token(other)}"})
    assert forged.status_code == 401
    assert forged.headers["content-type"] == "application/problem+json"
    now = int(time.time())
    for bad in (
        token(signing_key, exp=now - 3600, iat=now - 7200),
        token(signing_key, aud="another-api"),
        token(signing_key, iss="https://elsewhere.test"),
        token(signing_key, nbf=now + 3600),
        token(signing_key, roles="admin"),
        token(signing_key, exp=None),
    ):
        refused = client.post("/v1/items", json={"name": "x"}, headers={"Authorization": f"Bearer {bad}"})
        assert refused.status_code == 401 and refused.json()["detail"] == "the bearer token is not valid"
    unsigned = ".".join(b64(part) for part in ({"alg": "none"}, {"sub": "alice"})) + "."
    refused = client.post("/v1/items", json={"name": "x"}, headers={"Authorization": f"Bearer {unsigned}"})
    assert refused.status_code == 401
    ok = client.post("/v1/items", json={"name": "first"}, headers={"Authorization": f"Bearer {token(signing_key)}"})
    assert ok.status_code == 201 and ok.json()["owner"] == "alice"
    assert client.get(f"/v1/items/{ok.json()['id']}").json()["name"] == "first"


def test_errors_are_problem_details(client: TestClient, signing_key: OKPKey) -> None:
    missing = client.get("/v1/items/nope")
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    invalid = client.post("/v1/items", json={"name": ""}, headers={"Authorization": f"Bearer {token(signing_key)}"})
    assert invalid.status_code == 422 and invalid.json()["status"] == 422
    assert client.get("/v1/items", params={"limit": 101}).status_code == 422


def test_pagination_walks_every_item_once(client: TestClient, signing_key: OKPKey) -> None:
    headers = {"Authorization": f"Bearer {token(signing_key)}"}
    for n in range(5):
        client.post("/v1/items", json={"name": f"item {n}"}, headers=headers)
    seen, cursor = [], None
    while True:
        page = client.get("/v1/items", params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 5
