"""The transactional outbox, as the relay sees it: the ``outbox`` collection of a :class:`~feedchat.storage.Store`.

Events are written by the repository in the same call as the state change they announce
(:meth:`Store.create_post <feedchat.storage.Store.create_post>` writes the post and its ``post.created``
event in one MongoDB transaction on a replica set; the embedded mongomock store has no transactions and
writes them one after the other). The relay does not care which way an event arrived: it publishes
whatever is unpublished, oldest first, and marks it published only after ``XADD`` returned.
Published events expire a week later (the ``published_expiry`` TTL index in :mod:`feedchat.schema`).
"""

from __future__ import annotations

from typing import Any

from feedchat.storage import Store


class Outbox:
    """Pending events and publication marks of ``store``'s outbox; events are ``{id, topic, payload, created_at}``."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, topic: str, payload: dict[str, Any]) -> str:
        """Append an unpublished event on its own (no state change with it) and return its ID."""
        return self.store.add_event(topic, payload)

    def pending(self, limit: int = 100) -> list[dict[str, Any]]:
        """The oldest unpublished events, oldest first."""
        return self.store.pending_events(limit)

    def mark_published(self, event_id: str) -> bool:
        """Mark one event published; ``False`` when it already was."""
        return self.store.mark_published(event_id)

    def mark_published_many(self, event_ids: list[str]) -> int:
        """Mark a batch published in one write; how many were not published before."""
        return self.store.mark_published_many(event_ids)

    def backlog(self) -> dict[str, int]:
        """Unpublished events per topic."""
        return self.store.outbox_backlog()
