"""Per-key ordering (REL-110): an author's latest post is the newest one whatever order the events arrive in."""

from __future__ import annotations

import json
import random
import threading
import uuid

import pytest
import redis
from feedchat.reliability.fanout import fan_out, feed_key, latest_post_key
from feedchat.reliability.retry import RetryPolicy
from feedchat.reliability.workers import Event, Worker

from tests.reliability.helpers import follow, wait_until


@pytest.fixture
def client(redis_server) -> redis.Redis:
    """A client of the session's real redis-server."""
    return redis.Redis.from_url(redis_server.url, decode_responses=True, socket_timeout=5)


def _names() -> dict[str, str]:
    run = uuid.uuid4().hex[:8]
    return {"stream": f"test:{run}:events", "group": "fanout", "dead_letters": f"test:{run}:dlq"}


def _publish(client: redis.Redis, stream: str, author: str, posts: list[tuple[str, float]]) -> list[str]:
    """Add a ``post.created`` entry per (post ID, created_ts), in the order given; return the event IDs."""
    ids = []
    for post_id, created_ts in posts:
        event_id = uuid.uuid4().hex
        payload = {"post_id": post_id, "author": author, "created_ts": created_ts}
        client.xadd(stream, {"event_id": event_id, "type": "post.created", "payload": json.dumps(payload)})
        ids.append(event_id)
    return ids


def _apply_in_order(client: redis.Redis, posts: list[tuple[str, float]]) -> tuple[str, Worker]:
    author = f"author-{uuid.uuid4().hex[:6]}"
    follow(client, author, [f"fan-{author}"])
    worker = Worker(client, fan_out, name="w1", block_ms=100, **_names())
    client.xgroup_create(worker.stream, worker.group, id="0", mkstream=True)
    _publish(client, worker.stream, author, posts)
    assert [worker.process(m, f) for m, f in worker.read()] == ["applied"] * len(posts)
    return author, worker


def test_an_older_event_delivered_late_does_not_overwrite_newer_state(client) -> None:
    author, worker = _apply_in_order(client, [("v2", 2.0), ("v1", 1.0)])
    assert client.hgetall(latest_post_key(author)) == {"version": "2.0", "post_id": "v2"}
    assert worker.stale == 1
    assert client.zrange(feed_key(f"fan-{author}"), 0, -1) == ["v1", "v2"], "the late event's other effects apply"


def test_a_newer_event_replaces_older_state(client) -> None:
    author, worker = _apply_in_order(client, [("v1", 1.0), ("v2", 2.0)])
    assert client.hgetall(latest_post_key(author)) == {"version": "2.0", "post_id": "v2"}
    assert worker.stale == 0


def test_an_equal_version_keeps_the_first_applied(client) -> None:
    author, worker = _apply_in_order(client, [("a", 3.0), ("b", 3.0)])
    assert client.hgetall(latest_post_key(author)) == {"version": "3.0", "post_id": "a"}
    assert worker.stale == 1


def test_shuffled_and_retried_events_of_one_author_end_at_the_newest_post(client, invariants) -> None:
    """Three workers, events published out of order, a third of them failing their first attempt."""
    names = _names()
    author = f"author-{uuid.uuid4().hex[:6]}"
    follow(client, author, ["reader"])
    rng = random.Random(11)
    posts = [(f"post-{n}", 1_700_000_000.0 + n * 0.001) for n in range(90)]
    rng.shuffle(posts)
    event_ids = _publish(client, names["stream"], author, posts)
    flaky = set(rng.sample(event_ids, len(event_ids) // 3))
    failed: set[str] = set()
    lock = threading.Lock()

    def handler(r: redis.Redis, event: Event) -> list:
        with lock:
            if event.event_id in flaky and event.event_id not in failed:
                failed.add(event.event_id)
                raise ValueError("first attempt fails")
        return fan_out(r, event)

    policy = RetryPolicy(base=0.005, cap=0.05, max_attempts=5)
    workers = [Worker(client, handler, name=f"w{n}", policy=policy, batch=4, block_ms=50, **names) for n in range(3)]
    stop = threading.Event()
    threads = [threading.Thread(target=w.run, args=(stop,)) for w in workers]
    for thread in threads:
        thread.start()
    try:
        assert wait_until(lambda: sum(w.applied for w in workers) == len(posts), timeout=30)
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)
    newest = max(posts, key=lambda p: p[1])
    assert client.hgetall(latest_post_key(author)) == {"version": repr(newest[1]), "post_id": newest[0]}
    assert client.zcard(feed_key("reader")) == len(posts)
    assert failed == flaky
    stale = sum(w.stale for w in workers)
    assert stale > 0, "some older events did arrive after newer ones"
    invariants(
        published=len(posts), retried=len(failed), stale_skipped=stale, dead_letters=sum(w.dead for w in workers)
    )
