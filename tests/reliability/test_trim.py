"""Stream retention on a real redis-server: only entries every group acknowledged and older than the retention go."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import redis
from click.testing import CliRunner
from feedchat.reliability.cli import main
from feedchat.reliability.relay import Relay
from feedchat.reliability.streams import DEAD_LETTERS, GROUP, STREAM, StreamSettings, trim_acknowledged, trim_floor
from feedchat.settings import SettingsError

from tests.reliability.helpers import outbox, wait_until

OLD_MS = 1_000_000
"""Entry IDs in January 1970: far older than any retention."""
HOUR_MS = 3_600_000


@pytest.fixture
def client(redis_server) -> Iterator[redis.Redis]:
    """A client of the session's redis-server, flushed before and after the test."""
    connection = redis.Redis.from_url(redis_server.url, decode_responses=True, socket_timeout=5)
    connection.flushdb()
    yield connection
    connection.flushdb()
    connection.close()


def _old_entries(client: redis.Redis, count: int, stream: str = STREAM) -> list[str]:
    """``count`` entries with IDs in 1970, oldest first."""
    return [str(client.xadd(stream, {"n": str(n)}, id=f"{OLD_MS + n}-0")) for n in range(count)]


def _deliver(client: redis.Redis, count: int, group: str = GROUP) -> list[str]:
    """Deliver the next ``count`` entries to ``group`` (they become pending); their IDs."""
    reply = client.xreadgroup(group, "c1", {STREAM: ">"}, count=count)
    return [entry_id for _stream, entries in reply for entry_id, _fields in entries]


def _remaining(client: redis.Redis) -> list[str]:
    return [entry_id for entry_id, _fields in client.xrange(STREAM)]


def _group(client: redis.Redis, name: str = GROUP) -> None:
    client.xgroup_create(STREAM, name, id="0", mkstream=True)


def test_acknowledged_entries_older_than_the_retention_are_trimmed(client: redis.Redis) -> None:
    old = _old_entries(client, 10)
    _group(client)
    recent = [str(client.xadd(STREAM, {"n": "recent"})) for _ in range(3)]
    assert _deliver(client, 100) == old + recent
    client.xack(STREAM, GROUP, *old, *recent)
    assert trim_acknowledged(client, STREAM, HOUR_MS, approximate=False) == 10
    assert _remaining(client) == recent, "acknowledged but younger than the retention: kept"
    assert trim_acknowledged(client, STREAM, HOUR_MS, approximate=False) == 0


def test_a_pending_entry_and_everything_after_it_survive(client: redis.Redis) -> None:
    ids = _old_entries(client, 10)
    _group(client)
    assert _deliver(client, 10) == ids
    client.xack(STREAM, GROUP, *(i for i in ids if i != ids[4]))
    assert trim_floor(client, STREAM, HOUR_MS) == ids[4]
    assert trim_acknowledged(client, STREAM, HOUR_MS, approximate=False) == 4
    assert _remaining(client) == ids[4:]
    claimed = client.xclaim(STREAM, GROUP, "c2", 0, [ids[4]])
    assert [entry_id for entry_id, _fields in claimed] == [ids[4]], "the pending entry can still be processed"


def test_undelivered_entries_survive(client: redis.Redis) -> None:
    ids = _old_entries(client, 10)
    _group(client)
    client.xack(STREAM, GROUP, *_deliver(client, 6))
    assert trim_acknowledged(client, STREAM, HOUR_MS, approximate=False) == 6
    assert _remaining(client) == ids[6:]
    assert _deliver(client, 100) == ids[6:], "the group still gets every entry it was not given yet"


def test_a_lagging_second_group_holds_the_trim_back(client: redis.Redis) -> None:
    ids = _old_entries(client, 10)
    _group(client, "fast")
    _group(client, "slow")
    client.xack(STREAM, "fast", *_deliver(client, 10, "fast"))
    client.xack(STREAM, "slow", *_deliver(client, 3, "slow"))
    assert trim_acknowledged(client, STREAM, HOUR_MS, approximate=False) == 3
    assert _remaining(client) == ids[3:]
    assert _deliver(client, 100, "slow") == ids[3:]


def test_a_stream_without_groups_and_a_missing_stream_are_left_alone(client: redis.Redis) -> None:
    assert trim_acknowledged(client, STREAM, HOUR_MS, approximate=False) == 0
    ids = _old_entries(client, 10)
    assert trim_floor(client, STREAM, HOUR_MS) is None
    assert trim_acknowledged(client, STREAM, HOUR_MS, approximate=False) == 0
    assert _remaining(client) == ids


def test_approximate_trimming_drops_whole_nodes_and_never_a_pending_entry(client: redis.Redis) -> None:
    ids = _old_entries(client, 350)
    _group(client)
    assert _deliver(client, 350) == ids
    client.xack(STREAM, GROUP, *(i for i in ids if i != ids[250]))
    approximate = trim_acknowledged(client, STREAM, HOUR_MS)
    assert approximate == 200, (
        "two whole nodes of 100 entries (stream-node-max-entries); the third holds the pending one"
    )
    assert _remaining(client) == ids[approximate:]
    assert trim_acknowledged(client, STREAM, HOUR_MS, approximate=False) == 250 - approximate
    assert _remaining(client) == ids[250:]


def test_the_relay_trims_the_stream_but_never_the_dead_letters(client: redis.Redis) -> None:
    ids = _old_entries(client, 250)
    dead = _old_entries(client, 5, DEAD_LETTERS)
    _group(client)
    client.xack(STREAM, GROUP, *_deliver(client, 250))
    relay = Relay(outbox(), client, retention_ms=HOUR_MS, trim_every=0.05)
    stop = threading.Event()
    running = threading.Thread(target=relay.run, args=(stop,), kwargs={"idle_seconds": 0.01})
    running.start()
    try:
        assert wait_until(lambda: relay.trimmed == len(ids), timeout=10), f"trimmed {relay.trimmed}"
    finally:
        stop.set()
        running.join(timeout=5)
    assert not running.is_alive()
    assert client.xlen(STREAM) == 0
    assert [i for i, _f in client.xrange(DEAD_LETTERS)] == dead, "dead letters wait for a person"


def test_the_relay_keeps_publishing_when_the_stream_is_missing(client: redis.Redis) -> None:
    box = outbox()
    relay = Relay(box, client, retention_ms=HOUR_MS, trim_every=0.01)
    stop = threading.Event()
    running = threading.Thread(target=relay.run, args=(stop,), kwargs={"idle_seconds": 0.01})
    running.start()
    try:
        box.add("post.created", {"post_id": "p1", "author": "ada", "created_ts": 1.0})
        assert wait_until(lambda: relay.published == 1, timeout=5)
    finally:
        stop.set()
        running.join(timeout=5)
    assert client.xlen(STREAM) == 1 and relay.trimmed == 0


def test_streams_trim_command(client: redis.Redis, redis_server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", redis_server.url)
    ids = _old_entries(client, 10)
    _group(client)
    client.xack(STREAM, GROUP, *_deliver(client, 7))
    result = CliRunner().invoke(main, ["streams", "trim", "--retention", "3600", "--exact"])
    assert result.exit_code == 0, result.output
    assert result.output == f"trimmed 7 entries of {STREAM} (retention 3600 s)\n"
    assert _remaining(client) == ids[7:]
    monkeypatch.setenv("FEEDCHAT_EVENTS_RETENTION_SECONDS", "0")
    refused = CliRunner().invoke(main, ["streams", "trim"])
    assert refused.exit_code == 1
    assert refused.output == "Error: FEEDCHAT_EVENTS_RETENTION_SECONDS='0' must be a finite number greater than 0\n"


def test_retention_settings_come_from_the_environment() -> None:
    assert StreamSettings.from_env({}).retention_ms == 7 * 24 * 3600 * 1000
    got = StreamSettings.from_env(
        {"FEEDCHAT_EVENTS_RETENTION_SECONDS": "90", "FEEDCHAT_EVENTS_TRIM_INTERVAL_SECONDS": "2.5"}
    )
    assert (got.retention_ms, got.trim_interval_seconds) == (90_000, 2.5)
    with pytest.raises(SettingsError, match="FEEDCHAT_EVENTS_TRIM_INTERVAL_SECONDS='soon' is not a number"):
        StreamSettings.from_env({"FEEDCHAT_EVENTS_TRIM_INTERVAL_SECONDS": "soon"})
