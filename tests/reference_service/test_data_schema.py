"""The declared collections: the committed manifest matches the code and audits clean; only declared shapes run."""

from __future__ import annotations

from datetime import UTC, datetime

import mongomock
import pytest
from click.testing import CliRunner
from feedchat.cli import main
from feedchat.manifest import manifest, manifest_yaml
from feedchat.schema import COLLECTIONS, Param
from feedchat.settings import SERVICE_ROOT
from feedchat.storage import Shapes, Store, UndeclaredShape, bind

from checks.engines.mongo.audit import audit
from checks.engines.mongo.manifest import Manifest

COMMITTED = SERVICE_ROOT / "mongo-manifest.yaml"


def test_committed_manifest_matches_the_code() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == manifest_yaml(), (
        "reference-service/mongo-manifest.yaml is stale: run python -m feedchat manifest reference-service/mongo-manifest.yaml"
    )


def test_manifest_command_check_reports_drift(tmp_path) -> None:
    stale = tmp_path / "m.yaml"
    stale.write_text(manifest_yaml().replace("documents: 2000000", "documents: 3"), encoding="utf-8")
    result = CliRunner().invoke(main, ["manifest", "--check", str(stale)])
    assert result.exit_code == 1
    assert "differs from the declared collections" in result.output
    assert CliRunner().invoke(main, ["manifest", "--check", str(COMMITTED)]).exit_code == 0


def test_manifest_validates_and_audits_clean() -> None:
    loaded = Manifest.from_text(manifest_yaml(), name="mongo-manifest.yaml")
    assert [c.name for c in loaded.collections] == list(COLLECTIONS)
    assert audit(loaded) == []


def test_every_collection_is_declared_with_validator_and_indexes() -> None:
    wanted = {"users", "posts", "comments", "rooms", "messages", "idempotency_keys", "revoked_tokens", "outbox"}
    assert wanted <= set(COLLECTIONS)
    outbox = next(c for c in manifest()["collections"] if c["name"] == "outbox")
    keys = {ix["name"]: ix for ix in outbox["indexes"]}
    assert keys["pending"]["key"] == [["published", 1], ["_id", 1]]
    assert keys["published_expiry"]["expireAfterSeconds"] == 7 * 24 * 3600
    for spec in (COLLECTIONS[name] for name in wanted):
        assert spec.schema["bsonType"] == "object"
        assert spec.queries or spec.pipelines


def test_undeclared_shape_is_a_programming_error() -> None:
    shapes = Shapes(mongomock.MongoClient()["x"])
    with pytest.raises(UndeclaredShape, match=r"posts\.queries\.byTitle is not declared"):
        shapes.query("posts", "byTitle", title="x")
    with pytest.raises(UndeclaredShape, match=r"pipelines\.popular"):
        shapes.aggregate("posts", "popular")
    with pytest.raises(UndeclaredShape, match="collection 'likes'"):
        shapes.insert("likes", {"_id": "a"})


def test_missing_parameter_and_limits_are_rejected() -> None:
    shapes = Shapes(mongomock.MongoClient()["x"])
    with pytest.raises(TypeError, match="missing parameter 'post_id'"):
        shapes.query("comments", "threadFirst", limit=10)
    with pytest.raises(ValueError, match=r"limit 500 is outside 1\.\.101"):
        shapes.query("posts", "feedFirst", limit=500)


def test_bind_drops_absent_optional_parameters() -> None:
    template = {"$set": {"title": Param("title", "t", optional=True), "at": Param("at", 0)}}
    assert bind(template, {"at": 1}) == {"$set": {"at": 1}}
    assert bind(template, {"at": 1, "title": "new"}) == {"$set": {"title": "new", "at": 1}}


def test_revoked_tokens_outbox_and_users() -> None:
    store = Store(mongomock.MongoClient(tz_aware=True)["repo"])
    later = datetime(2030, 1, 1, tzinfo=UTC)
    assert not store.is_revoked("j1")
    store.revoke_token("j1", "alice", later)
    store.revoke_token("j1", "alice", later)
    assert store.is_revoked("j1")
    first = store.add_event("post.created", {"id": "p1"})
    second = store.add_event("post.created", {"id": "p2"})
    store.add_event("room.created", {"id": "r1"})
    assert [e["id"] for e in store.pending_events(2)] == [first, second]
    assert store.outbox_backlog() == {"post.created": 2, "room.created": 1}
    assert store.mark_published(first)
    assert not store.mark_published(first)
    assert store.outbox_backlog() == {"post.created": 1, "room.created": 1}
    store.create_post("bob", "t", "b")
    assert store.get_user("bob")["id"] == "bob"


def test_running_a_shape_leaves_its_declaration_unchanged() -> None:
    """mongomock adds ``_id`` to a projection it is given; the declared one must not change."""
    before = dict(COLLECTIONS["posts"].queries["feedFirst"].projection or {})
    Shapes(mongomock.MongoClient()["x"]).query("posts", "feedFirst", limit=5)
    assert COLLECTIONS["posts"].queries["feedFirst"].projection == before
