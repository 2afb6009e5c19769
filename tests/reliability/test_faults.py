"""Fault injection on real Redis: SIGKILLed workers and a Redis restart lose and duplicate nothing."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time

import redis
from feedchat.reliability.fanout import fan_out
from feedchat.reliability.relay import Relay
from feedchat.reliability.retry import RetryPolicy
from feedchat.reliability.streams import DEAD_LETTERS, GROUP, STREAM
from feedchat.reliability.workers import Worker

from tests.reliability.helpers import add_posts, follow, notified, outbox, wait_until

FOLLOWERS = ["ana", "ben", "cy"]


def _spawn(url: str, name: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "REDIS_URL": url, "FEEDCHAT_RECLAIM_IDLE_MS": "300", "FEEDCHAT_MAX_ATTEMPTS": "5"}
    return subprocess.Popen(
        [sys.executable, "-m", "feedchat.reliability", "worker", "--name", name],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )


def test_sigkilled_workers_lose_and_duplicate_nothing(own_redis_server, invariants) -> None:
    client = redis.Redis.from_url(own_redis_server.url, decode_responses=True, socket_timeout=5)
    follow(client, "writer", FOLLOWERS)
    box = outbox()
    relay = Relay(box, client, batch=10)
    events: list[str] = []
    workers = {f"w{n}": _spawn(own_redis_server.url, f"w{n}") for n in range(3)}
    rng = random.Random(7)
    kills = 0
    try:
        for round_ in range(12):
            events += add_posts(box, "writer", 25, start=round_ * 25)
            relay.drain()
            time.sleep(rng.uniform(0.05, 0.3))
            name = rng.choice(sorted(workers))
            workers[name].send_signal(signal.SIGKILL)
            workers[name].wait(10)
            kills += 1
            workers[name] = _spawn(own_redis_server.url, name)
        relay.drain()
        expected = len(events) * len(FOLLOWERS)

        def settled() -> bool:
            return (
                sum(notified(client, FOLLOWERS).values()) >= expected and client.xpending(STREAM, GROUP)["pending"] == 0
            )

        assert wait_until(settled, timeout=60, interval=0.2), "the workers did not drain the stream in 60 s"
        # A signal that arrives while Python is still starting ends the process before any handler exists
        # (harmless: it holds no message yet); the clean-shutdown promise starts once the worker says so.
        assert workers["w0"].stdout is not None
        assert workers["w0"].stdout.readline().startswith(b"worker w0 started"), "w0 did not start"
        workers["w0"].send_signal(signal.SIGTERM)
        out, _ = workers["w0"].communicate(timeout=15)
        assert workers["w0"].returncode == 0 and b"stopped" in out, "SIGTERM is a clean shutdown"
    finally:
        for process in workers.values():
            if process.poll() is None:
                process.kill()
                process.wait(10)
    seen = notified(client, FOLLOWERS)
    dead = client.xlen(DEAD_LETTERS)
    applied = {event for _, event in seen}
    duplicates = sum(n - 1 for n in seen.values())
    lost = len(set(events) - applied) - dead
    invariants(
        published=len(events),
        kills=kills,
        effects=sum(seen.values()),
        duplicates=duplicates,
        dead_letters=dead,
        lost=lost,
    )
    assert duplicates == 0
    assert dead == 0
    assert lost == 0
    assert len(seen) == len(events) * len(FOLLOWERS)


def test_redis_restart_mid_flow(own_redis_server, invariants) -> None:
    client = redis.Redis.from_url(own_redis_server.url, decode_responses=True, socket_timeout=2)
    follow(client, "writer", FOLLOWERS)
    box = outbox()
    events = add_posts(box, "writer", 100)
    stop = threading.Event()
    relay = Relay(box, client, batch=5)
    policy = RetryPolicy(base=0.05, cap=0.5, max_attempts=5)
    workers = [
        Worker(client, fan_out, name=f"w{n}", policy=policy, block_ms=200, reclaim_idle_ms=500) for n in range(2)
    ]
    threads = [threading.Thread(target=relay.run, args=(stop,))]
    threads += [threading.Thread(target=w.run, args=(stop,)) for w in workers]
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.3)
        own_redis_server.stop()
        events += add_posts(box, "writer", 100, start=100)  # written while Redis is down
        time.sleep(1.0)
        own_redis_server.start()
        events += add_posts(box, "writer", 100, start=200)
        expected = len(events) * len(FOLLOWERS)
        assert wait_until(lambda: sum(notified(client, FOLLOWERS).values()) >= expected, timeout=60, interval=0.2)
        assert wait_until(lambda: client.xpending(STREAM, GROUP)["pending"] == 0, timeout=10)
    finally:
        stop.set()
        for thread in threads:
            thread.join(15)
    seen = notified(client, FOLLOWERS)
    applied = {event for _, event in seen}
    invariants(
        published=len(events),
        relay_published=relay.published,
        effects=sum(seen.values()),
        duplicates=sum(n - 1 for n in seen.values()),
        dead_letters=client.xlen(DEAD_LETTERS),
        lost=len(set(events) - applied),
    )
    assert max(seen.values()) == 1
    assert applied == set(events)
    assert client.xlen(DEAD_LETTERS) == 0
    assert not any(t.is_alive() for t in threads)
