"""The transactional outbox: events written in the same MongoDB transaction as the state change they announce.

On a MongoDB replica set the post and its event are written in one multi-document transaction. The
embedded mongomock store has no transactions: there the event is written right after the post, in the
same request; a crash between the two writes loses the event. The relay does not care which way an
event arrived — it publishes whatever is unpublished, oldest first.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import mongomock
from bson import ObjectId
from pymongo import ASCENDING
from pymongo.client_session import ClientSession
from pymongo.collection import Collection
from pymongo.database import Database

PUBLISHED_TTL_SECONDS = 7 * 24 * 3600
"""Published events are deleted by a TTL index this long after publication."""

T = TypeVar("T")


def supports_transactions(db: Database[Any]) -> bool:
    """False for the embedded mongomock store, True for a MongoDB server (a replica set is assumed)."""
    return not isinstance(db.client, mongomock.MongoClient)


def in_transaction(db: Database[Any], work: Callable[[ClientSession | None], T]) -> T:
    """Run ``work(session)`` in one transaction; on mongomock run it with ``session=None`` (no atomicity)."""
    if not supports_transactions(db):
        return work(None)
    with db.client.start_session() as session:
        return session.with_transaction(lambda s: work(s))


class Outbox:
    """The ``outbox`` collection: ``{_id, type, payload, created_at, published_at}``; IDs grow with time."""

    def __init__(self, db: Database[Any], name: str = "outbox") -> None:
        self.collection: Collection[Any] = db[name]
        self.collection.create_index([("published_at", ASCENDING), ("_id", ASCENDING)], name="unpublished")
        self.collection.create_index(
            [("published_at", ASCENDING)], name="published_ttl", expireAfterSeconds=PUBLISHED_TTL_SECONDS
        )

    def add(self, event_type: str, payload: dict[str, Any], session: ClientSession | None = None) -> str:
        """Append an unpublished event (inside ``session``'s transaction when given) and return its ID."""
        event_id = str(ObjectId())
        doc = {"_id": event_id, "type": event_type, "payload": payload, "created_at": datetime.now(UTC)}
        self.collection.insert_one({**doc, "published_at": None}, session=session)
        return event_id

    def pending(self, limit: int = 100) -> list[dict[str, Any]]:
        """The oldest unpublished events, oldest first."""
        cursor = self.collection.find({"published_at": None}).sort([("published_at", ASCENDING), ("_id", ASCENDING)])
        return list(cursor.limit(limit))

    def mark_published(self, event_id: str) -> bool:
        """Mark one event published; False when it already was."""
        result = self.collection.update_one(
            {"_id": event_id, "published_at": None}, {"$set": {"published_at": datetime.now(UTC)}}
        )
        return result.modified_count == 1
