"""The repository layer: the only module that talks to the database.

With ``MONGODB_URI`` set it uses pymongo against that server. Without it, it uses the
embedded mongomock store: data is in memory and gone when the process exits.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import mongomock
import pymongo
from bson import ObjectId
from pymongo import ASCENDING, DESCENDING
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

log = logging.getLogger("feedchat")

EMBEDDED_NOTICE = "embedded mongomock store, data is in memory"
MAX_CURSOR_LENGTH = 512


class InvalidCursor(ValueError):
    """A ``cursor`` parameter that this service did not issue."""


class DuplicateName(ValueError):
    """A unique name is already taken."""


@dataclass(frozen=True)
class Page:
    """One page of a list: the items and the cursor of the next page (``None`` on the last)."""

    items: list[dict[str, Any]]
    next_cursor: str | None


@dataclass(frozen=True)
class StoredResponse:
    """A create response kept for an ``Idempotency-Key``."""

    fingerprint: str
    status: int
    body: dict[str, Any]
    location: str


def now() -> datetime:
    """The current UTC time at millisecond precision, as BSON stores it."""
    stamp = datetime.now(UTC)
    return stamp.replace(microsecond=stamp.microsecond // 1000 * 1000)


def new_id() -> str:
    """A new opaque ID (an ObjectId's hex form; clients must not rely on that)."""
    return str(ObjectId())


def encode_cursor(created_at: datetime, item_id: str) -> str:
    """An opaque cursor pointing just after one item."""
    raw = json.dumps({"t": created_at.astimezone(UTC).isoformat(), "id": item_id}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The position in a cursor made by :func:`encode_cursor`, or :class:`InvalidCursor`."""
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        stamp = datetime.fromisoformat(data["t"])
        item_id = data["id"]
        if stamp.tzinfo is None or not isinstance(item_id, str):
            raise ValueError("bad fields")
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidCursor("The cursor is not valid; pass the next_cursor of a previous page.") from exc
    return stamp.astimezone(UTC), item_id


def _public(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A stored document as the API shows it: ``_id`` becomes ``id``, times are UTC."""
    out = {("id" if k == "_id" else k): v for k, v in doc.items()}
    for key, value in out.items():
        if isinstance(value, datetime):
            out[key] = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return out


class Store:
    """Posts, comments, rooms, messages and idempotency records in one MongoDB database."""

    def __init__(self, db: Database[Any], *, embedded: bool = False) -> None:
        self.db = db
        self.embedded = embedded
        self.posts: Collection[Any] = db["posts"]
        self.comments: Collection[Any] = db["comments"]
        self.rooms: Collection[Any] = db["rooms"]
        self.messages: Collection[Any] = db["messages"]
        self.idempotency: Collection[Any] = db["idempotency_keys"]
        self.bans: Collection[Any] = db["bans"]
        self.hidden_posts: Collection[Any] = db["hidden_posts"]
        self._ensure_indexes()

    @classmethod
    def connect(cls, uri: str | None, database: str) -> Store:
        """A store on the server at ``uri``, or the embedded in-memory mongomock store when ``uri`` is ``None``."""
        if uri is None:
            log.warning("MONGODB_URI is not set: using the %s", EMBEDDED_NOTICE)
            client: Any = mongomock.MongoClient(tz_aware=True)
            return cls(client[database], embedded=True)
        client = pymongo.MongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=5000, appname="feedchat")
        log.info("using MongoDB database %r", database)
        return cls(client[database])

    def _ensure_indexes(self) -> None:
        self.posts.create_index([("created_at", DESCENDING), ("_id", DESCENDING)], name="feed_order")
        self.comments.create_index(
            [("post_id", ASCENDING), ("created_at", ASCENDING), ("_id", ASCENDING)], name="thread"
        )
        self.rooms.create_index([("name", ASCENDING)], name="unique_name", unique=True)
        self.rooms.create_index([("created_at", DESCENDING), ("_id", DESCENDING)], name="room_order")
        self.messages.create_index([("room_id", ASCENDING), ("created_at", ASCENDING), ("_id", ASCENDING)], name="log")
        self.idempotency.create_index(
            [("subject", ASCENDING), ("operation", ASCENDING), ("key", ASCENDING)], name="unique_key", unique=True
        )

    # -- paging -------------------------------------------------------------------------------------------

    def _page(
        self, collection: Collection[Any], query: dict[str, Any], limit: int, cursor: str | None, *, newest_first: bool
    ) -> Page:
        """A keyset page ordered by ``(created_at, _id)``; the cursor holds the last item's pair."""
        direction = DESCENDING if newest_first else ASCENDING
        beyond = "$lt" if newest_first else "$gt"
        if cursor is not None:
            stamp, last_id = decode_cursor(cursor)
            query = {
                **query,
                "$or": [{"created_at": {beyond: stamp}}, {"created_at": stamp, "_id": {beyond: last_id}}],
            }
        docs = list(collection.find(query).sort([("created_at", direction), ("_id", direction)]).limit(limit + 1))
        items = [_public(d) for d in docs[:limit]]
        more = len(docs) > limit
        last = items[-1] if items and more else None
        return Page(items, encode_cursor(last["created_at"], last["id"]) if last else None)

    # -- posts --------------------------------------------------------------------------------------------

    def create_post(self, author: str, title: str, body: str) -> dict[str, Any]:
        """Insert a post and return it."""
        stamp = now()
        doc = {
            "_id": new_id(),
            "author": author,
            "title": title,
            "body": body,
            "created_at": stamp,
            "updated_at": stamp,
        }
        self.posts.insert_one(doc)
        return _public(doc)

    def get_post(self, post_id: str) -> dict[str, Any] | None:
        """The post, or ``None``."""
        doc = self.posts.find_one({"_id": post_id})
        return _public(doc) if doc else None

    def update_post(self, post_id: str, changes: Mapping[str, str]) -> dict[str, Any] | None:
        """Apply ``changes`` (title and/or body) and return the updated post, or ``None`` if it is gone."""
        fields = {k: v for k, v in changes.items() if k in {"title", "body"}}
        doc = self.posts.find_one_and_update(
            {"_id": post_id},
            {"$set": {**fields, "updated_at": now()}},
            return_document=pymongo.ReturnDocument.AFTER,
        )
        return _public(doc) if doc else None

    def delete_post(self, post_id: str) -> bool:
        """Delete a post and its comments; ``False`` when there was no such post."""
        deleted = self.posts.delete_one({"_id": post_id}).deleted_count == 1
        if deleted:
            self.comments.delete_many({"post_id": post_id})
        return deleted

    def list_posts(self, limit: int, cursor: str | None) -> Page:
        """Posts, newest first."""
        return self._page(self.posts, {}, limit, cursor, newest_first=True)

    # -- comments -----------------------------------------------------------------------------------------

    def create_comment(self, post_id: str, author: str, body: str) -> dict[str, Any]:
        """Insert a comment on ``post_id`` and return it."""
        doc = {"_id": new_id(), "post_id": post_id, "author": author, "body": body, "created_at": now()}
        self.comments.insert_one(doc)
        return _public(doc)

    def list_comments(self, post_id: str, limit: int, cursor: str | None) -> Page:
        """Comments of a post, oldest first."""
        return self._page(self.comments, {"post_id": post_id}, limit, cursor, newest_first=False)

    # -- rooms --------------------------------------------------------------------------------------------

    def create_room(self, name: str, description: str | None, created_by: str) -> dict[str, Any]:
        """Insert a room and return it; :class:`DuplicateName` when the name is taken."""
        doc = {"_id": new_id(), "name": name, "description": description, "created_by": created_by, "created_at": now()}
        try:
            self.rooms.insert_one(doc)
        except DuplicateKeyError as exc:
            raise DuplicateName(name) from exc
        return _public(doc)

    def get_room(self, room_id: str) -> dict[str, Any] | None:
        """The room, or ``None``."""
        doc = self.rooms.find_one({"_id": room_id})
        return _public(doc) if doc else None

    def list_rooms(self, limit: int, cursor: str | None) -> Page:
        """Rooms, newest first."""
        return self._page(self.rooms, {}, limit, cursor, newest_first=True)

    # -- messages -----------------------------------------------------------------------------------------

    def create_message(self, room_id: str, author: str, body: str) -> dict[str, Any]:
        """Append a message to a room and return it."""
        doc = {"_id": new_id(), "room_id": room_id, "author": author, "body": body, "created_at": now()}
        self.messages.insert_one(doc)
        return _public(doc)

    def list_messages(self, room_id: str, limit: int, cursor: str | None) -> Page:
        """Messages of a room, oldest first."""
        return self._page(self.messages, {"room_id": room_id}, limit, cursor, newest_first=False)

    def get_message(self, room_id: str, message_id: str) -> dict[str, Any] | None:
        """The message ``message_id`` of ``room_id``, or ``None``."""
        doc = self.messages.find_one({"_id": message_id, "room_id": room_id})
        return _public(doc) if doc else None

    def delete_message(self, room_id: str, message_id: str) -> bool:
        """Delete one message; ``False`` when the room has no such message."""
        return self.messages.delete_one({"_id": message_id, "room_id": room_id}).deleted_count == 1

    # -- moderation ---------------------------------------------------------------------------------------

    def hide_post(self, post_id: str, by: str) -> bool:
        """Move a post out of the feed into ``hidden_posts``; ``False`` when there was no such post."""
        doc = self.posts.find_one({"_id": post_id})
        if doc is None:
            return False
        self.hidden_posts.insert_one({**doc, "hidden_by": by, "hidden_at": now()})
        return self.posts.delete_one({"_id": post_id}).deleted_count == 1

    def ban_user(self, subject: str, by: str) -> None:
        """Ban ``subject`` (a second ban keeps the first one's record)."""
        self.bans.update_one({"_id": subject}, {"$setOnInsert": {"banned_by": by, "banned_at": now()}}, upsert=True)

    def is_banned(self, subject: str) -> bool:
        """Whether ``subject`` is banned."""
        return self.bans.find_one({"_id": subject}, {"_id": 1}) is not None

    # -- idempotency keys ---------------------------------------------------------------------------------

    def find_response(self, subject: str, operation: str, key: str) -> StoredResponse | None:
        """The response kept for this caller, operation and key, if any."""
        doc = self.idempotency.find_one({"subject": subject, "operation": operation, "key": key})
        if doc is None:
            return None
        return StoredResponse(doc["fingerprint"], doc["status"], doc["body"], doc["location"])

    def keep_response(self, subject: str, operation: str, key: str, response: StoredResponse) -> StoredResponse:
        """Keep ``response`` for the key; if another request kept one first, return that one."""
        try:
            self.idempotency.insert_one(
                {
                    "_id": new_id(),
                    "subject": subject,
                    "operation": operation,
                    "key": key,
                    "fingerprint": response.fingerprint,
                    "status": response.status,
                    "body": response.body,
                    "location": response.location,
                    "created_at": now(),
                }
            )
        except DuplicateKeyError:
            kept = self.find_response(subject, operation, key)
            if kept is not None:
                return kept
        return response
