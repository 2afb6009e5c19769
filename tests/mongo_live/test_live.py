"""Live mode on documents in the shape MongoDB 6-8 returns them, and against a real server when MONGODB_URI is set."""

from __future__ import annotations

import copy
import os
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from bson import json_util

from checks.engines.mongo.live import CollectionState, Snapshot, Thresholds, live_audit, summarize
from checks.engines.mongo.manifest import Manifest
from checks.engines.mongo.server import explain_command
from checks.registry import default_registry

FIXTURES = Path(__file__).parent / "fixtures"
MANIFEST = FIXTURES / "manifest.yaml"
TAKEN = datetime(2024, 6, 30, tzinfo=UTC)


def load(name: str):
    return json_util.loads((FIXTURES / name).read_text(encoding="utf-8"))


def snapshot() -> Snapshot:
    """A snapshot of a deployment that matches the manifest, with each shape's explain."""
    listed = {c["name"]: c for c in load("list-collections.json")}
    return Snapshot(
        {
            "posts": CollectionState(
                options=listed["posts"]["options"],
                indexes=load("list-indexes-posts.json"),
                index_stats=[s for s in load("index-stats-posts.json") if s["name"] != "author_created"],
                explains={"queries.feedFirst": load("explain-find-ixscan.json")},
            ),
            "outbox": CollectionState(
                options=listed["outbox"]["options"],
                indexes=load("list-indexes-outbox.json"),
                explains={"pipelines.backlog": load("explain-aggregate-sbe.json")},
            ),
        },
        taken=TAKEN,
    )


def run(snap: Snapshot, **kwargs) -> list[tuple[str, str, str]]:
    rules = default_registry().for_engine("mongo")
    found = live_audit(Manifest.load(MANIFEST), snap, rules, **kwargs)
    return [(f.rule_id, f.location.logical, f.message) for f in found]


def test_matching_deployment_has_no_findings() -> None:
    assert run(snapshot()) == []


def test_summaries_of_classic_sbe_and_cursor_explains() -> None:
    classic = summarize(load("explain-find-ixscan.json"))
    assert classic.stages == ["LIMIT", "PROJECTION_SIMPLE", "FETCH", "IXSCAN"]
    assert classic.indexes == ["feed_order"]
    assert (classic.returned, classic.keys_examined, classic.docs_examined) == (101, 101, 101)
    sbe = summarize(load("explain-aggregate-sbe.json"))
    assert sbe.indexes == ["pending"] and "GROUP" in sbe.stages
    cursor = summarize(load("explain-aggregate-cursor.json"))
    assert cursor.indexes == ["pending"] and cursor.returned == 212
    scan = summarize(load("explain-find-collscan-sort.json"))
    assert {"COLLSCAN", "SORT"} <= set(scan.stages)


def test_collscan_in_memory_sort_and_ratio_are_reported() -> None:
    snap = snapshot()
    snap.collections["posts"].explains["queries.byAuthor"] = load("explain-find-collscan-sort.json")
    found = run(snap)
    assert {rule for rule, _, _ in found} == {"DATA-127"}
    messages = [m for _, where, m in found if where == "posts.queries.byAuthor"]
    assert any("COLLSCAN" in m for m in messages)
    assert any("sorts in memory" in m for m in messages)
    assert any("examined 0 keys and 2000000 documents to return 50" in m for m in messages)


def test_ratio_waits_for_enough_examined_documents() -> None:
    snap = snapshot()
    explain = copy.deepcopy(load("explain-find-ixscan.json"))
    explain["executionStats"].update(nReturned=2, totalKeysExamined=900, totalDocsExamined=900)
    snap.collections["posts"].explains["queries.byAuthor"] = explain
    assert run(snap) == []
    assert [r for r, _, _ in run(snap, thresholds=Thresholds(min_examined=100))] == ["DATA-127"]


def test_drift_missing_changed_and_extra_indexes_and_validator() -> None:
    snap = snapshot()
    posts = snap.collections["posts"]
    posts.indexes = [
        {"v": 2, "key": {"_id": 1}, "name": "_id_"},
        {"v": 2, "key": {"created_at": 1, "_id": 1}, "name": "feed_order"},
        {"v": 2, "key": {"title": 1}, "name": "title_1"},
    ]
    posts.options = {**posts.options, "validationAction": "warn"}
    outbox = snap.collections["outbox"]
    outbox.indexes = [
        {**ix, "expireAfterSeconds": 3600} if ix["name"] == "published_expiry" else ix for ix in outbox.indexes
    ]
    found = {(rule, where): m for rule, where, m in run(snap)}
    assert set(found) == {
        ("DATA-126", "posts.validator"),
        ("DATA-126", "posts.indexes.feed_order"),
        ("DATA-126", "posts.indexes.author_created"),
        ("DATA-126", "posts.indexes.title_1"),
        ("DATA-126", "outbox.indexes.published_expiry"),
    }
    assert "has key {created_at: 1, _id: 1} on the server" in found[("DATA-126", "posts.indexes.feed_order")]
    assert "'expireAfterSeconds': 3600" in found[("DATA-126", "outbox.indexes.published_expiry")]


def test_missing_collection_is_drift() -> None:
    snap = snapshot()
    del snap.collections["outbox"]
    assert run(snap) == [("DATA-126", "outbox", "collection 'outbox' does not exist on the server")]


def test_unused_index_after_a_week_of_counters() -> None:
    snap = snapshot()
    snap.collections["posts"].index_stats = load("index-stats-posts.json")
    found = run(snap)
    assert [(r, w) for r, w, _ in found] == [("DATA-125", "posts.indexes.author_created")]
    assert "no accesses in 59 days" in found[0][2]
    young = Snapshot(snap.collections, taken=datetime(2024, 5, 3, tzinfo=UTC))
    assert run(young) == []


def test_ttl_and_unique_indexes_are_never_unused() -> None:
    snap = snapshot()
    snap.collections["outbox"].index_stats = [
        {"name": "published_expiry", "accesses": {"ops": 0, "since": datetime(2024, 1, 1, tzinfo=UTC)}}
    ]
    assert run(snap) == []


def test_snapshot_data_is_checked() -> None:
    from checks.errors import InputError

    with pytest.raises(InputError, match="unknown field 'indexstats'"):
        Snapshot.from_data({"collections": {"posts": {"indexstats": []}}})
    snap = snapshot()
    snap.collections["posts"].explains["feedFirst"] = load("explain-find-ixscan.json")
    with pytest.raises(InputError, match=r"is not queries\.NAME or pipelines\.NAME"):
        run(snap)
    with pytest.raises(InputError, match="not an explain document"):
        summarize({"ok": 1})


def test_writes_are_explained_as_the_find_that_selects_them() -> None:
    manifest = Manifest.from_text(
        "collections:\n  - name: t\n    documents: 10\n    queries:\n"
        "      bump: {op: updateOne, filter: {a: 1}}\n"
        "      page: {filter: {a: 1}, sort: [[b, -1]], limit: 20, projection: {b: 1}}\n",
        name="m.yaml",
    )
    queries = manifest.collections[0].queries
    assert explain_command("t", queries["bump"]) == {"find": "t", "filter": {"a": 1}, "limit": 1}
    assert explain_command("t", queries["page"]) == {
        "find": "t",
        "filter": {"a": 1},
        "sort": {"b": -1},
        "limit": 20,
        "projection": {"b": 1},
    }


def test_unreachable_server_is_a_quick_one_line_error(cli) -> None:
    started = time.monotonic()
    result = cli("check", "mongo", MANIFEST, "--uri", "mongodb://127.0.0.1:9/feedchat")
    assert result.code == 2
    assert result.err.startswith("handbook: error: cannot reach MongoDB at 127.0.0.1:9")
    assert len(result.err.strip().splitlines()) == 1
    assert time.monotonic() - started < 10


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--uri", "http://db"], "not a MongoDB connection string"),
        (["--uri", "mongodb://127.0.0.1:9"], "give --database"),
        (["--database", "x"], "--database needs --uri"),
        (["--uri", "mongodb://h/x", "--capture", "c.jsonl"], "not both"),
    ],
)
def test_bad_live_options_exit_2(cli, args: list[str], message: str) -> None:
    result = cli("check", "mongo", MANIFEST, *args)
    assert result.code == 2
    assert message in result.err


@pytest.mark.mongodb
@pytest.mark.skipif(not os.environ.get("MONGODB_URI"), reason="needs a MongoDB server at MONGODB_URI")
def test_reference_service_database_matches_its_manifest(cli) -> None:
    """After the start-up migration, a real database matches the committed manifest (explains included)."""
    from feedchat.settings import SERVICE_ROOT
    from feedchat.storage import Store

    name = f"feedchat_live_{uuid.uuid4().hex[:8]}"
    store = Store.connect(os.environ["MONGODB_URI"], name)
    try:
        store.create_post("alice", "t", "b")
        result = cli(
            "check",
            "mongo",
            SERVICE_ROOT / "mongo-manifest.yaml",
            "--uri",
            os.environ["MONGODB_URI"],
            "--database",
            name,
        )
        assert result.code == 0, result.out
    finally:
        store.db.client.drop_database(name)


def test_a_ttl_of_zero_seconds_is_an_option() -> None:
    from checks.engines.mongo.live import server_spec

    doc = {"v": 2, "key": {"expires_at": 1.0}, "name": "expiry", "expireAfterSeconds": 0, "unique": False}
    assert server_spec(doc) == ([("expires_at", 1)], {"expireAfterSeconds": 0})
