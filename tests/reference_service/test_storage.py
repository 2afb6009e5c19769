"""The repository layer: cursors, keyset order with ties, the embedded default."""

from __future__ import annotations

import base64
import os
import uuid
from datetime import UTC, datetime

import mongomock
import pytest
from feedchat.storage import InvalidCursor, Store, decode_cursor, encode_cursor


def test_cursor_round_trip() -> None:
    stamp = datetime(2024, 6, 4, 12, 0, 0, 123000, tzinfo=UTC)
    assert decode_cursor(encode_cursor(stamp, "abc")) == (stamp, "abc")


@pytest.mark.parametrize(
    "cursor",
    [
        "%%%",
        base64.urlsafe_b64encode(b"[]").decode(),
        base64.urlsafe_b64encode(b'{"t": "2024-06-04T12:00:00", "id": "a"}').decode(),
        base64.urlsafe_b64encode(b'{"t": "2024-06-04T12:00:00Z", "id": 5}').decode(),
        base64.urlsafe_b64encode(b'{"t": "yesterday", "id": "a"}').decode(),
        "A" * 600,
    ],
)
def test_foreign_cursors_are_invalid(cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        decode_cursor(cursor)


def test_embedded_store_is_flagged(caplog: pytest.LogCaptureFixture) -> None:
    store = Store.connect(None, "feedchat")
    assert store.embedded
    assert "embedded mongomock store, data is in memory" in caplog.text


def test_pages_are_stable_when_timestamps_tie() -> None:
    store = Store(mongomock.MongoClient(tz_aware=True)["ties"])
    stamp = datetime(2024, 6, 4, tzinfo=UTC)
    ids = [f"id{n:02d}" for n in range(7)]
    store.messages.insert_many(
        [{"_id": i, "room_id": "r", "author": "a", "body": i, "created_at": stamp} for i in reversed(ids)]
    )
    seen, cursor = [], None
    while True:
        page = store.list_messages("r", 3, cursor)
        seen += [m["id"] for m in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == ids


@pytest.mark.mongodb
@pytest.mark.skipif(not os.environ.get("MONGODB_URI"), reason="needs a MongoDB server at MONGODB_URI")
def test_real_mongodb_round_trip() -> None:
    name = f"feedchat_test_{uuid.uuid4().hex[:8]}"
    store = Store.connect(os.environ["MONGODB_URI"], name)
    try:
        assert not store.embedded
        made = [store.create_post("alice", f"t{n}", "b") for n in range(3)]
        first = store.list_posts(2, None)
        rest = store.list_posts(2, first.next_cursor)
        assert [p["id"] for p in first.items + rest.items] == [p["id"] for p in reversed(made)]
        assert first.items[0]["created_at"].tzinfo is not None
    finally:
        store.db.client.drop_database(name)
