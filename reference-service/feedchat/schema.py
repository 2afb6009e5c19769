"""What Feedchat keeps in MongoDB, declared once: validators, indexes, and every query shape and pipeline.

The repository layer (:mod:`feedchat.storage`) runs only the shapes declared here, by name, with
parameters; :mod:`feedchat.migrations` creates the validators and indexes at start-up; and
:mod:`feedchat.manifest` exports all of it as the manifest the handbook's MongoDB audit reads.
Parameters are :class:`Param` placeholders; each carries an example value for the manifest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

MAX_PAGE = 100
"""The largest page the API serves; list shapes fetch one more document to know whether a next page exists."""
FETCH_LIMIT = MAX_PAGE + 1

IDEMPOTENCY_TTL_SECONDS = 24 * 3600
OUTBOX_RETENTION_SECONDS = 7 * 24 * 3600
STREAM_PAGE = 100
"""The most messages one read of a room's message stream fetches."""

EXAMPLE_TIME = datetime(2024, 6, 1, tzinfo=UTC)
EXAMPLE_ID = "665a1b2c3d4e5f6a7b8c9d0e"


@dataclass(frozen=True)
class Param:
    """A value the caller supplies when running a shape; ``example`` stands for it in the manifest."""

    name: str
    example: Any
    optional: bool = False
    """An optional parameter left out of a call drops the field that holds it (partial updates)."""


@dataclass(frozen=True)
class Index:
    """An index as ``createIndex`` takes it."""

    name: str
    key: tuple[tuple[str, int], ...]
    unique: bool = False
    partial_filter_expression: dict[str, Any] | None = None
    expire_after_seconds: int | None = None


@dataclass(frozen=True)
class Query:
    """A named query shape: the operation, its filter and, for reads, sort, limit and projection.

    ``limit`` is the most documents one call may ask for; ``update`` is the update document of a write.
    """

    op: str
    filter: dict[str, Any]
    sort: tuple[tuple[str, int], ...] = ()
    limit: int | None = None
    projection: dict[str, int] | None = None
    update: dict[str, Any] | None = None
    upsert_key: tuple[str, ...] = ()
    on_request_path: bool = True


@dataclass(frozen=True)
class Pipeline:
    """A named aggregation pipeline."""

    stages: tuple[dict[str, Any], ...]
    on_request_path: bool = True


@dataclass(frozen=True)
class CollectionSpec:
    """One collection: expected size, ``$jsonSchema``, indexes, and the shapes the service runs on it."""

    name: str
    documents: int
    schema: dict[str, Any]
    indexes: tuple[Index, ...] = ()
    queries: dict[str, Query] = field(default_factory=dict)
    pipelines: dict[str, Pipeline] = field(default_factory=dict)
    write_heavy: bool = False
    expiring: bool = False

    @property
    def validator(self) -> dict[str, Any]:
        """The validator as ``create``/``collMod`` take it: strict, rejecting invalid documents."""
        return {"$jsonSchema": self.schema}


def _schema(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    return {"bsonType": "object", "required": required, "additionalProperties": False, "properties": properties}


ID = {"bsonType": "string", "minLength": 1, "maxLength": 64}
SUBJECT = {"bsonType": "string", "minLength": 1, "maxLength": 255}
DATE = {"bsonType": "date"}


def _keyset(newest_first: bool, scope: dict[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The filters of a first page and of a following page in ``(created_at, _id)`` order.

    A following page bounds ``created_at`` by the cursor's time, so the index scan starts there in sort
    order, and breaks ties between equal times on ``_id``.
    """
    scope = scope or {}
    inclusive, beyond = ("$lte", "$lt") if newest_first else ("$gte", "$gt")
    after = {
        **scope,
        "created_at": {inclusive: Param("after_time", EXAMPLE_TIME)},
        "$or": [
            {"created_at": {beyond: Param("after_time", EXAMPLE_TIME)}},
            {"_id": {beyond: Param("after_id", EXAMPLE_ID)}},
        ],
    }
    return scope, after


def _order(newest_first: bool) -> tuple[tuple[str, int], ...]:
    direction = -1 if newest_first else 1
    return (("created_at", direction), ("_id", direction))


def _pages(
    prefix: str, projection: dict[str, int], *, newest_first: bool, scope: dict[str, Any] | None = None
) -> dict[str, Query]:
    first, after = _keyset(newest_first, scope)
    order = _order(newest_first)
    return {
        f"{prefix}First": Query("find", first, order, FETCH_LIMIT, projection),
        f"{prefix}After": Query("find", after, order, FETCH_LIMIT, projection),
    }


BY_ID = {"_id": Param("id", EXAMPLE_ID)}

USERS = CollectionSpec(
    name="users",
    documents=1_000_000,
    schema=_schema(
        ["_id", "first_seen_at", "last_seen_at"],
        {"_id": SUBJECT, "first_seen_at": DATE, "last_seen_at": DATE},
    ),
    queries={
        "seen": Query(
            "updateOne",
            {"_id": Param("subject", "alice")},
            update={
                "$set": {"last_seen_at": Param("at", EXAMPLE_TIME)},
                "$setOnInsert": {"first_seen_at": Param("at", EXAMPLE_TIME)},
            },
            upsert_key=("_id",),
        ),
        "byId": Query("findOne", {"_id": Param("subject", "alice")}),
    },
)

POST_FIELDS = {"author": 1, "title": 1, "body": 1, "created_at": 1, "updated_at": 1}
POSTS = CollectionSpec(
    name="posts",
    documents=2_000_000,
    schema=_schema(
        ["_id", "author", "title", "body", "created_at", "updated_at"],
        {
            "_id": ID,
            "author": SUBJECT,
            "title": {"bsonType": "string", "minLength": 1, "maxLength": 200},
            "body": {"bsonType": "string", "maxLength": 20_000},
            "created_at": DATE,
            "updated_at": DATE,
        },
    ),
    indexes=(Index("feed_order", (("created_at", -1), ("_id", -1))),),
    queries={
        "byId": Query("findOne", BY_ID),
        "edit": Query(
            "findOneAndUpdate",
            BY_ID,
            update={
                "$set": {
                    "title": Param("title", "Hello", optional=True),
                    "body": Param("body", "Hello, world", optional=True),
                    "updated_at": Param("at", EXAMPLE_TIME),
                }
            },
        ),
        "remove": Query("deleteOne", BY_ID),
        **_pages("feed", POST_FIELDS, newest_first=True),
        # The posts of one timeline page: their IDs come from the reader's Redis feed, in its order.
        "byIds": Query("find", {"_id": {"$in": Param("ids", [EXAMPLE_ID])}}, limit=FETCH_LIMIT, projection=POST_FIELDS),
    },
)

COMMENTS = CollectionSpec(
    name="comments",
    documents=9_000_000,
    schema=_schema(
        ["_id", "post_id", "author", "body", "created_at"],
        {
            "_id": ID,
            "post_id": ID,
            "author": SUBJECT,
            "body": {"bsonType": "string", "minLength": 1, "maxLength": 4000},
            "created_at": DATE,
        },
    ),
    indexes=(Index("thread", (("post_id", 1), ("created_at", 1), ("_id", 1))),),
    queries={
        **_pages(
            "thread",
            {"post_id": 1, "author": 1, "body": 1, "created_at": 1},
            newest_first=False,
            scope={"post_id": Param("post_id", EXAMPLE_ID)},
        ),
        "removeForPost": Query("deleteMany", {"post_id": Param("post_id", EXAMPLE_ID)}),
    },
)

ROOMS = CollectionSpec(
    name="rooms",
    documents=50_000,
    schema=_schema(
        ["_id", "name", "created_by", "created_at"],
        {
            "_id": ID,
            "name": {"bsonType": "string", "minLength": 1, "maxLength": 100},
            "description": {"bsonType": ["string", "null"], "maxLength": 500},
            "created_by": SUBJECT,
            "created_at": DATE,
            "message_seq": {"bsonType": ["int", "long"], "minimum": 0},
        },
    ),
    indexes=(
        Index("unique_name", (("name", 1),), unique=True),
        Index("room_order", (("created_at", -1), ("_id", -1))),
    ),
    queries={
        "byId": Query("findOne", BY_ID),
        **_pages("list", {"name": 1, "description": 1, "created_by": 1, "created_at": 1}, newest_first=True),
        # The room document is the per-room sequence counter: one atomic increment per new message.
        "nextMessageSeq": Query(
            "findOneAndUpdate", BY_ID, update={"$inc": {"message_seq": 1}}, projection={"message_seq": 1}
        ),
    },
)

MESSAGES = CollectionSpec(
    name="messages",
    documents=90_000_000,
    write_heavy=True,
    schema=_schema(
        ["_id", "room_id", "seq", "author", "body", "created_at"],
        {
            "_id": ID,
            "room_id": ID,
            "seq": {"bsonType": ["int", "long"], "minimum": 1},
            "author": SUBJECT,
            "body": {"bsonType": "string", "minLength": 1, "maxLength": 4000},
            "created_at": DATE,
        },
    ),
    indexes=(
        Index("log", (("room_id", 1), ("created_at", 1), ("_id", 1))),
        # Not unique: the room's counter already makes numbers unique, and messages written before numbers
        # existed have none (a unique index would refuse the second of them).
        Index("sequence", (("room_id", 1), ("seq", 1))),
    ),
    queries={
        **_pages(
            "log",
            {"room_id": 1, "author": 1, "body": 1, "created_at": 1},
            newest_first=False,
            scope={"room_id": Param("room_id", EXAMPLE_ID)},
        ),
        # The message stream: a room's messages after a sequence number, in sequence order.
        "sequenceAfter": Query(
            "find",
            {"room_id": Param("room_id", EXAMPLE_ID), "seq": {"$gt": Param("after_seq", 41)}},
            (("seq", 1),),
            STREAM_PAGE,
            {"room_id": 1, "seq": 1, "author": 1, "body": 1, "created_at": 1},
        ),
        "inRoom": Query("findOne", {"_id": Param("id", EXAMPLE_ID), "room_id": Param("room_id", EXAMPLE_ID)}),
        "remove": Query("deleteOne", {"_id": Param("id", EXAMPLE_ID), "room_id": Param("room_id", EXAMPLE_ID)}),
    },
)

BANS = CollectionSpec(
    name="bans",
    documents=10_000,
    schema=_schema(
        ["_id", "banned_by", "banned_at"],
        {"_id": SUBJECT, "banned_by": SUBJECT, "banned_at": DATE},
    ),
    queries={
        "ban": Query(
            "updateOne",
            {"_id": Param("subject", "mallory")},
            update={"$setOnInsert": {"banned_by": Param("by", "root"), "banned_at": Param("at", EXAMPLE_TIME)}},
            upsert_key=("_id",),
        ),
        "isBanned": Query("findOne", {"_id": Param("subject", "mallory")}, projection={"_id": 1}),
    },
)

HIDDEN_POSTS = CollectionSpec(
    name="hidden_posts",
    documents=50_000,
    schema=_schema(
        ["_id", "author", "title", "body", "created_at", "updated_at", "hidden_by", "hidden_at"],
        {
            "_id": ID,
            "author": SUBJECT,
            "title": {"bsonType": "string", "minLength": 1, "maxLength": 200},
            "body": {"bsonType": "string", "maxLength": 20_000},
            "created_at": DATE,
            "updated_at": DATE,
            "hidden_by": SUBJECT,
            "hidden_at": DATE,
        },
    ),
)

KEY_SCOPE = {
    "subject": Param("subject", "alice"),
    "operation": Param("operation", "createPost"),
    "key": Param("key", "k-1"),
}
"""An ``Idempotency-Key`` record is found by caller, operation and key: the ``unique_key`` index."""
HELD_CLAIM = {**KEY_SCOPE, "claim": Param("claim", EXAMPLE_ID), "state": "pending"}
"""A claim still held by the request that made it (``claim`` is that request's token)."""

IDEMPOTENCY_KEYS = CollectionSpec(
    name="idempotency_keys",
    documents=500_000,
    expiring=True,
    schema=_schema(
        ["_id", "subject", "operation", "key", "fingerprint", "state", "claim", "lease_until", "created_at"],
        {
            "_id": ID,
            "subject": SUBJECT,
            "operation": {"bsonType": "string", "maxLength": 100},
            "key": {"bsonType": "string", "minLength": 1, "maxLength": 255},
            "fingerprint": {"bsonType": "string", "maxLength": 128},
            "state": {"enum": ["pending", "done"]},
            "claim": ID,
            "lease_until": DATE,
            "status": {"bsonType": "int", "minimum": 100, "maximum": 599},
            "headers": {"bsonType": "object"},
            "body": {"bsonType": "string"},
            "created_at": DATE,
            "completed_at": DATE,
        },
    ),
    indexes=(
        Index("unique_key", (("subject", 1), ("operation", 1), ("key", 1)), unique=True),
        Index("expiry", (("created_at", 1),), expire_after_seconds=IDEMPOTENCY_TTL_SECONDS),
    ),
    queries={
        "recall": Query(
            "findOne",
            KEY_SCOPE,
            projection={
                "fingerprint": 1,
                "state": 1,
                "claim": 1,
                "lease_until": 1,
                "status": 1,
                "headers": 1,
                "body": 1,
            },
        ),
        "complete": Query(
            "updateOne",
            HELD_CLAIM,
            update={
                "$set": {
                    "state": "done",
                    "status": Param("status", 201),
                    "headers": Param("headers", {"location": "/v1/posts/" + EXAMPLE_ID}),
                    "body": Param("body", '{"id":"' + EXAMPLE_ID + '"}'),
                    "completed_at": Param("at", EXAMPLE_TIME),
                }
            },
        ),
        "release": Query("deleteOne", HELD_CLAIM),
        "takeOver": Query(
            "findOneAndUpdate",
            {
                **KEY_SCOPE,
                "state": "pending",
                "fingerprint": Param("fingerprint", "3f2a"),
                "lease_until": {"$lt": Param("at", EXAMPLE_TIME)},
            },
            update={"$set": {"claim": Param("claim", EXAMPLE_ID), "lease_until": Param("lease_until", EXAMPLE_TIME)}},
            projection={"claim": 1},
        ),
    },
)

REVOKED_TOKENS = CollectionSpec(
    name="revoked_tokens",
    documents=100_000,
    expiring=True,
    schema=_schema(
        ["_id", "subject", "expires_at"],
        {"_id": {"bsonType": "string", "minLength": 1, "maxLength": 255}, "subject": SUBJECT, "expires_at": DATE},
    ),
    indexes=(Index("expiry", (("expires_at", 1),), expire_after_seconds=0),),
    queries={
        "revoke": Query(
            "updateOne",
            {"_id": Param("jti", "jti-1")},
            update={"$set": {"subject": Param("subject", "alice"), "expires_at": Param("expires_at", EXAMPLE_TIME)}},
            upsert_key=("_id",),
        ),
        "isRevoked": Query("findOne", {"_id": Param("jti", "jti-1")}, projection={"_id": 1}),
    },
)

OUTBOX = CollectionSpec(
    name="outbox",
    documents=100_000,
    expiring=True,
    schema=_schema(
        ["_id", "topic", "payload", "created_at", "published"],
        {
            "_id": ID,
            "topic": {"bsonType": "string", "minLength": 1, "maxLength": 100},
            "payload": {"bsonType": "object"},
            "created_at": DATE,
            "published": {"bsonType": "bool"},
            "published_at": DATE,
        },
    ),
    indexes=(
        Index("pending", (("published", 1), ("_id", 1))),
        Index("published_expiry", (("published_at", 1),), expire_after_seconds=OUTBOX_RETENTION_SECONDS),
    ),
    queries={
        "pending": Query(
            "find",
            {"published": False},
            (("_id", 1),),
            limit=100,
            projection={"topic": 1, "payload": 1, "created_at": 1},
            on_request_path=False,
        ),
        "markPublished": Query(
            "updateOne",
            {"_id": Param("id", EXAMPLE_ID), "published": False},
            update={"$set": {"published": True, "published_at": Param("at", EXAMPLE_TIME)}},
            on_request_path=False,
        ),
        "markPublishedMany": Query(
            "updateMany",
            {"_id": {"$in": Param("ids", [EXAMPLE_ID])}, "published": False},
            update={"$set": {"published": True, "published_at": Param("at", EXAMPLE_TIME)}},
            on_request_path=False,
        ),
    },
    pipelines={
        "backlog": Pipeline(
            (
                {"$match": {"published": False}},
                {"$group": {"_id": "$topic", "events": {"$sum": 1}, "oldest": {"$min": "$created_at"}}},
            ),
            on_request_path=False,
        ),
    },
)

COLLECTIONS: dict[str, CollectionSpec] = {
    spec.name: spec
    for spec in (
        USERS,
        POSTS,
        COMMENTS,
        ROOMS,
        MESSAGES,
        IDEMPOTENCY_KEYS,
        REVOKED_TOKENS,
        OUTBOX,
        BANS,
        HIDDEN_POSTS,
    )
}
"""Every collection of the service, by name."""
