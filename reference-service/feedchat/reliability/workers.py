"""Consumer-group workers: idempotent handlers, retries with backoff, dead letters and pending-entry reclaim.

A handler turns an event into Redis commands (its *effects*). One Lua script then records the dedupe
key ``SET NX EX ttl``, runs the effects only if the key was new, clears the attempt history and
``XACK``s the message — atomically, so an effect is never applied twice and a message is never
acknowledged before its effect is stored. Effects may name keys that are not declared in ``KEYS``:
fine on one Redis server, not on Redis Cluster.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import redis

from feedchat.reliability.retry import RetryPolicy, is_retryable, wait
from feedchat.reliability.streams import DEAD_LETTERS, GROUP, STREAM, ensure_group

log = logging.getLogger("feedchat.reliability")

Command = Sequence[str | int | float]
"""One Redis command of an effect, e.g. ``("ZADD", "feed:bob", 17.5, "post-1")``."""


@dataclass(frozen=True)
class Event:
    """A decoded stream entry."""

    message_id: str
    event_id: str
    type: str
    payload: dict[str, Any]
    fields: dict[str, str]


Handler = Callable[[redis.Redis, Event], list[Command]]
"""Computes an event's effects (it may read Redis, it must not write)."""

COMMIT = """
local unpack = unpack or table.unpack
local fresh = redis.call('SET', KEYS[1], ARGV[3], 'NX', 'EX', ARGV[1])
if fresh then
  local i = 4
  while i <= #ARGV do
    local n = tonumber(ARGV[i])
    local command = {}
    for j = 1, n do command[j] = ARGV[i + j] end
    redis.call(unpack(command))
    i = i + n + 1
  end
end
redis.call('DEL', KEYS[3])
redis.call('XACK', KEYS[2], ARGV[2], ARGV[3])
if fresh then return 1 end
return 0
"""
"""KEYS: dedupe key, stream, attempts key. ARGV: ttl, group, message ID, then each effect as (argc, args…)."""


def decode(message_id: str, fields: dict[str, str]) -> Event:
    """The event in a stream entry; ``ValueError`` when the entry is malformed (a poison message)."""
    try:
        payload = json.loads(fields["payload"])
        if not isinstance(payload, dict):
            raise ValueError("payload is not a JSON object")
        return Event(message_id, fields["event_id"], fields["type"], payload, dict(fields))
    except (KeyError, json.JSONDecodeError) as exc:
        raise ValueError(f"malformed stream entry: {exc!r}") from exc


class Worker:
    """One consumer of ``group`` on ``stream``; ``run(stop)`` until stopped."""

    def __init__(
        self,
        client: redis.Redis,
        handler: Handler,
        *,
        name: str,
        stream: str = STREAM,
        group: str = GROUP,
        dead_letters: str = DEAD_LETTERS,
        policy: RetryPolicy | None = None,
        reclaim_idle_ms: int = 30_000,
        dedupe_ttl_seconds: int = 7 * 24 * 3600,
        batch: int = 32,
        block_ms: int = 1000,
    ) -> None:
        self.client = client
        self.handler = handler
        self.name = name
        self.stream = stream
        self.group = group
        self.dead_letters = dead_letters
        self.policy = policy or RetryPolicy()
        self.reclaim_idle_ms = reclaim_idle_ms
        self.dedupe_ttl_seconds = dedupe_ttl_seconds
        self.batch = batch
        self.block_ms = block_ms
        self._commit = client.register_script(COMMIT)
        self._claim_cursor = "0-0"
        self.applied = 0
        self.duplicates = 0
        self.dead = 0

    def dedupe_key(self, event_id: str) -> str:
        """Where the group remembers that ``event_id`` took effect (expires after the dedupe TTL)."""
        return f"{self.stream}:{self.group}:done:{event_id}"

    def attempts_key(self, message_id: str) -> str:
        """The failed attempts of one stream entry, as JSON records (shared by all consumers)."""
        return f"{self.stream}:{self.group}:attempts:{message_id}"

    # -- loop -----------------------------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Reclaim stale pending entries, read new ones, process them; stop reading once ``stop`` is set."""
        failures = 0
        while not stop.is_set():
            try:
                ensure_group(self.client, self.stream, self.group)
                entries = self.reclaim() or self.read()
                for message_id, fields in entries:
                    if stop.is_set():
                        break  # the rest stays pending and is reclaimed by a live consumer
                    self.process(message_id, fields, stop)
                failures = 0
            except Exception as exc:
                if not is_retryable(exc):
                    raise
                failures += 1
                log.warning("worker %s: %s; retrying (failure %d)", self.name, exc, failures)
                wait(self.policy.delay(failures), stop)

    def reclaim(self) -> list[tuple[str, dict[str, str]]]:
        """Claim entries another consumer left pending longer than ``reclaim_idle_ms`` (``XAUTOCLAIM``)."""
        cursor, claimed, *_ = self.client.xautoclaim(
            self.stream, self.group, self.name, self.reclaim_idle_ms, self._claim_cursor, count=self.batch
        )
        self._claim_cursor = cursor
        return [(message_id, fields) for message_id, fields in claimed if fields]

    def read(self) -> list[tuple[str, dict[str, str]]]:
        """New entries for this consumer, waiting at most ``block_ms``."""
        reply = self.client.xreadgroup(self.group, self.name, {self.stream: ">"}, count=self.batch, block=self.block_ms)
        return [entry for _stream, entries in reply or [] for entry in entries]

    # -- one message ----------------------------------------------------------------------------------------

    def process(self, message_id: str, fields: dict[str, str], stop: threading.Event | None = None) -> str:
        """Apply one entry: ``"applied"``, ``"duplicate"``, ``"dead"`` or ``"left"`` (pending, on shutdown)."""
        attempts = self.client.llen(self.attempts_key(message_id))
        while True:
            if attempts >= self.policy.max_attempts:
                self.dead_letter(message_id, fields)
                return "dead"
            try:
                event = decode(message_id, fields)
                effects = self.handler(self.client, event)
                fresh = self.commit(event, effects)
            except Exception as exc:
                if is_retryable(exc):
                    raise  # infrastructure trouble: the entry stays pending; not the message's fault
                attempts = self.record_failure(message_id, exc)
                log.warning("worker %s: %s failed (attempt %d): %s", self.name, message_id, attempts, exc)
                if attempts >= self.policy.max_attempts:
                    continue
                if not wait(self.policy.delay(attempts), stop):
                    return "left"
                continue
            if fresh:
                self.applied += 1
                return "applied"
            self.duplicates += 1
            return "duplicate"

    def commit(self, event: Event, effects: list[Command]) -> bool:
        """Dedupe key, effects, attempt cleanup and ``XACK`` in one script; False when already applied."""
        args: list[str | int | float] = [self.dedupe_ttl_seconds, self.group, event.message_id]
        for command in effects:
            args.append(len(command))
            args.extend(command)
        keys = [self.dedupe_key(event.event_id), self.stream, self.attempts_key(event.message_id)]
        return bool(self._commit(keys=keys, args=args))

    def record_failure(self, message_id: str, exc: BaseException) -> int:
        """Append the failure to the entry's attempt history; return the number of failed attempts."""
        record = json.dumps({"at": time.time(), "consumer": self.name, "error": f"{type(exc).__name__}: {exc}"})
        key = self.attempts_key(message_id)
        pipe = self.client.pipeline(transaction=True)
        pipe.rpush(key, record)
        pipe.expire(key, self.dedupe_ttl_seconds)
        count, _ = pipe.execute()
        return int(count)

    def dead_letter(self, message_id: str, fields: dict[str, str]) -> None:
        """Move the entry to the dead-letter stream with its attempt history, and ``XACK`` it, atomically."""
        key = self.attempts_key(message_id)
        history = [json.loads(item) for item in self.client.lrange(key, 0, -1)]
        last_error = history[-1]["error"] if history else ""
        entry = {
            **fields,
            "source_stream": self.stream,
            "source_id": message_id,
            "group": self.group,
            "attempts": json.dumps(history),
            "error": last_error,
            "dead_at": str(time.time()),
        }
        pipe = self.client.pipeline(transaction=True)
        pipe.xadd(self.dead_letters, entry)
        pipe.xack(self.stream, self.group, message_id)
        pipe.delete(key)
        pipe.execute()
        self.dead += 1
        log.error("worker %s: %s dead-lettered after %d attempts: %s", self.name, message_id, len(history), last_error)
