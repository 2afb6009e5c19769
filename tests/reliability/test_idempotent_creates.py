"""Idempotency-Key under concurrency: 100 simultaneous duplicates create one post, over real HTTP and on the store."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import httpx
import mongomock
import pytest
from fastapi import Response
from fastapi.testclient import TestClient
from feedchat.app import create_app
from feedchat.issuer import DevIssuer
from feedchat.problems import ProblemError
from feedchat.ratelimit import POLICIES
from feedchat.routes import common
from feedchat.settings import Settings
from feedchat.storage import Store, StoredResponse

from tests.feedchat_process import FeedchatProcess, start_feedchat

CONCURRENT = 100


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FeedchatProcess]:
    """``python -m feedchat serve`` on a free loopback port, embedded store, rate limits far above the test."""
    running = start_feedchat(tmp_path_factory.mktemp("idempotency"))
    try:
        yield running
    finally:
        running.stop()


def _all_posts(client: httpx.Client) -> list[dict[str, object]]:
    posts: list[dict[str, object]] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/posts", params=params).json()
        posts += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return posts


def test_100_concurrent_duplicates_create_one_post(service: FeedchatProcess, invariants) -> None:
    headers = {**service.auth("alice"), "Idempotency-Key": "launch-announcement-1"}
    body = {"title": "Launch", "body": "We launch on Monday."}
    start = threading.Barrier(CONCURRENT)
    limits = httpx.Limits(max_connections=CONCURRENT, max_keepalive_connections=CONCURRENT)
    with httpx.Client(base_url=service.url, limits=limits, timeout=30) as client:

        def send(_: int) -> httpx.Response:
            start.wait(timeout=30)
            return client.post("/v1/posts", json=body, headers=headers)

        def connect(_: int) -> httpx.Response:
            start.wait(timeout=30)
            return client.get("/v1/posts", params={"limit": 1})

        with ThreadPoolExecutor(CONCURRENT) as pool:
            # Open the connections first, so that the duplicates arrive together rather than one handshake apart.
            assert {r.status_code for r in pool.map(connect, range(CONCURRENT))} == {200}
            responses = list(pool.map(send, range(CONCURRENT)))
        outcomes = Counter((r.status_code, r.content, r.headers.get("location")) for r in responses)
        posts = [p for p in _all_posts(client) if p["title"] == "Launch"]
        other = client.post("/v1/posts", json={**body, "body": "We launch on Tuesday."}, headers=headers)
        replay = client.post("/v1/posts", json=body, headers=headers)

    (status, content, location), count = outcomes.most_common(1)[0]
    invariants(
        requests=CONCURRENT,
        created=len(posts),
        distinct_responses=len(outcomes),
        identical=count,
        other_body_status=other.status_code,
    )
    assert len(posts) == 1, f"{len(posts)} posts were created"
    assert len(outcomes) == 1, f"responses differ: {[(s, loc) for s, _, loc in outcomes]}"
    assert status == 201 and location == f"/v1/posts/{posts[0]['id']}"
    assert httpx.Response(200, content=content).json()["id"] == posts[0]["id"]
    assert other.status_code == 409 and other.headers["content-type"] == "application/problem+json"
    assert "different request" in other.json()["detail"]
    assert (replay.status_code, replay.content, replay.headers["location"]) == (status, content, location)


# -- the store and the claim protocol, under mongomock ---------------------------------------------------------


@pytest.fixture
def store() -> Store:
    return Store(mongomock.MongoClient(tz_aware=True)["idempotency"], embedded=True)


def _together(count: int, work: Callable[[int], object]) -> list[object]:
    """Run ``work(0..count-1)`` on ``count`` threads released at the same moment."""
    start = threading.Barrier(count)

    def run(n: int) -> object:
        start.wait(timeout=30)
        return work(n)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def test_store_claims_a_key_once_under_threads(store: Store, invariants) -> None:
    """Threads racing through claim-or-replay: exactly one creates, every other one replays its response."""

    def request(n: int) -> str:
        claimed = common.claim_or_replay(store, "alice", "createPost", "k-threads", "fp-1")
        if isinstance(claimed, Response):
            return bytes(claimed.body).decode()
        post = store.create_post("alice", "Threads", f"made by thread {n}")
        kept = f'{{"id":"{post["id"]}"}}'
        assert store.complete_key("alice", "createPost", "k-threads", claimed, StoredResponse(201, {}, kept))
        return kept

    answers = Counter(_together(50, request))
    posts = store.list_posts(100, None).items
    invariants(requests=50, created=len(posts), distinct_responses=len(answers), events=len(store.pending_events()))
    assert len(posts) == 1 and len(answers) == 1
    assert next(iter(answers)) == f'{{"id":"{posts[0]["id"]}"}}'
    assert len(store.pending_events()) == 1, "one post, one post.created event"


def test_another_fingerprint_is_refused(store: Store) -> None:
    token = store.claim_key("alice", "createPost", "k", "fp-1", timedelta(seconds=30))
    assert token is not None
    with pytest.raises(ProblemError) as refused:
        common.claim_or_replay(store, "alice", "createPost", "k", "fp-2")
    assert refused.value.status == 409 and "different request" in refused.value.detail
    # The key is scoped by caller and operation.
    assert isinstance(common.claim_or_replay(store, "bob", "createPost", "k", "fp-2"), str)
    assert isinstance(common.claim_or_replay(store, "alice", "createRoom", "k", "fp-2"), str)


def test_in_flight_duplicate_waits_then_answers_409(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common, "IN_FLIGHT_WAIT_SECONDS", 0.2)
    assert store.claim_key("alice", "createPost", "k", "fp", timedelta(seconds=30)) is not None
    with pytest.raises(ProblemError) as busy:
        common.claim_or_replay(store, "alice", "createPost", "k", "fp")
    assert busy.value.status == 409 and busy.value.headers == {"Retry-After": "1"}
    assert "in progress" in busy.value.detail


def test_in_flight_duplicate_replays_once_the_first_completes(store: Store) -> None:
    token = store.claim_key("alice", "createPost", "k", "fp", timedelta(seconds=30))
    assert token is not None
    done = StoredResponse(201, {"location": "/v1/posts/p1", "content-type": "application/json"}, '{"id":"p1"}')
    timer = threading.Timer(0.2, store.complete_key, ("alice", "createPost", "k", token, done))
    timer.start()
    replay = common.claim_or_replay(store, "alice", "createPost", "k", "fp")
    timer.join()
    assert isinstance(replay, Response)
    assert (replay.status_code, bytes(replay.body), replay.headers["location"]) == (201, b'{"id":"p1"}', "/v1/posts/p1")


def test_a_dead_claim_is_taken_over_after_its_lease(store: Store) -> None:
    dead = store.claim_key("alice", "createPost", "k", "fp", timedelta(seconds=-1))
    assert dead is not None
    token = common.claim_or_replay(store, "alice", "createPost", "k", "fp")
    assert isinstance(token, str) and token != dead
    assert not store.complete_key("alice", "createPost", "k", dead, StoredResponse(201, {}, "{}")), "stale claim"
    assert store.complete_key("alice", "createPost", "k", token, StoredResponse(201, {}, "{}"))


# -- through the app: a failed create releases its claim ------------------------------------------------------


def test_a_failed_create_releases_the_key(tmp_path: Path) -> None:
    settings = Settings(dev_keys_dir=tmp_path / "keys", rate_limits=dict.fromkeys(POLICIES, "100000/minute"))
    issuer = DevIssuer.load_or_create(settings.dev_keys_dir, issuer=settings.issuer, audience=settings.audience)
    app = create_app(settings)
    auth = {"Authorization": f"Bearer {issuer.issue('alice', ['member'])}"}
    with TestClient(app) as client:
        assert client.post("/v1/rooms", json={"name": "general"}, headers=auth).status_code == 201
        taken = client.post("/v1/rooms", json={"name": "general"}, headers={**auth, "Idempotency-Key": "r-1"})
        assert taken.status_code == 409
        assert app.state.store.key_record("alice", "createRoom", "r-1") is None, "the failed create kept its claim"
        # The same key is free for the corrected request.
        fixed = client.post("/v1/rooms", json={"name": "general-2"}, headers={**auth, "Idempotency-Key": "r-1"})
        assert fixed.status_code == 201
        again = client.post("/v1/rooms", json={"name": "general-2"}, headers={**auth, "Idempotency-Key": "r-1"})
        assert (again.status_code, again.content, again.headers["location"]) == (
            201,
            fixed.content,
            fixed.headers["location"],
        )
