"""The commit script leaves no trace when an effect would fail: no effect, no dedupe key, the entry pending."""

from __future__ import annotations

import json
import re
import textwrap
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import fakeredis
import pytest
import redis
from feedchat.reliability import dlq
from feedchat.reliability.fanout import fan_out, feed_key, latest_post_key, notifications_key
from feedchat.reliability.retry import RetryPolicy, is_retryable
from feedchat.reliability.workers import COMMIT, EFFECT_COMMANDS, Command, Event, Worker, decode

from tests.reliability.helpers import follow, notified

MAX_ATTEMPTS = 3


@pytest.fixture
def client(redis_server) -> redis.Redis:
    """A client of the session's real redis-server."""
    return redis.Redis.from_url(redis_server.url, decode_responses=True, socket_timeout=5)


def _worker(client: redis.Redis, *, name: str = "w1") -> Worker:
    run = uuid.uuid4().hex[:8]
    return Worker(
        client,
        fan_out,
        name=name,
        stream=f"test:{run}:events",
        group="fanout",
        dead_letters=f"test:{run}:dlq",
        policy=RetryPolicy(base=0.001, cap=0.01, max_attempts=MAX_ATTEMPTS),
        reclaim_idle_ms=0,
        block_ms=100,
    )


def _publish(worker: Worker, event_type: str, payload: dict[str, object]) -> tuple[str, str]:
    """Add one entry to the worker's stream and deliver it to the worker; return (entry ID, event ID)."""
    worker.client.xgroup_create(worker.stream, worker.group, id="0", mkstream=True)
    event_id = uuid.uuid4().hex
    entry = {"event_id": event_id, "type": event_type, "payload": json.dumps(payload)}
    message_id = worker.client.xadd(worker.stream, entry)
    assert [m for m, _ in worker.read()] == [message_id]
    return message_id, event_id


def decode_event(client: redis.Redis, worker: Worker, message_id: str) -> Event:
    """The event of a stream entry, as the worker decodes it."""
    return decode(message_id, client.xrange(worker.stream, message_id, message_id)[0][1])


def _event(message_id: str) -> Event:
    return Event(message_id, uuid.uuid4().hex, "test", {}, {})


def _delivered(worker: Worker) -> str:
    """A fresh entry, delivered to the worker and pending."""
    worker.client.xgroup_create(worker.stream, worker.group, id="$", mkstream=True)
    message_id = worker.client.xadd(worker.stream, {"x": "1"})
    worker.read()
    return message_id


def test_redis_keeps_the_writes_of_a_script_that_fails_half_way(client) -> None:
    """The premise: without the checks, a WRONGTYPE in the second command leaves the first one's write."""
    run = uuid.uuid4().hex[:8]
    client.set(f"{run}:string", "x")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        client.eval(
            "redis.call('RPUSH', KEYS[1], 'a'); redis.call('ZADD', KEYS[2], 1, 'm')", 2, f"{run}:list", f"{run}:string"
        )
    assert client.lrange(f"{run}:list", 0, -1) == ["a"]


def test_a_wrongtype_effect_is_refused_whole_dead_lettered_and_redriven_once(client, invariants) -> None:
    author, followers = f"author-{uuid.uuid4().hex[:6]}", [f"f1-{uuid.uuid4().hex[:6]}", f"f2-{uuid.uuid4().hex[:6]}"]
    follow(client, author, followers)
    client.set(feed_key(followers[0]), "not a sorted set")  # the 2nd effect, ZADD to this feed, would fail
    worker = _worker(client)
    one_attempt = threading.Event()
    one_attempt.set()  # the worker stops after one attempt per delivery instead of backing off and retrying
    message_id, event_id = _publish(worker, "post.created", {"post_id": "p1", "author": author, "created_ts": 5.0})
    assert [c[0] for c in fan_out(client, decode_event(client, worker, message_id))][:2] == ["SETIFNEWER", "ZADD"]

    assert worker.process(message_id, client.xrange(worker.stream)[0][1], one_attempt) == "left"
    assert not client.exists(latest_post_key(author)), "the first effect was not applied"
    assert client.zscore(feed_key(followers[1]), "p1") is None
    assert sum(notified(client, followers).values()) == 0
    assert not client.exists(worker.dedupe_key(event_id))
    pending = client.xpending_range(worker.stream, worker.group, "-", "+", 10)
    assert [p["message_id"] for p in pending] == [message_id]
    attempts = [json.loads(a) for a in client.lrange(worker.attempts_key(message_id), 0, -1)]
    assert len(attempts) == 1
    assert attempts[0]["error"].startswith("ResponseError: EFFECT WRONGTYPE ZADD")

    outcomes = [worker.process(m, f, one_attempt) for _ in range(2) for m, f in worker.reclaim()]
    assert outcomes == ["left", "dead"], "one attempt per delivery, dead-lettered at the third"
    letters = dlq.list_dead(client, stream=worker.dead_letters)
    assert [letter.fields["event_id"] for letter in letters] == [event_id]
    assert len(letters[0].attempts) == MAX_ATTEMPTS
    assert all("EFFECT WRONGTYPE ZADD" in a["error"] for a in letters[0].attempts)
    assert client.xpending(worker.stream, worker.group)["pending"] == 0
    assert not client.exists(latest_post_key(author)) and not client.exists(worker.dedupe_key(event_id))

    client.delete(feed_key(followers[0]))  # the fix
    moved = dlq.redrive(client, stream=worker.dead_letters, target=worker.stream)
    dlq_entry = client.xrange(worker.stream, moved[0], moved[0])[0][1]
    client.xadd(worker.stream, dlq_entry)  # a double redrive
    fixed = Worker(client, fan_out, name="w2", stream=worker.stream, group=worker.group, block_ms=100)
    assert [fixed.process(m, f) for m, f in fixed.read()] == ["applied", "duplicate"]
    assert client.hgetall(latest_post_key(author)) == {"version": "5.0", "post_id": "p1"}
    assert all(client.zscore(feed_key(f), "p1") == 5.0 for f in followers)
    seen = notified(client, followers)
    assert seen == {(f, event_id): 1 for f in followers}
    assert client.xpending(worker.stream, worker.group)["pending"] == 0
    invariants(attempts=len(letters[0].attempts), dead_letters=len(letters), effects=len(seen), duplicates=0)


REFUSED: list[tuple[list[Command], str]] = [
    ([("INCR", "{k}:counter")], "unknown command INCR"),
    ([("del", "{k}:list")], "unknown command DEL"),
    ([("ZADD", "{k}:string", 1, "m")], "WRONGTYPE ZADD {k}:string holds a string, not a zset"),
    ([("SET", "{k}:new", "v"), ("RPUSH", "{k}:new", "x")], "WRONGTYPE RPUSH {k}:new would hold a string"),
    ([("ZADD", "{k}:z", "nan", "m")], "bad arguments for ZADD"),
    ([("ZADD", "{k}:z", "1e400", "m")], "bad arguments for ZADD"),
    ([("ZADD", "{k}:z", "0x10", "m")], "bad arguments for ZADD"),
    ([("ZADD", "{k}:z", "NX", 1, "m")], "bad arguments for ZADD"),
    ([("ZADD", "{k}:z", 1)], "bad arguments for ZADD"),
    ([("LTRIM", "{k}:list", "1.5", 2)], "bad arguments for LTRIM"),
    ([("ZREMRANGEBYRANK", "{k}:z", "01", 2)], "bad arguments for ZREMRANGEBYRANK"),
    ([("HSET", "{k}:h", "field")], "bad arguments for HSET"),
    ([("EXPIRE", "{k}:list", 0)], "bad arguments for EXPIRE"),
    ([("SET", "{k}:s", "v", "EX", 10)], "bad arguments for SET"),
    ([("SETIFNEWER", "{k}:h", 1, "version", "x")], "bad arguments for SETIFNEWER"),
    ([("SETIFNEWER", "{k}:h", "inf", "post_id", "x")], "bad arguments for SETIFNEWER"),
    ([("SETIFNEWER", "{k}:garbled", 1, "post_id", "x")], "SETIFNEWER {k}:garbled has version soon"),
    ([("RPUSH", "{stream}", "x")], "RPUSH on a key of the commit itself"),
    ([("RPUSH",)], "malformed effect list"),
]


@pytest.mark.parametrize(("effects", "reason"), REFUSED, ids=[r for _, r in REFUSED])
def test_a_refused_effect_writes_nothing(client, effects: list[Command], reason: str) -> None:
    worker = _worker(client)
    k = f"test:{uuid.uuid4().hex[:8]}"
    client.set(f"{k}:string", "x")
    client.hset(f"{k}:garbled", "version", "soon")
    message_id = _delivered(worker)
    event = _event(message_id)
    names = {"k": k, "stream": worker.stream}
    concrete = [tuple(str(a).format(**names) for a in effect) for effect in effects]
    before = sorted(client.scan_iter(f"{k}:*"))
    with pytest.raises(redis.ResponseError) as caught:
        worker.commit(event, [("RPUSH", f"{k}:first", "a"), *concrete])
    assert str(caught.value).startswith("EFFECT ")
    assert reason.format(**names) in str(caught.value)
    assert not is_retryable(caught.value), "the message's fault: counted as an attempt, then dead-lettered"
    assert sorted(client.scan_iter(f"{k}:*")) == before, "the valid first effect was not applied either"
    assert not client.exists(worker.dedupe_key(event.event_id))
    assert client.xpending(worker.stream, worker.group)["pending"] == 1


def test_a_bad_ttl_or_a_stream_key_of_another_type_is_refused(client) -> None:
    worker = _worker(client)
    k = f"test:{uuid.uuid4().hex[:8]}"
    message_id = _delivered(worker)
    worker.dedupe_ttl_seconds = 0
    with pytest.raises(redis.ResponseError, match=r"^EFFECT bad dedupe TTL 0$"):
        worker.commit(_event(message_id), [("RPUSH", f"{k}:list", "a")])
    elsewhere = _worker(client)
    client.set(elsewhere.stream, "not a stream")
    with pytest.raises(redis.ResponseError, match=f"^EFFECT {re.escape(elsewhere.stream)} is a string$"):
        elsewhere.commit(_event("1-0"), [("RPUSH", f"{k}:list", "a")])
    assert not client.exists(f"{k}:list")


def test_values_redis_accepts_are_accepted(client) -> None:
    worker = _worker(client)
    k = f"test:{uuid.uuid4().hex[:8]}"
    scores = ["inf", "-inf", "+5", ".5", "1.", "1e+20", "1.5e-07", "0", "-0.0", 17.5, 3]
    effects: list[Command] = [("ZADD", f"{k}:z", s, f"m{n}") for n, s in enumerate(scores)]
    effects += [
        ("zrem", f"{k}:z", "m0"),
        ("ZREMRANGEBYRANK", f"{k}:z", 0, 0),
        ("LPUSH", f"{k}:list", "b"),
        ("RPUSH", f"{k}:list", "c", "d"),
        ("LTRIM", f"{k}:list", 0, -2),
        ("SADD", f"{k}:set", "a", "b"),
        ("SREM", f"{k}:set", "a"),
        ("HSET", f"{k}:hash", "a", 1, "b", 2),
        ("SET", f"{k}:string", "v"),
        ("EXPIRE", f"{k}:string", 60),
        ("EXPIRE", f"{k}:missing", 60),
    ]
    assert worker.commit(_event(_delivered(worker)), effects) is True
    assert client.zcard(f"{k}:z") == len(scores) - 2
    assert client.zscore(f"{k}:z", "m1") is None, "ZREMRANGEBYRANK 0 0 removed -inf"
    assert client.lrange(f"{k}:list", 0, -1) == ["b", "c"]
    assert client.smembers(f"{k}:set") == {"b"}
    assert client.hgetall(f"{k}:hash") == {"a": "1", "b": "2"}
    assert 0 < client.ttl(f"{k}:string") <= 60


def test_applied_once_then_acknowledged_as_a_duplicate(client) -> None:
    worker = _worker(client)
    k = f"test:{uuid.uuid4().hex[:8]}"
    first = _delivered(worker)
    client.rpush(worker.attempts_key(first), json.dumps({"error": "earlier failure"}))
    event = Event(first, uuid.uuid4().hex, "test", {}, {})
    assert worker.commit(event, [("RPUSH", f"{k}:list", "a")]) is True
    assert client.get(worker.dedupe_key(event.event_id)) == first
    assert 0 < client.ttl(worker.dedupe_key(event.event_id)) <= worker.dedupe_ttl_seconds
    assert not client.exists(worker.attempts_key(first))
    second = worker.client.xadd(worker.stream, {"x": "2"})
    worker.read()
    again = Event(second, event.event_id, "test", {}, {})
    assert worker.commit(again, [("RPUSH", f"{k}:list", "a"), ("INCR", "not checked on a duplicate")]) is False
    assert client.lrange(f"{k}:list", 0, -1) == ["a"]
    assert client.xpending(worker.stream, worker.group)["pending"] == 0


def test_oom_stops_the_script_before_its_first_write_and_is_retried(own_redis_server) -> None:
    client = redis.Redis.from_url(own_redis_server.url, decode_responses=True, socket_timeout=5)
    author = "oom-author"
    follow(client, author, ["oom-f1"])
    worker = _worker(client)
    message_id, event_id = _publish(worker, "post.created", {"post_id": "p1", "author": author, "created_ts": 1.0})
    fields = client.xrange(worker.stream)[0][1]
    client.config_set("maxmemory", 1)  # noeviction: every memory-growing command is refused
    try:
        with pytest.raises(redis.exceptions.OutOfMemoryError) as caught:
            worker.process(message_id, fields)
        assert is_retryable(caught.value), "an infrastructure error: the entry stays pending, no attempt is counted"
    finally:
        client.config_set("maxmemory", 0)
    assert not client.exists(latest_post_key(author), feed_key("oom-f1"), notifications_key("oom-f1"))
    assert not client.exists(worker.dedupe_key(event_id), worker.attempts_key(message_id))
    assert client.xpending(worker.stream, worker.group)["pending"] == 1
    assert worker.process(message_id, fields) == "applied"
    assert client.zscore(feed_key("oom-f1"), "p1") == 1.0


@pytest.fixture
def embedded() -> Iterator[fakeredis.FakeRedis]:
    """The embedded fakeredis server the service uses without ``REDIS_URL``."""
    server = fakeredis.FakeRedis(decode_responses=True)
    yield server
    server.close()


def test_the_embedded_fakeredis_server_runs_the_same_script(embedded) -> None:
    worker = _worker(embedded)
    follow(embedded, "ann", ["bo"])
    embedded.rpush(feed_key("bo"), "a list, not a sorted set")
    message_id, event_id = _publish(worker, "post.created", {"post_id": "p1", "author": "ann", "created_ts": 2.0})
    event = decode_event(embedded, worker, message_id)
    with pytest.raises(redis.ResponseError, match="EFFECT WRONGTYPE ZADD"):
        worker.commit(event, fan_out(embedded, event))
    assert not embedded.exists(latest_post_key("ann"), worker.dedupe_key(event_id))
    embedded.delete(feed_key("bo"))
    assert worker.commit(event, fan_out(embedded, event)) is True
    assert worker.commit(event, fan_out(embedded, event)) is False
    assert embedded.hgetall(latest_post_key("ann")) == {"version": "2.0", "post_id": "p1"}
    assert notified(embedded, ["bo"]) == {("bo", event_id): 1}


def test_the_allow_list_matches_the_script() -> None:
    specs = dict(re.findall(r"^  (\w+) = \{(?:'(\w+)'|nil), ", COMMIT, flags=re.MULTILINE))
    assert {name: kind or None for name, kind in specs.items()} == EFFECT_COMMANDS


def test_response_errors_about_the_server_are_retried_and_the_rest_are_not() -> None:
    retried = [
        redis.exceptions.NoScriptError("No matching script"),
        redis.exceptions.OutOfMemoryError("command not allowed when used memory > 'maxmemory'"),
        redis.exceptions.ReadOnlyError("You can't write against a read only replica."),
        redis.exceptions.ResponseError("BUSY Redis is busy running a script."),
        redis.exceptions.ResponseError("MISCONF Redis is configured to save RDB snapshots"),
        redis.exceptions.ConnectionError("Connection refused"),
    ]
    final = [
        redis.exceptions.ResponseError("WRONGTYPE Operation against a key holding the wrong kind of value"),
        redis.exceptions.ResponseError("EFFECT WRONGTYPE ZADD feed holds a string, not a zset"),
        redis.exceptions.ResponseError("ERR value is not a valid float"),
        ValueError("malformed stream entry"),
    ]
    assert [is_retryable(e) for e in retried] == [True] * len(retried)
    assert [is_retryable(e) for e in final] == [False] * len(final)


def test_the_docs_quote_the_script_verbatim() -> None:
    page = Path(__file__).resolve().parents[2] / "docs" / "reliability" / "idempotency.md"
    quoted = re.search(r"^( *)```lua\n(.*?)^\1```", page.read_text(encoding="utf-8"), flags=re.DOTALL | re.MULTILINE)
    assert quoted, "idempotency.md quotes the commit script"
    lines = textwrap.dedent(quoted.group(2)).splitlines()
    assert "\n".join(line for line in lines if not line.startswith("-- KEYS")).strip() == COMMIT.strip()
