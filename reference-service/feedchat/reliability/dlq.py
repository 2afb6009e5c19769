"""The dead-letter stream: list, show and redrive entries (see the DLQ redrive runbook)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import redis

from feedchat.reliability.streams import DEAD_LETTERS, STREAM

ORIGINAL_FIELDS = ("event_id", "type", "payload", "created_at")
"""The fields of the original stream entry that a redrive publishes again (same ``event_id``)."""


@dataclass(frozen=True)
class DeadLetter:
    """One dead-letter entry: the original message, its last error and its attempt history."""

    id: str
    fields: dict[str, str]

    @property
    def attempts(self) -> list[dict[str, Any]]:
        """Each failed attempt: time, consumer and error."""
        return list(json.loads(self.fields.get("attempts", "[]")))

    def summary(self) -> str:
        """One line: ID, event type and ID, attempts, last error."""
        f = self.fields
        return f"{self.id}  {f.get('type', '?')}  event={f.get('event_id', '?')}  attempts={len(self.attempts)}  {f.get('error', '')}"


class NoSuchDeadLetter(LookupError):
    """The ID names no entry of the dead-letter stream."""


def list_dead(client: redis.Redis, count: int = 100, stream: str = DEAD_LETTERS) -> list[DeadLetter]:
    """The oldest ``count`` dead letters."""
    return [DeadLetter(i, f) for i, f in client.xrange(stream, count=count)]


def show(client: redis.Redis, entry_id: str, stream: str = DEAD_LETTERS) -> DeadLetter:
    """One dead letter, or :class:`NoSuchDeadLetter`."""
    try:
        found = client.xrange(stream, entry_id, entry_id)
    except redis.ResponseError as exc:
        raise NoSuchDeadLetter(f"not a stream entry ID: {entry_id}") from exc
    if not found:
        raise NoSuchDeadLetter(f"no dead letter {entry_id}")
    return DeadLetter(*found[0])


def redrive(
    client: redis.Redis, entry_ids: list[str] | None = None, *, stream: str = DEAD_LETTERS, target: str = STREAM
) -> list[str]:
    """Publish dead letters again on ``target`` with their original ``event_id`` and delete them; all when no IDs.

    Each move is one MULTI: the new entry and the deletion happen together. Returns the new entry IDs.
    """
    letters = [show(client, i, stream) for i in entry_ids] if entry_ids else list_dead(client, 10_000, stream)
    moved: list[str] = []
    for letter in letters:
        original = {k: letter.fields[k] for k in ORIGINAL_FIELDS if k in letter.fields}
        pipe = client.pipeline(transaction=True)
        pipe.xadd(target, {**original, "redriven_from": letter.id})
        pipe.xdel(stream, letter.id)
        new_id, _ = pipe.execute()
        moved.append(str(new_id))
    return moved
