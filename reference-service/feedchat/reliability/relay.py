"""The relay: publishes outbox events to the Redis stream, oldest first, at least once.

One pass reads a batch of unpublished events, sends their ``XADD`` commands in one pipelined round
trip, and marks the batch published in one write once Redis replied to all of them. If the relay dies
(or Redis's reply is lost) in between, the batch is published again on the next pass; consumers dedupe
by ``event_id``.

Given a retention, the relay also trims the stream every ``trim_every`` seconds
(:func:`~feedchat.reliability.streams.trim_acknowledged`): entries every group has acknowledged and that
are older than the retention go; pending and undelivered entries stay. The dead-letter stream is not trimmed.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any, Protocol

import redis

from feedchat.reliability.retry import RetryPolicy, is_retryable, wait
from feedchat.reliability.streams import STREAM, trim_acknowledged

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
    """Moves outbox events to ``stream``; survives Redis restarts by retrying with backoff.

    With ``retention_ms``, :meth:`run` also trims acknowledged entries older than that every ``trim_every`` seconds.
    """

    def __init__(
        self,
        outbox: OutboxSource,
        client: redis.Redis,
        *,
        stream: str = STREAM,
        policy: RetryPolicy | None = None,
        batch: int = 100,
        retention_ms: int | None = None,
        trim_every: float = 60.0,
    ) -> None:
        self.outbox = outbox
        self.client = client
        self.stream = stream
        self.policy = policy or RetryPolicy(base=0.05, cap=2.0, max_attempts=0)
        self.batch = batch
        self.retention_ms = retention_ms
        self.trim_every = trim_every
        self.published = 0
        self.trimmed = 0

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

    def trim(self) -> int:
        """Trim acknowledged entries of ``stream`` older than ``retention_ms`` (none without a retention)."""
        if self.retention_ms is None:
            return 0
        gone = trim_acknowledged(self.client, self.stream, self.retention_ms)
        self.trimmed += gone
        if gone:
            log.info("relay: trimmed %d acknowledged entries of %s", gone, self.stream)
        return gone

    def _trim_quietly(self) -> None:
        """:meth:`trim`, where a refused command (e.g. a Redis without ``XTRIM MINID``) is logged, not fatal."""
        try:
            self.trim()
        except redis.ResponseError as exc:
            log.error("relay: trimming %s failed: %s", self.stream, exc)

    def run(self, stop: threading.Event, idle_seconds: float = 0.1) -> None:
        """Pump until ``stop`` is set; transient failures back off (full jitter, capped) and try again.

        Trimming (with a retention) runs first and then every ``trim_every`` seconds; its failures never
        stop the publishing.
        """
        failures = 0
        next_trim = time.monotonic()
        while not stop.is_set():
            try:
                if self.retention_ms is not None and time.monotonic() >= next_trim:
                    next_trim = time.monotonic() + self.trim_every
                    self._trim_quietly()
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
