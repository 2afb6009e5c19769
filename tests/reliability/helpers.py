"""Shared pieces of the pipeline tests: an outbox with posts, and counting effects in Redis."""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any

import mongomock
import redis
from feedchat.reliability.fanout import followers_key, notifications_key
from feedchat.reliability.outbox import Outbox
from feedchat.storage import Store


def outbox() -> Outbox:
    """The outbox of a store on a fresh embedded mongomock database."""
    return Outbox(Store(mongomock.MongoClient(tz_aware=True)["feedchat"], embedded=True))


def add_posts(box: Outbox, author: str, count: int, *, event_type: str = "post.created", start: int = 0) -> list[str]:
    """Append ``count`` post events by ``author``; return their event IDs."""
    return [
        box.add(event_type, {"post_id": f"{author}-{n}", "author": author, "created_ts": float(n)})
        for n in range(start, start + count)
    ]


def follow(client: redis.Redis, author: str, followers: list[str]) -> None:
    """Make ``followers`` follow ``author``."""
    client.sadd(followers_key(author), *followers)


def notified(client: redis.Redis, followers: list[str]) -> Counter[tuple[str, str]]:
    """How often each (follower, event ID) notification was written."""
    seen: Counter[tuple[str, str]] = Counter()
    for follower in followers:
        for raw in client.lrange(notifications_key(follower), 0, -1):
            seen[(follower, json.loads(raw)["event_id"])] += 1
    return seen


def wait_until(check: Any, timeout: float, interval: float = 0.05) -> bool:
    """Poll ``check()`` until it is truthy or ``timeout`` seconds passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return bool(check())
