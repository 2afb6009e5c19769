"""The relay: publishes outbox events to the Redis stream, oldest first, at least once.

An event is marked published only after ``XADD`` returned. If the relay dies (or Redis's reply is
lost) between the two, the event is published again on the next pass; consumers dedupe by ``event_id``.
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

    def mark_published(self, event_id: str) -> bool: ...  # pragma: no cover - protocol


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
        """Publish one batch of pending events; return how many were published."""
        count = 0
        for event in self.outbox.pending(self.batch):
            self.client.xadd(self.stream, stream_fields(event))
            self.outbox.mark_published(str(event["id"]))
            count += 1
        self.published += count
        return count

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
