"""The rate limit store goes away: each policy fails open or closed as ``feedchat.ratelimit.POLICIES`` declares.

A real redis-server holds the counters and is stopped mid-test. Reads, creates, own-post writes and token checks
keep working without limits (fail open); moderation operations answer 503 and do nothing (fail closed) until
Redis is back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from feedchat.app import create_app
from feedchat.issuer import DevIssuer
from feedchat.ratelimit import POLICIES, UNAVAILABLE_RETRY_SECONDS
from feedchat.settings import Settings

Bearer = Callable[..., dict[str, str]]
NEW_POST = {"title": "Hi", "body": "Hello."}


@pytest.fixture
def redis_backed(own_redis_server: Any, tmp_path: Path) -> Iterator[tuple[TestClient, DevIssuer]]:
    settings = Settings(dev_keys_dir=tmp_path / "dev-keys", redis_url=own_redis_server.url)
    issuer = DevIssuer.load_or_create(settings.dev_keys_dir, issuer=settings.issuer, audience=settings.audience)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client, issuer


def as_(issuer: DevIssuer, sub: str, *roles: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issuer.issue(sub, roles or ('member',))}"}


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == str(UNAVAILABLE_RETRY_SECONDS)
    body = response.json()
    assert body["status"] == 503 and body["detail"].startswith("The service cannot check its rate limits")
    assert "redis" not in response.text.lower() and "Traceback" not in response.text


def test_only_moderation_fails_closed() -> None:
    assert sorted(name for name, policy in POLICIES.items() if not policy.fail_open) == ["moderation"]


def test_store_down_reads_and_writes_pass_moderation_is_refused_until_it_is_back(
    redis_backed: tuple[TestClient, DevIssuer], own_redis_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    client, issuer = redis_backed
    post = client.post("/v1/posts", json=NEW_POST, headers=as_(issuer, "alice"))
    assert post.status_code == 201 and '"creates";r=' in post.headers["ratelimit"]
    post_id = post.json()["id"]
    room = client.post("/v1/rooms", json={"name": "general"}, headers=as_(issuer, "alice")).json()
    message = client.post(f"/v1/rooms/{room['id']}/messages", json={"body": "hi"}, headers=as_(issuer, "alice"))
    message_path = f"/v1/rooms/{room['id']}/messages/{message.json()['id']}"

    own_redis_server.stop()
    with caplog.at_level(logging.WARNING, logger="feedchat"):
        listed = client.get("/v1/posts")
        assert listed.status_code == 200 and "ratelimit" not in listed.headers
        assert client.post("/v1/posts", json=NEW_POST, headers=as_(issuer, "alice")).status_code == 201
        changed = client.patch(f"/v1/posts/{post_id}", json={"title": "Edited"}, headers=as_(issuer, "alice"))
        assert changed.status_code == 200
        forged = client.post("/v1/posts", json=NEW_POST, headers={"Authorization": "Bearer x.y.z"})
        assert forged.status_code == 401

        assert_unavailable(client.post(f"/v1/posts/{post_id}/hide", headers=as_(issuer, "mod", "moderator")))
        assert_unavailable(client.post("/v1/users/mallory/ban", headers=as_(issuer, "root", "admin")))
        assert_unavailable(client.delete(message_path, headers=as_(issuer, "alice")))
    assert any("moderation fails closed" in r.getMessage() for r in caplog.records)
    assert any("creates fails open" in r.getMessage() for r in caplog.records)
    assert any("auth-failures fails open" in r.getMessage() for r in caplog.records)
    assert client.get(f"/v1/posts/{post_id}").json()["title"] == "Edited"
    assert client.post("/v1/posts", json=NEW_POST, headers=as_(issuer, "mallory")).status_code == 201
    assert client.get(message_path.rsplit("/", 1)[0]).json()["items"] != []

    own_redis_server.start()
    hidden = client.post(f"/v1/posts/{post_id}/hide", headers=as_(issuer, "mod", "moderator"))
    assert hidden.status_code == 204 and '"moderation";r=29' in hidden.headers["ratelimit"]
    assert client.get(f"/v1/posts/{post_id}").status_code == 404
    assert client.delete(message_path, headers=as_(issuer, "alice")).status_code == 204
