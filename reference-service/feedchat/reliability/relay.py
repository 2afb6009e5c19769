"""The relay: publishes outbox events to the Redis stream, oldest first, at least once.

One pass reads a batch of unpublished events, sends their ``XADD`` commands in one pipelined round
trip, and marks the batch published in one write once Redis replied to all of them. If the relay dies
(or Redis's reply is lost) in between, the batch is published again on the next pass; consumers dedupe
by ``event_id``.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any, Protocol

import redis

from feedchat.reliability.retry import RetryPolicy, is_retryable, wait
from feedchat.reliability.streams import STREAM

log = logging.getLogger("feedchat.reliability")


class OutboxSource(Protocol):
    """What the relay needs from an outbox."""

    def pending(self, limit: int = 100) -> list[dict[str, Any]]: ...  # pragma: no cover - protocol

    def mark_published_many(self, event_ids: list[str]) -> int: ...  # pragma: no cover - protocol


def stream_fields(event: dict[str, Any]) -> dict[str, str]:
    """The stream entry of an outbox event: ``event_id``, ``type`` (the topic), ``payload`` (JSON), ``created_at``."""
    created = event.get("created_at")
    return {
        "event_id": str(event["id"]),
        "type": str(event["topic"]),
        "payload": json.dumps(event["payload"], sort_keys=True, default=str),
        "created_at": created.isoformat() if created is not None else "",
    }


class Relay:
    """Moves outbox events to ``stream``; survives Redis restarts by retrying with backoff."""

    def __init__(
        self,
        outbox: OutboxSource,
        client: redis.Redis,
        *,
        stream: str = STREAM,
        policy: RetryPolicy | None = None,
        batch: int = 100,
    ) -> None:
        self.outbox = outbox
        self.client = client
        self.stream = stream
        self.policy = policy or RetryPolicy(base=0.05, cap=2.0, max_attempts=0)
        self.batch = batch
        self.published = 0

    def pump(self) -> int:
        """Publish one batch of pending events (``XADD`` pipelined, in outbox order); return how many."""
        events = self.outbox.pending(self.batch)
        if not events:
            return 0
        pipe = self.client.pipeline(transaction=False)
        for event in events:
            pipe.xadd(self.stream, stream_fields(event))
        pipe.execute()  # raises on the first failed command: nothing is marked, the batch is sent again
        self.outbox.mark_published_many([str(event["id"]) for event in events])
        self.published += len(events)
        return len(events)

    def drain(self) -> int:
        """Pump until the outbox has no unpublished events; return how many were published."""
        total = 0
        while moved := self.pump():
            total += moved
        return total

    def run(self, stop: threading.Event, idle_seconds: float = 0.1) -> None:
        """Pump until ``stop`` is set; transient failures back off (full jitter, capped) and try again."""
        failures = 0
        while not stop.is_set():
            try:
                moved = self.pump()
            except Exception as exc:
                if not is_retryable(exc):
                    raise
                failures += 1
                log.warning("relay: %s; retrying (failure %d)", exc, failures)
                wait(self.policy.delay(failures), stop)
                continue
            failures = 0
            if moved == 0:
                wait(idle_seconds, stop)
