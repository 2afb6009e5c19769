"""Poison messages: dead-lettered after exactly N attempts with their history; redrive after a fix applies them once."""

from __future__ import annotations

import threading
import uuid

import redis
from feedchat.reliability import dlq
from feedchat.reliability.fanout import fan_out
from feedchat.reliability.relay import Relay
from feedchat.reliability.retry import RetryPolicy
from feedchat.reliability.workers import Command, Event, Worker

from tests.reliability.helpers import add_posts, follow, notified, outbox, wait_until

MAX_ATTEMPTS = 3


def _names() -> dict[str, str]:
    run = uuid.uuid4().hex[:8]
    return {"stream": f"test:{run}:events", "group": "fanout", "dead_letters": f"test:{run}:dlq"}


def _fixed(client: redis.Redis, event: Event) -> list[Command]:
    """The fix: promoted posts fan out like created ones."""
    if event.type == "post.promoted":
        event = Event(event.message_id, event.event_id, "post.created", event.payload, event.fields)
    return fan_out(client, event)


def test_poison_messages_go_to_the_dlq_and_redrive_once(redis_server, invariants) -> None:
    client = redis.Redis.from_url(redis_server.url, decode_responses=True, socket_timeout=5)
    names = _names()
    author = f"poison-author-{uuid.uuid4().hex[:6]}"
    followers = ["f1", "f2"]
    follow(client, author, followers)
    box = outbox()
    good = add_posts(box, author, 40)
    poison = add_posts(box, author, 5, event_type="post.promoted", start=100)
    Relay(box, client, stream=names["stream"]).pump()

    policy = RetryPolicy(base=0.001, cap=0.01, max_attempts=MAX_ATTEMPTS)
    worker = Worker(client, fan_out, name="w1", policy=policy, block_ms=100, **names)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,))
    thread.start()
    try:
        assert wait_until(lambda: worker.applied + worker.dead == len(good) + len(poison), timeout=30)
    finally:
        stop.set()
        thread.join(10)

    letters = dlq.list_dead(client, stream=names["dead_letters"])
    assert sorted(letter.fields["event_id"] for letter in letters) == sorted(poison)
    for letter in letters:
        assert len(letter.attempts) == MAX_ATTEMPTS
        assert all("UnknownEvent: no handler for event type 'post.promoted'" in a["error"] for a in letter.attempts)
        assert letter.fields["payload"] and letter.fields["source_id"]
    seen = notified(client, followers)
    assert {e for _, e in seen} == set(good), "the good messages flowed past the poison ones"
    assert max(seen.values()) == 1
    assert client.xpending(names["stream"], names["group"])["pending"] == 0

    moved = dlq.redrive(client, stream=names["dead_letters"], target=names["stream"])
    assert len(moved) == len(poison)
    assert dlq.list_dead(client, stream=names["dead_letters"]) == []
    client.xadd(names["stream"], client.xrange(names["stream"], moved[0], moved[0])[0][1])  # a double redrive
    fixed = Worker(client, _fixed, name="w2", policy=policy, block_ms=100, **names)
    stop = threading.Event()
    thread = threading.Thread(target=fixed.run, args=(stop,))
    thread.start()
    try:
        assert wait_until(lambda: fixed.applied + fixed.duplicates == len(poison) + 1, timeout=30)
    finally:
        stop.set()
        thread.join(10)
    seen = notified(client, followers)
    assert {e for _, e in seen} == set(good) | set(poison)
    assert max(seen.values()) == 1
    assert fixed.duplicates == 1
    invariants(
        published=len(good) + len(poison),
        effects=len(seen),
        duplicates=sum(n - 1 for n in seen.values()),
        dead_letters=len(letters),
        redriven=len(moved),
        lost=len(set(good) | set(poison)) - len({e for _, e in seen}),
    )


def test_dead_letter_show_rejects_unknown_ids(redis_server) -> None:
    client = redis.Redis.from_url(redis_server.url, decode_responses=True, socket_timeout=5)
    names = _names()
    for bad in ("0-1", "not-an-id"):
        try:
            dlq.show(client, bad, stream=names["dead_letters"])
        except dlq.NoSuchDeadLetter:
            continue
        raise AssertionError(f"{bad} was accepted")
