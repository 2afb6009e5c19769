"""The repository layer: the only module that talks to the database.

With ``MONGODB_URI`` set it uses pymongo against that server. Without it, it uses the
embedded mongomock store: data is in memory and gone when the process exits.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import mongomock
import pymongo
from bson import ObjectId
from pymongo import ReturnDocument
from pymongo.client_session import ClientSession
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern

from feedchat import capture, migrations
from feedchat.schema import COLLECTIONS, Param

log = logging.getLogger("feedchat")

EMBEDDED_NOTICE = "embedded mongomock store, data is in memory"
NO_TRANSACTIONS_NOTICE = (
    "no multi-document transactions on this store: a post and its outbox event are written one after the "
    "other, so a crash between the two writes loses the event"
)
MAX_CURSOR_LENGTH = 512
T = TypeVar("T")


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
    """A create response kept for an ``Idempotency-Key``: status, headers and the exact body text."""

    status: int
    headers: dict[str, str]
    body: str


@dataclass(frozen=True)
class KeyRecord:
    """What an ``Idempotency-Key`` record says: whose claim it is, and the response once the create is done."""

    fingerprint: str
    state: str
    """``pending`` while the claiming request runs, ``done`` once its response is kept."""
    claim: str
    lease_until: datetime
    response: StoredResponse | None


def transactions_from_hello(hello: Mapping[str, Any]) -> bool:
    """Whether a server whose ``hello`` reply is ``hello`` runs multi-document transactions.

    Replica set members report ``setName`` and ``mongos`` reports ``msg: isdbgrid``; a standalone
    ``mongod`` reports neither and refuses transactions.
    """
    return bool(hello.get("setName")) or hello.get("msg") == "isdbgrid"


def supports_transactions(db: Database[Any]) -> bool:
    """False for the embedded mongomock store; for a server, what its ``hello`` reply says."""
    if isinstance(db.client, mongomock.MongoClient):
        return False
    return transactions_from_hello(db.client.admin.command("hello"))


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


class UndeclaredShape(LookupError):
    """A call names a query shape or pipeline that :mod:`feedchat.schema` does not declare: a programming error."""


def bind(node: Any, params: Mapping[str, Any]) -> Any:
    """``node`` with every :class:`Param` replaced by its value; an absent optional parameter drops its field."""
    if isinstance(node, Param):
        if node.name in params:
            return params[node.name]
        raise TypeError(f"missing parameter {node.name!r}")
    if isinstance(node, dict):
        return {k: bind(v, params) for k, v in node.items() if not _absent(v, params)}
    if isinstance(node, list | tuple):
        return [bind(v, params) for v in node]
    return node


def _absent(value: Any, params: Mapping[str, Any]) -> bool:
    return isinstance(value, Param) and value.optional and value.name not in params


Recorder = Callable[[dict[str, Any]], None]
"""Receives one record per executed shape (see :mod:`feedchat.capture`)."""


class Shapes:
    """Runs the declared shapes of one database, and only those."""

    def __init__(self, db: Database[Any], recorder: Recorder | None = None) -> None:
        """Run shapes on ``db``; executed shapes go to ``recorder``, else to the active capture, if any."""
        self.db = db
        self.recorder = recorder

    def query(self, collection: str, name: str, *, session: ClientSession | None = None, **params: Any) -> Any:
        """Run query shape ``collection.name`` with ``params`` (inside ``session``'s transaction when given).

        What it returns depends on the shape's ``op``: ``find`` → list of documents (``limit`` is a
        parameter, at most the declared one); ``findOne`` and ``findOneAndUpdate`` → a document or
        ``None``; ``updateOne`` → the ``UpdateResult``; ``deleteOne``/``deleteMany`` → the number of
        deleted documents.
        """
        spec = COLLECTIONS.get(collection)
        shape = spec.queries.get(name) if spec else None
        if shape is None:
            raise UndeclaredShape(f"{collection}.queries.{name} is not declared in feedchat.schema")
        limit = params.pop("limit", shape.limit)
        if shape.limit is not None and not 0 < limit <= shape.limit:
            raise ValueError(f"{collection}.{name}: limit {limit} is outside 1..{shape.limit}")
        filter_ = bind(shape.filter, params)
        update = bind(shape.update, params) if shape.update is not None else None
        sort = list(shape.sort)
        projection = dict(shape.projection) if shape.projection is not None else None  # drivers may add _id to it
        coll = self.db[collection]
        self._record(collection, name, op=shape.op, filter=filter_, sort=sort, limit=limit, update=update)
        upsert = bool(shape.upsert_key)
        # mongomock refuses a session argument even when it is None; pass one only inside a transaction.
        extra: dict[str, Any] = {"session": session} if session is not None else {}
        if shape.op == "find":
            cursor = coll.find(filter_, projection, **extra)
            if sort:
                cursor = cursor.sort(sort)
            return list(cursor.limit(limit))
        if shape.op == "findOne":
            return coll.find_one(filter_, projection, sort=sort or None, **extra)
        if shape.op == "findOneAndUpdate":
            return coll.find_one_and_update(
                filter_, update, projection=projection, upsert=upsert, return_document=ReturnDocument.AFTER, **extra
            )
        if shape.op == "updateOne":
            return coll.update_one(filter_, update, upsert=upsert, **extra)
        if shape.op == "updateMany":
            return coll.update_many(filter_, update, **extra)
        if shape.op == "deleteOne":
            return coll.delete_one(filter_, **extra).deleted_count
        if shape.op == "deleteMany":
            return coll.delete_many(filter_, **extra).deleted_count
        raise UndeclaredShape(f"{collection}.queries.{name}: operation {shape.op!r} is not supported")

    def aggregate(self, collection: str, name: str, **params: Any) -> list[dict[str, Any]]:
        """Run pipeline ``collection.name`` with ``params`` and return its documents."""
        spec = COLLECTIONS.get(collection)
        pipeline = spec.pipelines.get(name) if spec else None
        if pipeline is None:
            raise UndeclaredShape(f"{collection}.pipelines.{name} is not declared in feedchat.schema")
        stages = bind(list(pipeline.stages), params)
        self._record(collection, name, op="aggregate", pipeline=stages)
        return list(self.db[collection].aggregate(stages))

    def insert(self, collection: str, document: dict[str, Any], *, session: ClientSession | None = None) -> None:
        """Insert one document into a declared collection (inserts have no query shape)."""
        if collection not in COLLECTIONS:
            raise UndeclaredShape(f"collection {collection!r} is not declared in feedchat.schema")
        if session is None:
            self.db[collection].insert_one(document)
        else:
            self.db[collection].insert_one(document, session=session)

    def _record(self, collection: str, shape: str, **fields: Any) -> None:
        recorder = self.recorder or capture.recorder()
        if recorder is not None:
            recorder({"source": "repository", "collection": collection, "shape": shape, **fields})


class Store:
    """Users, posts, comments, rooms, messages, idempotency records, revoked tokens and the outbox.

    Every read and write goes through :class:`Shapes`, so it runs a shape declared in :mod:`feedchat.schema`.
    Writes that must happen together (a post and its outbox event) run in one multi-document transaction
    when the server supports transactions (``transactions``); the embedded mongomock store has none.
    """

    def __init__(
        self,
        db: Database[Any],
        *,
        embedded: bool = False,
        migrate: bool = True,
        transactions: bool | None = None,
    ) -> None:
        """A store on ``db``; ``transactions=None`` asks the server (``hello``) whether it runs transactions."""
        self.db = db
        self.embedded = embedded
        self.transactions = supports_transactions(db) if transactions is None else transactions
        if not self.transactions:
            log.warning(NO_TRANSACTIONS_NOTICE)
        self.shapes = Shapes(db)
        self.posts: Collection[Any] = db["posts"]
        self.comments: Collection[Any] = db["comments"]
        self.rooms: Collection[Any] = db["rooms"]
        self.messages: Collection[Any] = db["messages"]
        self.idempotency: Collection[Any] = db["idempotency_keys"]
        if migrate:
            migrations.apply(db)

    @classmethod
    def connect(cls, uri: str | None, database: str, *, migrate: bool = True) -> Store:
        """A store on the server at ``uri``, or the embedded in-memory mongomock store when ``uri`` is ``None``."""
        if uri is None:
            log.warning("MONGODB_URI is not set: using the %s", EMBEDDED_NOTICE)
            client: Any = mongomock.MongoClient(tz_aware=True)
            return cls(client[database], embedded=True, migrate=migrate)
        client = pymongo.MongoClient(
            uri,
            tz_aware=True,
            serverSelectionTimeoutMS=5000,
            appname="feedchat",
            event_listeners=capture.listeners(),
        )
        log.info("using MongoDB database %r", database)
        return cls(client[database], migrate=migrate)

    def atomically(self, work: Callable[[ClientSession | None], T]) -> T:
        """Run ``work(session)`` in one transaction (majority write concern), retried on transient errors.

        Without transactions (the embedded store) ``work(None)`` runs its writes one after the other: a
        crash part-way leaves the first writes in place. :data:`NO_TRANSACTIONS_NOTICE` is logged at start-up.
        """
        if not self.transactions:
            return work(None)
        with self.db.client.start_session() as session:
            return session.with_transaction(
                work, read_concern=ReadConcern("majority"), write_concern=WriteConcern("majority")
            )

    # -- paging -------------------------------------------------------------------------------------------

    def _page(self, collection: str, prefix: str, limit: int, cursor: str | None, **scope: Any) -> Page:
        """A keyset page in ``(created_at, _id)`` order through the ``<prefix>First``/``<prefix>After`` shapes."""
        if cursor is None:
            docs = self.shapes.query(collection, f"{prefix}First", limit=limit + 1, **scope)
        else:
            stamp, last_id = decode_cursor(cursor)
            docs = self.shapes.query(
                collection, f"{prefix}After", limit=limit + 1, after_time=stamp, after_id=last_id, **scope
            )
        items = [_public(d) for d in docs[:limit]]
        more = len(docs) > limit
        last = items[-1] if items and more else None
        return Page(items, encode_cursor(last["created_at"], last["id"]) if last else None)

    # -- users --------------------------------------------------------------------------------------------

    def seen(self, subject: str, *, session: ClientSession | None = None) -> None:
        """Record that ``subject`` wrote something (first and last time seen)."""
        self.shapes.query("users", "seen", session=session, subject=subject, at=now())

    def get_user(self, subject: str) -> dict[str, Any] | None:
        """What the service knows about ``subject``, or ``None``."""
        doc = self.shapes.query("users", "byId", subject=subject)
        return _public(doc) if doc else None

    # -- posts --------------------------------------------------------------------------------------------

    def create_post(self, author: str, title: str, body: str) -> dict[str, Any]:
        """Insert a post and its ``post.created`` outbox event together (see :meth:`atomically`); return the post.

        On a replica set both writes and the author's last-seen time commit in one transaction; on the
        embedded store they run in sequence, post first, so an event never announces a post that is not there.
        """
        stamp = now()
        doc = {
            "_id": new_id(),
            "author": author,
            "title": title,
            "body": body,
            "created_at": stamp,
            "updated_at": stamp,
        }
        announcement = {"post_id": doc["_id"], "author": author, "created_ts": stamp.timestamp()}

        def write(session: ClientSession | None) -> None:
            self.shapes.insert("posts", dict(doc), session=session)
            self.add_event("post.created", announcement, session=session)
            self.seen(author, session=session)

        self.atomically(write)
        return _public(doc)

    def get_post(self, post_id: str) -> dict[str, Any] | None:
        """The post, or ``None``."""
        doc = self.shapes.query("posts", "byId", id=post_id)
        return _public(doc) if doc else None

    def update_post(self, post_id: str, changes: Mapping[str, str]) -> dict[str, Any] | None:
        """Apply ``changes`` (title and/or body) and return the updated post, or ``None`` if it is gone."""
        fields = {k: v for k, v in changes.items() if k in {"title", "body"}}
        doc = self.shapes.query("posts", "edit", id=post_id, at=now(), **fields)
        return _public(doc) if doc else None

    def delete_post(self, post_id: str) -> bool:
        """Delete a post and its comments; ``False`` when there was no such post."""
        deleted = self.shapes.query("posts", "remove", id=post_id) == 1
        if deleted:
            self.shapes.query("comments", "removeForPost", post_id=post_id)
        return deleted

    def list_posts(self, limit: int, cursor: str | None) -> Page:
        """Posts, newest first."""
        return self._page("posts", "feed", limit, cursor)

    def posts_by_ids(self, post_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The posts among ``post_ids`` (at most 101) that exist, by ID; deleted and hidden ones are absent."""
        if not post_ids:
            return {}
        docs = self.shapes.query("posts", "byIds", ids=list(post_ids), limit=len(post_ids))
        return {str(doc["_id"]): _public(doc) for doc in docs}

    # -- comments -----------------------------------------------------------------------------------------

    def create_comment(self, post_id: str, author: str, body: str) -> dict[str, Any]:
        """Insert a comment on ``post_id`` and return it."""
        doc = {"_id": new_id(), "post_id": post_id, "author": author, "body": body, "created_at": now()}
        self.shapes.insert("comments", doc)
        self.seen(author)
        return _public(doc)

    def list_comments(self, post_id: str, limit: int, cursor: str | None) -> Page:
        """Comments of a post, oldest first."""
        return self._page("comments", "thread", limit, cursor, post_id=post_id)

    # -- rooms --------------------------------------------------------------------------------------------

    def create_room(self, name: str, description: str | None, created_by: str) -> dict[str, Any]:
        """Insert a room and return it; :class:`DuplicateName` when the name is taken."""
        doc = {"_id": new_id(), "name": name, "description": description, "created_by": created_by, "created_at": now()}
        try:
            self.shapes.insert("rooms", doc)
        except DuplicateKeyError as exc:
            raise DuplicateName(name) from exc
        self.seen(created_by)
        return _public(doc)

    def get_room(self, room_id: str) -> dict[str, Any] | None:
        """The room, or ``None``."""
        doc = self.shapes.query("rooms", "byId", id=room_id)
        return _public(doc) if doc else None

    def list_rooms(self, limit: int, cursor: str | None) -> Page:
        """Rooms, newest first."""
        return self._page("rooms", "list", limit, cursor)

    # -- messages -----------------------------------------------------------------------------------------

    def create_message(self, room_id: str, author: str, body: str) -> dict[str, Any]:
        """Append a message to a room and return it.

        The message takes the room's next sequence number (``seq``, the stream position) from an atomic
        increment on the room document, then is inserted. Two writers can insert in the other order than
        they drew their numbers, so a reader may see ``seq`` 6 a moment before 5: :meth:`messages_after`
        callers treat a gap as pending for a while (see ``feedchat.routes.stream``).
        """
        counter = self.shapes.query("rooms", "nextMessageSeq", id=room_id)
        if counter is None:
            raise LookupError(f"no room {room_id!r}")
        doc = {
            "_id": new_id(),
            "room_id": room_id,
            "seq": int(counter["message_seq"]),
            "author": author,
            "body": body,
            "created_at": now(),
        }
        self.shapes.insert("messages", doc)
        self.seen(author)
        return _public({k: v for k, v in doc.items() if k != "seq"})

    def list_messages(self, room_id: str, limit: int, cursor: str | None) -> Page:
        """Messages of a room, oldest first."""
        return self._page("messages", "log", limit, cursor, room_id=room_id)

    def room_position(self, room_id: str) -> int | None:
        """The sequence number of the last message drawn in the room (0 before the first), or ``None`` if no room."""
        doc = self.shapes.query("rooms", "byId", id=room_id)
        return None if doc is None else int(doc.get("message_seq", 0))

    def messages_after(self, room_id: str, after_seq: int, limit: int) -> list[tuple[int, dict[str, Any]]]:
        """Up to ``limit`` messages of a room with a sequence number above ``after_seq``, as ``(seq, message)``."""
        docs = self.shapes.query("messages", "sequenceAfter", room_id=room_id, after_seq=after_seq, limit=limit)
        return [(int(d["seq"]), _public({k: v for k, v in d.items() if k != "seq"})) for d in docs]

    def get_message(self, room_id: str, message_id: str) -> dict[str, Any] | None:
        """The message ``message_id`` of ``room_id``, or ``None``."""
        doc = self.shapes.query("messages", "inRoom", id=message_id, room_id=room_id)
        return _public(doc) if doc else None

    def delete_message(self, room_id: str, message_id: str) -> bool:
        """Delete one message; ``False`` when the room has no such message."""
        return bool(self.shapes.query("messages", "remove", id=message_id, room_id=room_id) == 1)

    # -- moderation ---------------------------------------------------------------------------------------

    def hide_post(self, post_id: str, by: str) -> bool:
        """Move a post out of the feed into ``hidden_posts``; ``False`` when there was no such post."""
        doc = self.shapes.query("posts", "byId", id=post_id)
        if doc is None:
            return False
        self.shapes.insert("hidden_posts", {**doc, "hidden_by": by, "hidden_at": now()})
        return bool(self.shapes.query("posts", "remove", id=post_id) == 1)

    def ban_user(self, subject: str, by: str) -> None:
        """Ban ``subject`` (a second ban keeps the first one's record)."""
        self.shapes.query("bans", "ban", subject=subject, by=by, at=now())

    def is_banned(self, subject: str) -> bool:
        """Whether ``subject`` is banned."""
        return self.shapes.query("bans", "isBanned", subject=subject) is not None

    # -- idempotency keys ---------------------------------------------------------------------------------

    def claim_key(self, subject: str, operation: str, key: str, fingerprint: str, lease: timedelta) -> str | None:
        """Claim an ``Idempotency-Key`` by inserting a pending record; the claim's token, or ``None`` if taken.

        The unique ``(subject, operation, key)`` index makes the insert the one atomic decision: of any
        number of concurrent requests, at most one inserts. ``lease`` bounds how long the claim blocks
        others if its request dies without completing or releasing it.
        """
        token = new_id()
        stamp = now()
        try:
            self.shapes.insert(
                "idempotency_keys",
                {
                    "_id": new_id(),
                    "subject": subject,
                    "operation": operation,
                    "key": key,
                    "fingerprint": fingerprint,
                    "state": "pending",
                    "claim": token,
                    "lease_until": stamp + lease,
                    "created_at": stamp,
                },
            )
        except DuplicateKeyError:
            return None
        return token

    def key_record(self, subject: str, operation: str, key: str) -> KeyRecord | None:
        """The record of this caller's key for ``operation``, or ``None``."""
        doc = self.shapes.query("idempotency_keys", "recall", subject=subject, operation=operation, key=key)
        if doc is None:
            return None
        response = None
        if doc.get("state") == "done":
            response = StoredResponse(int(doc["status"]), dict(doc.get("headers") or {}), str(doc["body"]))
        lease_until = doc["lease_until"]
        if lease_until.tzinfo is None:
            lease_until = lease_until.replace(tzinfo=UTC)
        return KeyRecord(doc["fingerprint"], doc["state"], doc["claim"], lease_until, response)

    def take_over_key(self, subject: str, operation: str, key: str, fingerprint: str, lease: timedelta) -> str | None:
        """Take a pending claim whose lease ran out (its request died) for the same request; the new token or ``None``."""
        token = new_id()
        stamp = now()
        doc = self.shapes.query(
            "idempotency_keys",
            "takeOver",
            subject=subject,
            operation=operation,
            key=key,
            fingerprint=fingerprint,
            at=stamp,
            claim=token,
            lease_until=stamp + lease,
        )
        return token if doc is not None and doc.get("claim") == token else None

    def complete_key(self, subject: str, operation: str, key: str, claim: str, response: StoredResponse) -> bool:
        """Keep ``response`` for the key claimed with token ``claim``; ``False`` when the claim was lost."""
        result = self.shapes.query(
            "idempotency_keys",
            "complete",
            subject=subject,
            operation=operation,
            key=key,
            claim=claim,
            status=response.status,
            headers=dict(response.headers),
            body=response.body,
            at=now(),
        )
        return bool(result.modified_count == 1)

    def release_key(self, subject: str, operation: str, key: str, claim: str) -> bool:
        """Drop the pending claim ``claim`` (its create failed) so a retry can claim the key again."""
        return bool(
            self.shapes.query("idempotency_keys", "release", subject=subject, operation=operation, key=key, claim=claim)
            == 1
        )

    # -- revoked tokens -----------------------------------------------------------------------------------

    def revoke_token(self, jti: str, subject: str, expires_at: datetime) -> None:
        """Deny the token ``jti`` until it expires anyway (the TTL index then removes the record)."""
        self.shapes.query("revoked_tokens", "revoke", jti=jti, subject=subject, expires_at=expires_at)

    def is_revoked(self, jti: str) -> bool:
        """True when the token ``jti`` was revoked."""
        return self.shapes.query("revoked_tokens", "isRevoked", jti=jti) is not None

    # -- outbox -------------------------------------------------------------------------------------------

    def add_event(self, topic: str, payload: dict[str, Any], *, session: ClientSession | None = None) -> str:
        """Append an unpublished event to the outbox (in ``session``'s transaction) and return its ID.

        IDs grow with time within one process; the relay publishes in ID order, so an event committed
        late by a slow transaction can follow a newer one. Consumers dedupe by ID and must not need order.
        """
        event_id = new_id()
        self.shapes.insert(
            "outbox",
            {"_id": event_id, "topic": topic, "payload": payload, "created_at": now(), "published": False},
            session=session,
        )
        return event_id

    def pending_events(self, limit: int = 100) -> list[dict[str, Any]]:
        """The oldest unpublished events, oldest first."""
        return [_public(d) for d in self.shapes.query("outbox", "pending", limit=limit)]

    def mark_published(self, event_id: str) -> bool:
        """Mark an event published (it expires a week later); ``False`` when it was already published."""
        return self.shapes.query("outbox", "markPublished", id=event_id, at=now()).modified_count == 1

    def mark_published_many(self, event_ids: list[str]) -> int:
        """Mark a batch of events published in one write; the number that were not published before."""
        if not event_ids:
            return 0
        return int(self.shapes.query("outbox", "markPublishedMany", ids=list(event_ids), at=now()).modified_count)

    def outbox_backlog(self) -> dict[str, int]:
        """Unpublished events per topic."""
        return {d["_id"]: d["events"] for d in self.shapes.aggregate("outbox", "backlog")}
