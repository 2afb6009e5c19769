"""The retry budget (REL-105): its arithmetic, and the worker's in-place retries spending from it."""

from __future__ import annotations

import json
import logging
import random
import threading
import uuid

import pytest
import redis
from feedchat.reliability import dlq
from feedchat.reliability.retry import RetryBudget, RetryPolicy
from feedchat.reliability.workers import Command, Event, Worker


def test_the_bucket_starts_full_and_caps_at_burst() -> None:
    budget = RetryBudget(ratio=0.5, burst=2)
    assert budget.tokens == 2
    for _ in range(10):
        budget.success()
    assert budget.tokens == 2
    assert [budget.try_spend() for _ in range(3)] == [True, True, False]
    assert (budget.granted, budget.denied) == (2, 1)


def test_ten_successes_at_a_tenth_earn_exactly_one_retry() -> None:
    assert sum([0.1] * 10) < 1, "why the bucket does not add floats"
    budget = RetryBudget(ratio=0.1, burst=1)
    assert budget.try_spend() and not budget.try_spend()
    for _ in range(9):
        budget.success()
    assert not budget.try_spend()
    budget.success()
    assert budget.try_spend()
    assert budget.tokens == 0


def test_retries_stay_within_ratio_times_successes_plus_burst() -> None:
    rng = random.Random(3)
    budget = RetryBudget(ratio=0.1, burst=10)
    successes = 0
    for _ in range(20_000):
        if rng.random() < 0.5:
            budget.success()
            successes += 1
        else:
            budget.try_spend()
    assert budget.granted <= 0.1 * successes + 10
    assert budget.granted >= 0.1 * successes, "while retries are wanted, every earned token is spent"


def test_a_shared_budget_grants_each_token_once_across_threads() -> None:
    budget = RetryBudget(ratio=0.0, burst=50)
    grants: list[bool] = []
    lock = threading.Lock()

    def spend() -> None:
        mine = [budget.try_spend() for _ in range(100)]
        with lock:
            grants.extend(mine)

    threads = [threading.Thread(target=spend) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert grants.count(True) == 50 and budget.denied == 750


def test_negative_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        RetryBudget(ratio=-0.1)


class Poisoned:
    """A handler that fails ``post.promoted`` events and counts its calls per event."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}

    def __call__(self, client: redis.Redis, event: Event) -> list[Command]:
        self.calls[event.event_id] = self.calls.get(event.event_id, 0) + 1
        if event.type == "post.promoted":
            raise ValueError("no handler for post.promoted")
        return [("RPUSH", f"{event.fields['list']}", event.event_id)]


def _worker(client: redis.Redis, handler: Poisoned, budget: RetryBudget) -> Worker:
    run = uuid.uuid4().hex[:8]
    worker = Worker(
        client,
        handler,
        name="w1",
        stream=f"test:{run}:events",
        dead_letters=f"test:{run}:dlq",
        policy=RetryPolicy(base=0.0005, cap=0.001, max_attempts=5),
        budget=budget,
        reclaim_idle_ms=0,
        batch=100,
        block_ms=50,
    )
    client.xgroup_create(worker.stream, worker.group, id="0", mkstream=True)
    return worker


def _add(worker: Worker, event_type: str, count: int) -> list[str]:
    ids = [uuid.uuid4().hex for _ in range(count)]
    for event_id in ids:
        fields = {"event_id": event_id, "type": event_type, "payload": "{}", "list": f"{worker.stream}:out"}
        worker.client.xadd(worker.stream, fields)
    return ids


def test_an_empty_budget_leaves_failures_pending_instead_of_retrying_in_place(redis_server, caplog, invariants) -> None:
    client = redis.Redis.from_url(redis_server.url, decode_responses=True, socket_timeout=5)
    handler = Poisoned()
    worker = _worker(client, handler, RetryBudget(ratio=0.1, burst=3))
    poison = _add(worker, "post.promoted", 20)
    with caplog.at_level(logging.WARNING, logger="feedchat.reliability"):
        outcomes = [worker.process(m, f) for m, f in worker.read()]
    first_pass = sum(handler.calls.values())
    assert outcomes == ["deferred"] * 20
    assert [handler.calls[e] for e in poison] == [4] + [1] * 19, "three tokens: three in-place retries in all"
    assert worker.budget_exhausted == 20 and worker.budget.denied == 20
    assert "retry budget exhausted (20 times)" in caplog.text
    assert client.xpending(worker.stream, worker.group)["pending"] == 20
    assert worker.dead == 0, "an empty budget does not dead-letter early"

    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,))
    thread.start()
    try:
        for _ in range(200):
            if worker.dead == 20:
                break
            stop.wait(0.05)
    finally:
        stop.set()
        thread.join(10)
    letters = dlq.list_dead(client, stream=worker.dead_letters)
    assert sorted(letter.fields["event_id"] for letter in letters) == sorted(poison)
    assert all(len(letter.attempts) == 5 for letter in letters), "reclaims still count every attempt"
    assert sum(handler.calls.values()) == 100
    invariants(
        messages=20,
        first_pass_calls=first_pass,
        total_calls=sum(handler.calls.values()),
        exhausted=worker.budget_exhausted,
    )


def test_successes_refill_the_budget(redis_server) -> None:
    client = redis.Redis.from_url(redis_server.url, decode_responses=True, socket_timeout=5)
    handler = Poisoned()
    worker = _worker(client, handler, RetryBudget(ratio=0.1, burst=2))
    first = _add(worker, "post.promoted", 1)
    good = _add(worker, "post.created", 20)
    later = _add(worker, "post.promoted", 2)
    entries = worker.read()
    outcomes = [worker.process(m, f) for m, f in entries]
    assert outcomes == ["deferred"] + ["applied"] * 20 + ["deferred"] * 2
    assert [handler.calls[e] for e in first + later] == [3, 3, 1], "20 successes at a tenth earned two retries"
    assert client.lrange(f"{worker.stream}:out", 0, -1) == good
    failed = [m for m, f in entries if f["type"] == "post.promoted"]
    histories = [[json.loads(a) for a in client.lrange(worker.attempts_key(m), 0, -1)] for m in failed]
    assert [len(h) for h in histories] == [3, 3, 1]
    assert all(a["error"] == "ValueError: no handler for post.promoted" for h in histories for a in h)
