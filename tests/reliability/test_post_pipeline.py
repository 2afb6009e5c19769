"""Post → outbox → relay → stream → worker, end to end: posts created over HTTP reach every follower exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import mongomock
import pytest
import redis
from click.testing import CliRunner
from fastapi.testclient import TestClient
from feedchat.app import create_app
from feedchat.issuer import DevIssuer
from feedchat.ratelimit import POLICIES
from feedchat.reliability.cli import main
from feedchat.reliability.fanout import feed_key, notifications_key
from feedchat.reliability.outbox import Outbox
from feedchat.reliability.relay import Relay
from feedchat.reliability.streams import DEAD_LETTERS, GROUP, STREAM
from feedchat.settings import Settings
from feedchat.storage import Store, transactions_from_hello

from tests.reliability.helpers import follow, wait_until

AUTHORS = {"ada": ["ben", "cy", "dee"], "bo": ["ada", "cy"], "cal": []}
POSTS_PER_AUTHOR = 20


def _spawn_worker(url: str, name: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "REDIS_URL": url, "FEEDCHAT_RECLAIM_IDLE_MS": "500"}
    return subprocess.Popen(
        [sys.executable, "-m", "feedchat", "worker", "--name", name],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )


def test_posts_over_http_fan_out_exactly_once(own_redis_server, tmp_path: Path, invariants) -> None:
    client = redis.Redis.from_url(own_redis_server.url, decode_responses=True, socket_timeout=5)
    for author, followers in AUTHORS.items():
        if followers:
            follow(client, author, followers)
    settings = Settings(dev_keys_dir=tmp_path / "keys", rate_limits=dict.fromkeys(POLICIES, "100000/minute"))
    issuer = DevIssuer.load_or_create(settings.dev_keys_dir, issuer=settings.issuer, audience=settings.audience)
    app = create_app(settings)
    store: Store = app.state.store
    relay = Relay(Outbox(store), client, batch=7)
    stop = threading.Event()
    relaying = threading.Thread(target=relay.run, args=(stop,), kwargs={"idle_seconds": 0.02})
    workers = [_spawn_worker(own_redis_server.url, f"w{n}") for n in range(2)]
    created: dict[str, str] = {}
    relaying.start()
    try:
        with TestClient(app) as http:
            for n in range(POSTS_PER_AUTHOR):
                for author in AUTHORS:
                    headers = {
                        "Authorization": f"Bearer {issuer.issue(author, ['member'])}",
                        "Idempotency-Key": f"{author}-{n}",
                    }
                    body = {"title": f"{author} #{n}", "body": "Hello, followers."}
                    first = http.post("/v1/posts", json=body, headers=headers)
                    retry = http.post("/v1/posts", json=body, headers=headers)  # a client retry: no second post
                    assert first.status_code == 201 and retry.content == first.content
                    created[first.json()["id"]] = author
        expected = sum(len(AUTHORS[author]) for author in created.values())

        def settled() -> bool:
            notes = sum(client.llen(notifications_key(f)) for fs in AUTHORS.values() for f in set(fs))
            return (
                notes >= expected
                and not store.pending_events()
                and client.xpending(STREAM, GROUP)["pending"] == 0
                and relay.published >= len(created)
            )

        assert wait_until(settled, timeout=60, interval=0.1), "the pipeline did not drain in 60 s"
    finally:
        stop.set()
        relaying.join(timeout=10)
        outputs = []
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
            outputs.append(worker.communicate(timeout=15)[0].decode())
    assert all(w.returncode == 0 and "stopped" in out for w, out in zip(workers, outputs, strict=True)), outputs

    followers = sorted({f for fs in AUTHORS.values() for f in fs})
    notes: Counter[tuple[str, str]] = Counter()
    for follower in followers:
        for raw in client.lrange(notifications_key(follower), 0, -1):
            notes[(follower, json.loads(raw)["post_id"])] += 1
    wanted = Counter({(f, post): 1 for post, author in created.items() for f in AUTHORS[author]})
    duplicates = sum(n - 1 for n in notes.values())
    lost = len(set(wanted) - set(notes))
    dead = client.xlen(DEAD_LETTERS)
    invariants(
        posts=len(created),
        published=relay.published,
        effects=sum(notes.values()),
        duplicates=duplicates,
        dead_letters=dead,
        lost=lost,
    )
    assert len(store.list_posts(100, None).items) == len(created) == len(AUTHORS) * POSTS_PER_AUTHOR
    assert relay.published == len(created), "one post.created event per post, retries included"
    assert notes == wanted and duplicates == 0 and lost == 0 and dead == 0
    for follower in followers:
        in_feed = set(client.zrange(feed_key(follower), 0, -1))
        assert in_feed == {post for post, author in created.items() if follower in AUTHORS[author]}


def test_create_post_writes_the_post_and_its_event_together() -> None:
    store = Store(mongomock.MongoClient(tz_aware=True)["outbox"], embedded=True)
    assert store.transactions is False, "mongomock has no transactions"
    post = store.create_post("ada", "Hello", "First post.")
    [event] = store.pending_events()
    assert event["topic"] == "post.created"
    assert event["payload"] == {"post_id": post["id"], "author": "ada", "created_ts": post["created_at"].timestamp()}
    assert store.get_user("ada") is not None


@pytest.mark.parametrize(
    ("hello", "transactions"),
    [
        ({"isWritablePrimary": True, "setName": "rs0", "hosts": ["db0:27017"], "ok": 1.0}, True),
        ({"isWritablePrimary": True, "msg": "isdbgrid", "ok": 1.0}, True),
        ({"isWritablePrimary": True, "maxWireVersion": 21, "ok": 1.0}, False),
    ],
    ids=["replica-set", "mongos", "standalone"],
)
def test_transactions_are_detected_from_hello(hello: dict[str, object], transactions: bool) -> None:
    assert transactions_from_hello(hello) is transactions


def test_relay_command_reports_an_unreachable_mongodb_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONGODB_URI", "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    result = CliRunner().invoke(main, ["relay"])
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: mongodb:") and "Traceback" not in result.output


class _OutboxDown(RuntimeError):
    """The outbox write failed after the post was written."""


def _failing_outbox(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*_args: object, **_kwargs: object) -> str:
        raise _OutboxDown("outbox write failed")

    monkeypatch.setattr(store, "add_event", fail)


def test_without_transactions_a_failed_event_write_leaves_the_post(monkeypatch: pytest.MonkeyPatch) -> None:
    """The embedded store's documented limit: the writes run in sequence, so the post stays without its event."""
    store = Store(mongomock.MongoClient(tz_aware=True)["no-tx"], embedded=True)
    _failing_outbox(store, monkeypatch)
    with pytest.raises(_OutboxDown):
        store.create_post("ada", "Orphan", "No event announces me.")
    assert [p["title"] for p in store.list_posts(10, None).items] == ["Orphan"]
    assert store.pending_events() == []


@pytest.mark.mongodb
@pytest.mark.skipif(not os.environ.get("MONGODB_URI"), reason="needs a MongoDB replica set at MONGODB_URI")
def test_on_a_replica_set_a_failed_event_write_rolls_the_post_back(monkeypatch: pytest.MonkeyPatch) -> None:
    name = f"feedchat_tx_{os.getpid()}_{threading.get_ident()}"
    store = Store.connect(os.environ["MONGODB_URI"], name)
    try:
        if not store.transactions:
            pytest.skip("the server at MONGODB_URI is a standalone mongod: no transactions")
        made = store.create_post("ada", "Together", "With my event.")
        [event] = store.pending_events()
        assert event["payload"]["post_id"] == made["id"]
        _failing_outbox(store, monkeypatch)
        with pytest.raises(_OutboxDown):
            store.create_post("ada", "Alone", "Rolled back.")
        assert [p["title"] for p in store.list_posts(10, None).items] == ["Together"]
    finally:
        store.db.client.drop_database(name)
