"""The start-up migration: idempotent, validators skipped (and said so) on mongomock, changed indexes refused."""

from __future__ import annotations

import mongomock
import pytest
from feedchat.migrations import MONGOMOCK_SKIPS, MigrationError, apply, plan
from feedchat.schema import COLLECTIONS, POSTS


def test_creates_declared_indexes_once() -> None:
    db = mongomock.MongoClient()["m"]
    first = apply(db)
    created = {(s.collection, s.detail) for s in first if s.action == "create-index"}
    assert created == {(c.name, ix.name) for c in COLLECTIONS.values() for ix in c.indexes}
    indexes = {ix["name"]: ix for ix in db["outbox"].list_indexes()}
    assert indexes["published_expiry"]["expireAfterSeconds"] == 7 * 24 * 3600
    assert indexes["pending"]["key"] == {"published": 1, "_id": 1}
    again = apply(db)
    assert [s.action for s in again] == ["skip-validator"] * len(COLLECTIONS)
    assert all(s.detail == MONGOMOCK_SKIPS for s in again)


def test_changed_index_is_refused_not_rebuilt() -> None:
    db = mongomock.MongoClient()["m"]
    db["posts"].create_index([("created_at", 1)], name="feed_order")
    with pytest.raises(MigrationError, match="index 'feed_order' exists with key"):
        apply(db)


def test_undeclared_index_is_reported_and_kept() -> None:
    db = mongomock.MongoClient()["m"]
    db["posts"].create_index([("title", 1)], name="title_1")
    steps = apply(db)
    assert any(s.action == "undeclared-index" and s.detail == "title_1" for s in steps)
    assert "title_1" in {ix["name"] for ix in db["posts"].list_indexes()}


def test_validators_on_a_real_server_are_created_or_updated() -> None:
    """``plan`` on listCollections data, as a real server reports it."""
    id_index = {"v": 2, "key": {"_id": 1}, "name": "_id_"}
    missing = plan([POSTS], {}, {})
    assert [s.action for s in missing] == ["create-collection", "create-index"]
    stale = {"posts": {"validator": {"$jsonSchema": {"bsonType": "object"}}, "validationLevel": "moderate"}}
    steps = plan([POSTS], stale, {"posts": [id_index]})
    assert [s.action for s in steps] == ["set-validator", "create-index"]
    current = {"posts": {"validator": POSTS.validator, "validationLevel": "strict", "validationAction": "error"}}
    present = [id_index, {"v": 2, "key": {"created_at": -1, "_id": -1}, "name": "feed_order"}]
    assert plan([POSTS], current, {"posts": present}) == []
