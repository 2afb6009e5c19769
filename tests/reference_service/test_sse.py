"""streamMessages in process: replay after Last-Event-ID, live delivery, gaps in the sequence, bad input, settings."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from feedchat.cli import main
from feedchat.ratelimit import POLICIES
from feedchat.routes.stream import Cursor, start_position, wants_live_stream
from feedchat.settings import EventStreamSettings, Settings, SettingsError
from feedchat.storage import Store

from tests.reliability.sse import Comment, Event, Retry, parse

from .conftest import CheckedClient

LIVE = {"Accept": "text/event-stream"}
GAP_SECONDS = 0.4


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Streams of at most one second that poll every 20 ms and wait 0.4 s on a gap."""
    return Settings(
        dev_keys_dir=tmp_path / "dev-keys",
        rate_limits=dict.fromkeys(POLICIES, "100000/minute"),
        streams=EventStreamSettings(max_seconds=1.0, poll_seconds=0.02, gap_seconds=GAP_SECONDS, heartbeat_seconds=0.3),
    )


@pytest.fixture
def store(app: FastAPI) -> Store:
    return app.state.store  # type: ignore[no-any-return]


@pytest.fixture
def room(store: Store) -> str:
    return str(store.create_room("general", None, "alice")["id"])


def path(room_id: str) -> str:
    return f"/v1/rooms/{room_id}/stream"


def events(text: str) -> list[Event]:
    return [item for item in parse(text.splitlines()) if isinstance(item, Event)]


def test_replays_the_messages_after_last_event_id_in_order(client: CheckedClient, store: Store, room: str) -> None:
    posted = [store.create_message(room, "alice", f"m{n}") for n in range(5)]
    response = client.get(path(room), headers={"Last-Event-ID": "2"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    got = events(response.text)
    assert [e.id for e in got] == ["3", "4", "5"]
    assert {e.type for e in got} == {"message"}
    stamps = [m["created_at"].isoformat().replace("+00:00", "Z") for m in posted[2:]]
    assert [e.data for e in got] == [
        f'{{"id":"{m["id"]}","room_id":"{room}","author":"alice","body":"m{n}","created_at":"{stamp}"}}'
        for n, (m, stamp) in enumerate(zip(posted[2:], stamps, strict=True), start=2)
    ]
    assert Retry(1000) in list(parse(response.text.splitlines()))


def test_last_event_id_zero_replays_the_room_from_its_first_message(
    client: CheckedClient, store: Store, room: str
) -> None:
    for n in range(3):
        store.create_message(room, "bob", f"m{n}")
    other = store.create_room("other", None, "bob")["id"]
    store.create_message(other, "bob", "elsewhere")
    assert [e.id for e in events(client.get(path(room), headers={"Last-Event-ID": "0"}).text)] == ["1", "2", "3"]
    assert [e.id for e in events(client.get(path(other), headers={"Last-Event-ID": "0"}).text)] == ["1"]


def test_more_than_a_page_is_replayed_page_by_page(client: CheckedClient, store: Store, room: str) -> None:
    for n in range(230):
        store.create_message(room, "alice", f"m{n}")
    got = events(client.get(path(room), headers={"Last-Event-ID": "5"}).text)
    assert [int(e.id) for e in got] == list(range(6, 231))


def test_without_last_event_id_a_stream_starts_at_the_room_end(client: CheckedClient, store: Store, room: str) -> None:
    store.create_message(room, "alice", "before")
    assert events(client.get(path(room)).text) == []


def post_later(store: Store, room: str, delay: float, body: str) -> threading.Thread:
    def post() -> None:
        time.sleep(delay)
        store.create_message(room, "bob", body)

    thread = threading.Thread(target=post)
    thread.start()
    return thread


def test_a_live_stream_delivers_new_messages_then_ends_at_its_maximum_duration(
    client: CheckedClient, store: Store, room: str
) -> None:
    store.create_message(room, "alice", "old")
    writer = post_later(store, room, 0.2, "new")
    started = time.monotonic()
    response = client.get(path(room), headers=LIVE)
    took = time.monotonic() - started
    writer.join()
    items = list(parse(response.text.splitlines()))
    got = [i for i in items if isinstance(i, Event)]
    assert [(e.id, e.data.count('"body":"new"')) for e in got] == [("2", 1)]
    assert Comment("heartbeat") in items
    assert items[-1] == Comment("the stream reached its maximum duration; reconnect with Last-Event-ID")
    assert 1.0 <= took < 3.0


def test_an_id_beyond_the_room_end_starts_at_the_end(client: CheckedClient, store: Store, room: str) -> None:
    store.create_message(room, "alice", "one")
    writer = post_later(store, room, 0.2, "two")
    response = client.get(path(room), headers={**LIVE, "Last-Event-ID": "9" * 20})
    writer.join()
    assert [e.id for e in events(response.text)] == ["2"]


def burn(store: Store, room: str) -> None:
    """Draw a sequence number and never insert its message, as a writer that dies in between would."""
    store.shapes.query("rooms", "nextMessageSeq", id=room)


def test_a_fresh_gap_holds_the_stream_back_until_it_is_settled(client: CheckedClient, store: Store, room: str) -> None:
    store.create_message(room, "alice", "one")
    burn(store, room)
    store.create_message(room, "alice", "three")
    # A request that does not hold the stream open ends at the gap: the missing message may still come.
    assert [e.id for e in events(client.get(path(room), headers={"Last-Event-ID": "0"}).text)] == ["1"]
    started = time.monotonic()
    response = client.get(path(room), headers={**LIVE, "Last-Event-ID": "0"})
    assert [e.id for e in events(response.text)] == ["1", "3"]
    assert time.monotonic() - started >= GAP_SECONDS


def test_an_old_gap_is_skipped_at_once(client: CheckedClient, store: Store, room: str) -> None:
    burn(store, room)
    message = store.create_message(room, "alice", "two")
    store.messages.update_one(
        {"_id": message["id"]}, {"$set": {"created_at": datetime.now(UTC) - timedelta(minutes=1)}}
    )
    assert [e.id for e in events(client.get(path(room), headers={"Last-Event-ID": "0"}).text)] == ["2"]


def test_a_late_insert_fills_its_gap_before_later_messages_go_out() -> None:
    cursor = Cursor(after=4)
    fresh = {"created_at": datetime.now(UTC)}
    assert cursor.take([(6, fresh), (7, fresh)], now=100.0, grace=5) == []
    assert cursor.after == 4 and cursor.gap_since == 100.0
    assert [s for s, _ in cursor.take([(5, fresh), (6, fresh), (7, fresh)], now=101.0, grace=5)] == [5, 6, 7]
    assert cursor.after == 7 and cursor.gap_since is None
    assert cursor.take([(9, fresh)], now=102.0, grace=5) == []
    assert [s for s, _ in cursor.take([(9, fresh)], now=107.0, grace=5)] == [9], "waited out the grace"


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Last-Event-ID": "forty-two"}, 422),
        ({"Last-Event-ID": "1" * 21}, 422),
        ({"Last-Event-ID": "-1"}, 422),
    ],
)
def test_a_malformed_last_event_id_is_a_problem(
    client: CheckedClient, room: str, headers: dict[str, str], status: int
) -> None:
    response = client.get(path(room), headers=headers)
    assert response.status_code == status
    assert response.json()["errors"][0]["pointer"] == "/Last-Event-ID"


def test_an_unknown_room_is_404(client: CheckedClient) -> None:
    assert client.get(path("665f1c2ab1e4d2a9c8f0b999"), headers=LIVE).status_code == 404


def test_streams_are_public_and_bounded_per_client(client: CheckedClient, app: FastAPI, room: str) -> None:
    registry = app.state.streams
    for _ in range(registry.max_per_client):
        assert registry.acquire("testclient")
    try:
        refused = client.get(path(room), headers=LIVE)
        assert refused.status_code == 429 and refused.headers["retry-after"] == "5"
        assert client.get(path(room)).status_code == 200, "only live streams count"
    finally:
        for _ in range(registry.max_per_client):
            registry.release("testclient")
    assert registry.total == 0
    assert client.get(path(room), headers=LIVE).status_code == 200
    assert registry.total == 0, "a stream that ended gave its slot back"


@pytest.mark.parametrize(
    ("accept", "live"),
    [
        ("text/event-stream", True),
        ("TEXT/EVENT-STREAM; q=1", True),
        ("application/json, text/event-stream;q=0.9", True),
        ("*/*", False),
        ("text/*", False),
        ("", False),
    ],
)
def test_only_an_accept_naming_the_event_stream_gets_a_live_stream(accept: str, live: bool) -> None:
    assert wants_live_stream(accept) is live


def test_start_position() -> None:
    assert start_position(None, 7) == 7
    assert start_position("3", 7) == 3
    assert start_position("0", 7) == 0
    assert start_position("99999999999999999999", 7) == 7


def test_store_numbers_messages_per_room(store: Store) -> None:
    first = store.create_room("first", None, "alice")["id"]
    second = store.create_room("second", None, "alice")["id"]
    for n in range(3):
        store.create_message(first, "alice", f"a{n}")
    store.create_message(second, "alice", "b0")
    assert [s for s, _ in store.messages_after(first, 0, 10)] == [1, 2, 3]
    assert [s for s, _ in store.messages_after(first, 1, 1)] == [2]
    assert [s for s, _ in store.messages_after(second, 0, 10)] == [1]
    assert store.room_position(first) == 3 and store.room_position("nope") is None
    assert "seq" not in store.messages_after(first, 0, 1)[0][1], "the position is the event ID, not a Message field"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"FEEDCHAT_STREAM_MAX_SECONDS": "soon"}, "FEEDCHAT_STREAM_MAX_SECONDS='soon' is not a number"),
        (
            {"FEEDCHAT_STREAM_POLL_SECONDS": "0"},
            "FEEDCHAT_STREAM_POLL_SECONDS='0' must be a finite number greater than 0",
        ),
        ({"FEEDCHAT_STREAM_GAP_SECONDS": "inf"}, "must be a finite number greater than 0"),
        ({"FEEDCHAT_STREAM_MAX_PER_CLIENT": "2.5"}, "FEEDCHAT_STREAM_MAX_PER_CLIENT='2.5' is not a whole number"),
    ],
)
def test_bad_stream_settings_are_one_line_errors(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message.replace("(", r"\(")):
        Settings.from_env(env)
    result = CliRunner().invoke(main, ["token", "--sub", "alice"], env=env)
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and message in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_stream_settings_come_from_the_environment() -> None:
    got = Settings.from_env(
        {"FEEDCHAT_STREAM_MAX_SECONDS": "30", "FEEDCHAT_STREAM_RETRY_MS": "2500", "FEEDCHAT_STREAM_MAX_PER_CLIENT": "2"}
    ).streams
    assert (got.max_seconds, got.retry_ms, got.max_per_client) == (30.0, 2500, 2)
    assert got.heartbeat_seconds == EventStreamSettings().heartbeat_seconds == 15.0
