"""Follows and the timeline: a post reaches its author's followers' timelines through the fan-out pipeline."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from fastapi import FastAPI
from feedchat.app import create_app
from feedchat.feeds import NOT_CONFIGURED, UNREACHABLE, Feeds
from feedchat.reliability.fanout import feed_key, followers_key
from feedchat.reliability.streams import StreamSettings, embedded
from feedchat.settings import Settings
from feedchat.storage import InvalidCursor, Store

from tests.feedchat_process import start_feedchat
from tests.net import free_port
from tests.reliability.helpers import wait_until

from .conformance import Contract
from .conftest import CheckedClient

Auth = Callable[..., dict[str, str]]
ARRIVAL_SECONDS = 10.0
FEED_OPERATIONS = (
    ("PUT", "/v1/users/ben/follows/ada"),
    ("DELETE", "/v1/users/ben/follows/ada"),
    ("GET", "/v1/timeline"),
)


@pytest.fixture
def piped(settings: Settings, contract: Contract) -> Iterator[CheckedClient]:
    """A contract-checking client of an app running the relay and a worker on an embedded fakeredis."""
    with CheckedClient(create_app(settings, pipeline=StreamSettings()), contract) as checked:
        yield checked


def _post(client: CheckedClient | httpx.Client, headers: dict[str, str], title: str) -> str:
    response = client.post("/v1/posts", json={"title": title, "body": "Hello, followers."}, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _timeline(client: CheckedClient | httpx.Client, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = client.get("/v1/timeline", params=params, headers=headers)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def _ids(client: CheckedClient | httpx.Client, headers: dict[str, str]) -> list[str]:
    return [post["id"] for post in _timeline(client, headers, limit=100)["items"]]


def test_a_followed_authors_post_reaches_the_timeline_and_unfollowing_stops_new_ones(
    piped: CheckedClient, auth: Auth
) -> None:
    ben, ada = auth("ben"), auth("ada")
    assert _timeline(piped, ben) == {"items": [], "next_cursor": None}
    assert piped.put("/v1/users/ben/follows/ada", headers=ben).status_code == 204
    assert piped.put("/v1/users/ben/follows/ada", headers=ben).status_code == 204  # idempotent
    first = _post(piped, ada, "first")
    assert wait_until(lambda: _ids(piped, ben) == [first], timeout=ARRIVAL_SECONDS), _ids(piped, ben)
    post = _timeline(piped, ben)["items"][0]
    assert (post["author"], post["title"]) == ("ada", "first")

    assert piped.delete("/v1/users/ben/follows/ada", headers=ben).status_code == 204
    assert piped.delete("/v1/users/ben/follows/ada", headers=ben).status_code == 204  # idempotent
    later = _post(piped, ada, "later")
    # cy follows ada now: one worker applies the stream in order, so once ``last`` reached cy's timeline, the
    # worker is past ``later`` as well, and ben's timeline shows what it will ever show.
    assert piped.put("/v1/users/cy/follows/ada", headers=auth("cy")).status_code == 204
    last = _post(piped, ada, "last")
    assert wait_until(lambda: last in _ids(piped, auth("cy")), timeout=ARRIVAL_SECONDS)
    assert _ids(piped, ben) == [first], f"{later} or {last} reached an unfollowed timeline"


def test_the_timeline_pages_newest_first_and_skips_deleted_posts(piped: CheckedClient, auth: Auth) -> None:
    ben, ada = auth("ben"), auth("ada")
    piped.put("/v1/users/ben/follows/ada", headers=ben)
    posted = [_post(piped, ada, f"post {n}") for n in range(5)]
    assert wait_until(lambda: len(_ids(piped, ben)) == 5, timeout=ARRIVAL_SECONDS)
    assert piped.delete(f"/v1/posts/{posted[2]}", headers=ada).status_code == 204

    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = _timeline(piped, ben, limit=2, **({"cursor": cursor} if cursor else {}))
        seen += [post["id"] for post in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [posted[4], posted[3], posted[1], posted[0]]
    assert pages == 2

    bad = piped.get("/v1/timeline", params={"cursor": "not-a-cursor"}, headers=ben)
    assert bad.status_code == 400
    assert bad.headers["content-type"] == "application/problem+json"


def test_following_yourself_is_422_and_every_operation_needs_a_token(piped: CheckedClient, auth: Auth) -> None:
    yourself = piped.put("/v1/users/ben/follows/ben", headers=auth("ben"))
    assert yourself.status_code == 422
    assert yourself.json()["detail"] == "You cannot follow yourself."
    for method, path in FEED_OPERATIONS:
        response = piped.request(method, path)
        assert response.status_code == 401, (method, path)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_only_the_follower_changes_whom_they_follow(piped: CheckedClient, auth: Auth) -> None:
    for method in ("PUT", "DELETE"):
        response = piped.request(method, "/v1/users/ben/follows/ada", headers=auth("mallory"))
        assert response.status_code == 403, method
        assert response.json()["detail"] == "Only the user themselves may change whom they follow."
    assert piped.app.state.feeds.client.smembers(followers_key("ada")) == set()


def test_a_long_path_keeps_the_problem_instance_within_the_contract(piped: CheckedClient, auth: Auth) -> None:
    # 255 four-byte characters in each path parameter: 3 060 characters each once percent-encoded.
    wide = "\U0001f600" * 255
    response = piped.put(f"/v1/users/{wide}/follows/{wide}", headers=auth("ben"))
    assert response.status_code == 403
    instance = response.json()["instance"]
    assert len(instance) <= 2048 and instance.startswith("/v1/users/%F0%9F%98%80")
    assert "%" not in instance[-2:]


def test_without_a_redis_the_feed_operations_answer_503(client: CheckedClient, app: FastAPI, auth: Auth) -> None:
    # create_app without a pipeline and without REDIS_URL: the case of MONGODB_URI with separate workers.
    assert app.state.pipeline is None and app.state.settings.redis_url is None and app.state.feeds is None
    for method, path in FEED_OPERATIONS:
        response = client.request(method, path, headers=auth("ben"))
        assert response.status_code == 503, (method, path)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"] == NOT_CONFIGURED


def test_an_unreachable_redis_is_503_with_retry_after(client: CheckedClient, app: FastAPI, auth: Auth) -> None:
    down = redis.Redis(port=free_port(), socket_connect_timeout=0.5, socket_timeout=0.5, decode_responses=True)
    app.state.feeds = Feeds(down)
    for method, path in FEED_OPERATIONS:
        response = client.request(method, path, headers=auth("ben"))
        assert response.status_code == 503, (method, path)
        assert response.json()["detail"] == UNREACHABLE
        assert int(response.headers["retry-after"]) >= 1


def test_redis_url_without_a_pipeline_gives_the_api_its_own_client(tmp_path: Path) -> None:
    port = free_port()
    app = create_app(Settings(dev_keys_dir=tmp_path / "keys", redis_url=f"redis://127.0.0.1:{port}/0"))
    assert app.state.pipeline is None
    assert app.state.feeds.client.connection_pool.connection_kwargs["port"] == port


def test_pages_break_ties_by_id_and_walk_past_runs_of_deleted_posts() -> None:
    store = Store.connect(None, "feedchat-timeline-test")
    client = embedded()
    feeds = Feeds(client)
    posts = [store.create_post("ada", f"post {n}", "body") for n in range(7)]
    same = 1_000.0
    # Every post gets one score, so the order is by ID alone (greater first), as within one millisecond.
    client.zadd(feed_key("ben"), {post["id"]: same for post in posts})
    gone = sorted(post["id"] for post in posts)[1:5]
    for post_id in gone:
        assert store.delete_post(post_id)
    expected = [post_id for post_id in sorted((p["id"] for p in posts), reverse=True) if post_id not in gone]

    first = feeds.timeline(store, "ben", 2, None)
    assert [p["id"] for p in first.items] == expected[:2]
    assert first.next_cursor is not None
    rest = feeds.timeline(store, "ben", 2, first.next_cursor)
    assert [p["id"] for p in rest.items] == expected[2:]
    assert rest.next_cursor is None
    assert client.smembers(followers_key("ada")) == set()
    with pytest.raises(InvalidCursor):
        feeds.timeline(store, "ben", 2, "eyJ0IjoiMjAyNC0wNi0wMVQwMDowMDowMCswMDowMCIsImlkIjoieCJ9")


def test_make_run_shows_a_followed_authors_post_in_the_timeline(tmp_path: Path) -> None:
    service = start_feedchat(tmp_path / "serve")
    try:
        with httpx.Client(base_url=service.url, timeout=10) as http:
            ben, ada = service.auth("ben"), service.auth("ada")
            assert http.put("/v1/users/ben/follows/ada", headers=ben).status_code == 204
            post_id = _post(http, ada, "Hello from ada")
            assert wait_until(lambda: _ids(http, ben) == [post_id], timeout=ARRIVAL_SECONDS), service.log.read_text()
    finally:
        service.stop()
