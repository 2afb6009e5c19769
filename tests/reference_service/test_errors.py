"""Every error is RFC 9457 problem+json, without internals (the client also checks each one against the contract)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI

from .conftest import CheckedClient

Auth = Callable[..., dict[str, str]]


def test_unknown_route_is_a_404_problem(client: CheckedClient) -> None:
    response = client.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "There is no resource at this path.",
        "instance": "/v1/nothing-here",
    }


def test_wrong_method_is_a_405_problem_with_allow(client: CheckedClient) -> None:
    response = client.put("/v1/posts", json={})
    assert response.status_code == 405
    assert set(response.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST"}
    assert response.json()["title"] == "Method Not Allowed"


def test_invalid_body_is_a_422_problem_with_pointers(client: CheckedClient, auth: Auth) -> None:
    response = client.post("/v1/posts", json={"title": "", "body": "x" * 10001, "extra": 1}, headers=auth())
    assert response.status_code == 422
    problem = response.json()
    assert problem["title"] == "Unprocessable Content"
    assert {(e["location"], e["pointer"]) for e in problem["errors"]} == {
        ("body", "/title"),
        ("body", "/body"),
        ("body", "/extra"),
    }
    assert "xxxxxxxx" not in response.text


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=ten", "cursor="])
def test_invalid_query_is_a_422_problem(client: CheckedClient, query: str) -> None:
    response = client.get(f"/v1/posts?{query}")
    assert response.status_code == 422
    assert response.json()["errors"][0]["location"] == "query"


def test_empty_patch_is_a_422_problem(client: CheckedClient, auth: Auth) -> None:
    post = client.post("/v1/posts", json={"title": "T", "body": "B"}, headers=auth()).json()
    assert client.patch(f"/v1/posts/{post['id']}", json={}, headers=auth()).status_code == 422
    assert client.patch(f"/v1/posts/{post['id']}", json={"title": None}, headers=auth()).status_code == 422


def test_malformed_json_is_a_400_problem(client: CheckedClient, auth: Auth) -> None:
    headers = {**auth(), "Content-Type": "application/json"}
    response = client.post("/v1/posts", content=b'{"title": ', headers=headers)
    assert response.status_code == 400
    assert response.json()["detail"] == "The request body is not valid JSON."


def test_foreign_cursor_is_a_400_problem(client: CheckedClient) -> None:
    response = client.get("/v1/rooms", params={"cursor": "not-one-of-ours"})
    assert response.status_code == 400
    assert "cursor" in response.json()["detail"]


def test_non_json_body_is_a_415_problem(client: CheckedClient, auth: Auth) -> None:
    headers = {**auth(), "Content-Type": "text/plain"}
    response = client.post("/v1/posts", content=b"title=Hi", headers=headers)
    assert response.status_code == 415


def test_unhandled_error_is_a_500_problem_without_internals(
    app: FastAPI, client: CheckedClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(limit: int, cursor: str | None) -> None:
        raise RuntimeError("connection to db-7 failed: password=hunter2")

    monkeypatch.setattr(app.state.store, "list_posts", broken)
    response = client.get("/v1/posts")
    assert response.status_code == 500
    assert response.json() == {
        "type": "about:blank",
        "title": "Internal Server Error",
        "status": 500,
        "detail": "The server could not complete the request.",
        "instance": "/v1/posts",
    }
    assert "hunter2" not in response.text
    assert "hunter2" in caplog.text  # the operator still sees the cause in the log


def test_contract_is_served_as_documentation(client: CheckedClient, document: dict[str, object]) -> None:
    yaml_response = client.get("/openapi.yaml")
    assert yaml_response.status_code == 200
    assert yaml_response.headers["content-type"].startswith("application/yaml")
    assert client.get("/openapi.json").json() == document
    assert client.get("/docs").status_code == 404
