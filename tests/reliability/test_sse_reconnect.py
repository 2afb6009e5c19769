"""The room message stream under reconnects: a reader that keeps dropping its connection and resuming with
Last-Event-ID, against the service running as a real process, misses nothing and sees nothing twice."""

from __future__ import annotations

import json
import random
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.feedchat_process import FeedchatProcess, start_feedchat

from .sse import Comment, Event, Retry, parse

RATE_LIMITS = "address=100000/minute,creates=100000/minute,writes=100000/minute"
MAX_PER_CLIENT = 3
WRITERS = ("alice", "bob")
PER_WRITER = 100
SEED = 20240605


def start(folder: Path, **stream_env: str) -> FeedchatProcess:
    """The service with ``FEEDCHAT_STREAM_*`` overrides."""
    return start_feedchat(folder, rate_limits=RATE_LIMITS, **stream_env)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FeedchatProcess]:
    """Short polls and 2-second streams, so that the server also ends streams while the reader waits."""
    running = start(
        tmp_path_factory.mktemp("sse"),
        FEEDCHAT_STREAM_POLL_SECONDS="0.05",
        FEEDCHAT_STREAM_MAX_SECONDS="2",
        FEEDCHAT_STREAM_HEARTBEAT_SECONDS="0.5",
        FEEDCHAT_STREAM_MAX_PER_CLIENT=str(MAX_PER_CLIENT),
    )
    try:
        yield running
    finally:
        running.stop()


def new_room(service: FeedchatProcess, name: str) -> str:
    response = httpx.post(f"{service.url}/v1/rooms", json={"name": name}, headers=service.auth("alice"))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


@dataclass
class Reading:
    """What the reader saw."""

    messages: list[dict[str, object]] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)
    reconnects: int = 0
    ended_by_server: int = 0
    heartbeats: int = 0
    retry_hints: int = 0


def write(service: FeedchatProcess, room: str, sub: str, count: int, posted: list[str], rng: random.Random) -> None:
    """Post ``count`` messages as ``sub``, one after the other, with short random pauses."""
    with httpx.Client(base_url=service.url, headers=service.auth(sub), timeout=10) as http:
        for n in range(count):
            response = http.post(f"/v1/rooms/{room}/messages", json={"body": f"{sub} {n}"})
            assert response.status_code == 201, response.text
            posted.append(str(response.json()["id"]))
            time.sleep(rng.uniform(0, 0.01))


def read(
    service: FeedchatProcess,
    room: str,
    done: Callable[[Reading], bool],
    rng: random.Random,
    seconds: float,
    last: str = "0",
) -> Reading:
    """From ``last``: connect, read a random number of events, drop the connection, resume with Last-Event-ID;
    until ``done``."""
    seen = Reading()
    deadline = time.monotonic() + seconds
    with httpx.Client(base_url=service.url, timeout=httpx.Timeout(10)) as http:
        while not done(seen) and time.monotonic() < deadline:
            wanted = rng.randint(1, 12)
            got = 0
            headers = {"Accept": "text/event-stream", "Last-Event-ID": last}
            with http.stream("GET", f"/v1/rooms/{room}/stream", headers=headers) as response:
                assert response.status_code == 200, response.read()
                assert response.headers["content-type"].startswith("text/event-stream")
                ended = True
                for item in parse(response.iter_lines()):
                    if isinstance(item, Retry):
                        seen.retry_hints += 1
                    elif isinstance(item, Comment):
                        seen.heartbeats += item.text == "heartbeat"
                    elif isinstance(item, Event):
                        assert item.type == "message"
                        seen.messages.append(json.loads(item.data))
                        seen.ids.append(int(item.id))
                        last = item.id
                        got += 1
                        if got >= wanted or done(seen):
                            ended = False
                            break
                seen.ended_by_server += ended
            seen.reconnects += 1
    return seen


def test_reader_that_keeps_reconnecting_gets_every_message_once_in_order(
    service: FeedchatProcess, invariants: Callable[..., None]
) -> None:
    room = new_room(service, "reconnects")
    rng = random.Random(SEED)
    posted: dict[str, list[str]] = {sub: [] for sub in WRITERS}
    writers = [
        threading.Thread(
            target=write, args=(service, room, sub, PER_WRITER, posted[sub], random.Random(f"{SEED}{sub}"))
        )
        for sub in WRITERS
    ]
    for thread in writers:
        thread.start()
    published = len(WRITERS) * PER_WRITER

    def done(seen: Reading) -> bool:
        return not any(t.is_alive() for t in writers) and len({m["id"] for m in seen.messages}) >= published

    seen = read(service, room, done, rng, seconds=90)
    for thread in writers:
        thread.join(timeout=30)
    # Let the server end two idle streams by itself (2-second maximum), with heartbeats in between.
    idle = read(service, room, lambda s: s.ended_by_server >= 2, rng, seconds=10, last=str(seen.ids[-1]))

    received = [str(m["id"]) for m in seen.messages]
    counts = Counter(received)
    duplicates = sum(n - 1 for n in counts.values())
    everything = {i for ids in posted.values() for i in ids}
    lost = len(everything - set(received))
    reconnects = seen.reconnects - 1 + idle.reconnects
    print(f"published={published} received={len(received)} duplicates={duplicates} lost={lost} reconnects={reconnects}")
    invariants(published=published, received=len(received), duplicates=duplicates, lost=lost, reconnects=reconnects)

    assert sum(len(ids) for ids in posted.values()) == published
    assert duplicates == 0 and lost == 0 and len(received) == published
    assert set(received) == everything
    assert seen.ids == sorted(seen.ids) and len(set(seen.ids)) == len(seen.ids), "event IDs grow strictly"
    assert seen.ids == list(range(1, published + 1))
    for sub, ids in posted.items():
        assert [m for m in received if m in set(ids)] == ids, f"{sub}'s messages arrive in the order they were posted"
    assert all(m["room_id"] == room for m in seen.messages)
    assert reconnects >= 20
    assert idle.messages == [] and idle.ended_by_server >= 2 and idle.heartbeats >= 2
    assert seen.retry_hints == seen.reconnects


def test_open_streams_are_bounded_per_client_and_released_on_disconnect(service: FeedchatProcess) -> None:
    room = new_room(service, "bounded")
    headers = {"Accept": "text/event-stream"}
    with httpx.Client(base_url=service.url, timeout=10) as http:
        path = f"/v1/rooms/{room}/stream"

        def fill() -> list[httpx.Response]:
            opened = []
            for _ in range(MAX_PER_CLIENT):
                request = http.build_request("GET", path, headers=headers)
                response = http.send(request, stream=True)
                assert response.status_code == 200
                opened.append(response)
            return opened

        opened = fill()
        refused = http.get(path, headers=headers)
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.headers["retry-after"] == "5"
        assert http.get(path).status_code == 200, "a request that does not ask for a live stream is not bounded"
        for response in opened:
            response.close()
        # The server notices the dropped connections within a poll and frees the slots.
        deadline = time.monotonic() + 5
        while http.get(path, headers=headers, timeout=10).status_code == 429 and time.monotonic() < deadline:
            time.sleep(0.1)
        for response in fill():
            response.close()


def test_shutdown_ends_open_streams_promptly(tmp_path: Path) -> None:
    running = start(tmp_path)  # default settings: a stream would stay open for 5 minutes
    try:
        room = new_room(running, "shutdown")
        with httpx.stream(
            "GET",
            f"{running.url}/v1/rooms/{room}/stream",
            headers={"Accept": "text/event-stream"},
            timeout=10,
        ) as response:
            lines = response.iter_lines()
            assert next(lines) == "retry: 1000"
            started = time.monotonic()
            running.proc.send_signal(signal.SIGTERM)
            rest = list(parse(lines))
            ended_after = time.monotonic() - started
        assert Comment("the server is shutting down; reconnect with Last-Event-ID") in rest
        # uvicorn re-raises the signal it handled once it has shut down cleanly.
        assert running.proc.wait(timeout=10) == -signal.SIGTERM
        assert "Application shutdown complete" in running.log.read_text()
        assert ended_after < 3, f"the stream ended {ended_after:.1f} s after SIGTERM"
    finally:
        running.stop()
