"""Capture: what the service executes is recorded and audited against the committed manifest."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import mongomock
import pytest
from feedchat import capture
from feedchat.settings import SERVICE_ROOT
from feedchat.storage import Store, StoredResponse
from pymongo.monitoring import CommandStartedEvent

MANIFEST = SERVICE_ROOT / "mongo-manifest.yaml"


@pytest.fixture
def recording() -> Iterator[capture.Capture]:
    """A fresh capture for one test (any session-wide capture is put back afterwards)."""
    previous = capture.stop()
    fresh = capture.start()
    try:
        yield fresh
    finally:
        capture.stop()
        if previous is not None:
            capture.start(previous)


def workload(store: Store) -> None:
    """Every repository operation at least once, with paging past the first page."""
    posts = [store.create_post("alice", f"post {n}", "body") for n in range(5)]
    page = store.list_posts(2, None)
    store.list_posts(2, page.next_cursor)
    store.get_post(posts[0]["id"])
    store.update_post(posts[0]["id"], {"title": "edited"})
    for n in range(3):
        store.create_comment(posts[1]["id"], "bob", f"c{n}")
    first = store.list_comments(posts[1]["id"], 2, None)
    store.list_comments(posts[1]["id"], 2, first.next_cursor)
    store.delete_post(posts[1]["id"])
    room = store.create_room("general", None, "alice")
    store.create_room("random", "chat", "bob")
    store.get_room(room["id"])
    rooms = store.list_rooms(1, None)
    store.list_rooms(1, rooms.next_cursor)
    for n in range(3):
        store.create_message(room["id"], "alice", f"m{n}")
    log = store.list_messages(room["id"], 2, None)
    store.list_messages(room["id"], 2, log.next_cursor)
    lease = timedelta(seconds=30)
    token = store.claim_key("alice", "createPost", "k1", "fp", lease)
    assert token is not None and store.claim_key("alice", "createPost", "k1", "fp", lease) is None
    store.key_record("alice", "createPost", "k1")
    store.take_over_key("alice", "createPost", "k1", "fp", lease)
    store.complete_key("alice", "createPost", "k1", token, StoredResponse(201, {}, "{}"))
    second = store.claim_key("alice", "createPost", "k2", "fp", lease)
    assert second is not None and store.release_key("alice", "createPost", "k2", second)
    store.get_user("alice")
    store.revoke_token("jti-1", "alice", datetime(2030, 1, 1, tzinfo=UTC))
    store.is_revoked("jti-1")
    event = store.add_event("post.created", {"id": posts[0]["id"]})
    store.pending_events()
    store.mark_published(event)
    store.outbox_backlog()


def test_workload_capture_audits_clean(recording: capture.Capture, cli, tmp_path: Path) -> None:
    workload(Store(mongomock.MongoClient(tz_aware=True)["capture"]))
    shapes = {(r["collection"], r["shape"]) for r in recording.records}
    assert ("posts", "feedAfter") in shapes and ("outbox", "backlog") in shapes
    target = tmp_path / "capture.jsonl"
    recording.write(target)
    result = cli("check", "mongo", MANIFEST, "--capture", target, "--format", "json")
    assert result.code == 0, result.out
    report = json.loads(result.out)
    assert report["findings"] == []
    assert "DATA-128" in report["rulesChecked"]


def test_an_undeclared_query_is_reported(recording: capture.Capture, cli, tmp_path: Path) -> None:
    store = Store(mongomock.MongoClient(tz_aware=True)["capture"])
    store.list_posts(5, None)
    recording.record(
        {"source": "command", "command": "find", "collection": "posts", "filter": {"title": "x"}, "sort": []}
    )
    target = tmp_path / "capture.jsonl"
    recording.write(target)
    result = cli("check", "mongo", MANIFEST, "--capture", target, "--format", "json")
    assert result.code == 1
    (finding,) = json.loads(result.out)["findings"]
    assert finding["ruleId"] == "DATA-128"
    assert finding["location"]["line"] == 2
    assert "matches no declared shape" in finding["message"]


def _event(command: dict) -> CommandStartedEvent:
    return CommandStartedEvent(command, "feedchat", 1, ("localhost", 27017), 1)


def test_command_listener_records_what_pymongo_sends(tmp_path: Path, cli) -> None:
    """The commands pymongo sends for the repository's calls, as a real server would see them, audit clean."""
    stamp = datetime(2024, 6, 1, tzinfo=UTC)
    recording = capture.Capture()
    listener = recording.listener()
    sent = [
        {"find": "posts", "filter": {}, "sort": {"created_at": -1, "_id": -1}, "limit": 3, "lsid": {}, "$db": "f"},
        {
            "find": "posts",
            "filter": {"created_at": {"$lte": stamp}, "$or": [{"created_at": {"$lt": stamp}}, {"_id": {"$lt": "a"}}]},
            "sort": {"created_at": -1, "_id": -1},
            "limit": 3,
        },
        {"find": "posts", "filter": {"_id": "a"}, "limit": 1, "singleBatch": True},
        {"insert": "posts", "documents": [{"_id": "a"}], "ordered": True},
        {"update": "users", "updates": [{"q": {"_id": "alice"}, "u": {"$set": {}}, "upsert": True, "multi": False}]},
        {"delete": "comments", "deletes": [{"q": {"post_id": "a"}, "limit": 0}]},
        {"delete": "posts", "deletes": [{"q": {"_id": "a"}, "limit": 1}]},
        {"findAndModify": "posts", "query": {"_id": "a"}, "update": {"$set": {"title": "t"}}, "new": True},
        {
            "aggregate": "outbox",
            "pipeline": [
                {"$match": {"published": False}},
                {"$group": {"_id": "$topic", "events": {"$sum": 1}, "oldest": {"$min": "$created_at"}}},
            ],
            "cursor": {},
        },
        {"listIndexes": "posts", "cursor": {}},
        {"ping": 1},
    ]
    for command in sent:
        listener.started(_event(command))
    assert [r.get("command") for r in recording.records] == [
        "find",
        "find",
        "find",
        "insert",
        "update",
        "delete",
        "delete",
        "findAndModify",
        "aggregate",
    ]
    assert recording.records[5]["multi"] is True and recording.records[6]["multi"] is False
    target = tmp_path / "commands.jsonl"
    recording.write(target)
    result = cli("check", "mongo", MANIFEST, "--capture", target)
    assert result.code == 0, result.out


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json\n", "not a JSON capture record"),
        ('{"source": "repository"}\n', "is an object with a 'collection'"),
        ('{"source": "elsewhere", "collection": "posts"}\n', "'source' is 'repository' or 'command'"),
    ],
)
def test_bad_capture_files_exit_2(cli, tmp_path: Path, text: str, message: str) -> None:
    target = tmp_path / "bad.jsonl"
    target.write_text(text, encoding="utf-8")
    result = cli("check", "mongo", MANIFEST, "--capture", target)
    assert result.code == 2
    assert message in result.err
    assert "Traceback" not in result.err


def test_missing_capture_file_exits_2(cli, tmp_path: Path) -> None:
    result = cli("check", "mongo", MANIFEST, "--capture", tmp_path / "none.jsonl")
    assert result.code == 2
    assert "capture file not found" in result.err
