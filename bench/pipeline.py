"""Benchmark the reliability pipeline against the raw speed of the Redis stream it runs on.

Usage: ``python bench/pipeline.py [--messages N] [--followers F] [--rate R]``. The script starts its own
``redis-server`` on a free loopback port (no persistence, so the disk is not what is measured) and runs:

- **raw**: ``XADD`` N entries, pipelined 100 per round trip as the relay sends them, then reads them with
  ``XREADGROUP`` (32 per call) and ``XACK`` s each one in its own round trip, as the worker does: what the
  same Redis does for the same traffic without an outbox, a dedupe key or an effect;
- **relay alone** and **worker alone**: the two halves of the pipeline one after the other, the relay
  draining a full outbox to the stream, then one worker applying the whole stream;
- **pipeline**: N ``post.created`` events appended to the outbox of a :class:`feedchat.storage.Store` on
  the embedded mongomock database, published by :class:`~feedchat.reliability.relay.Relay`, and applied
  by a consumer-group :class:`~feedchat.reliability.workers.Worker` with the ``fan_out`` handler (dedupe
  key, effects and ``XACK`` in one Lua script), producer, relay and worker running at once in three
  threads of this process. Latency is measured per message from its outbox insert to the return of
  the script that stored its effect.

Without ``--rate`` the producer appends as fast as it can, so latency includes the queueing of a
saturated pipeline; ``--rate R`` paces it to R events per second to see latency below saturation.
Every message is checked to have taken effect exactly once. Bad arguments exit 2 with one line.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NoReturn

import mongomock
import redis
from feedchat.reliability.fanout import fan_out, followers_key, notifications_key
from feedchat.reliability.outbox import Outbox
from feedchat.reliability.relay import Relay
from feedchat.reliability.retry import RetryPolicy
from feedchat.reliability.streams import ensure_group
from feedchat.reliability.workers import Command, Event, Worker
from feedchat.storage import Store

READ_BATCH = 32
"""Entries per ``XREADGROUP`` call, in the raw run and for the pipeline's worker."""
RELAY_BATCH = 100
"""Events per relay pass (one outbox read, one pipelined round of ``XADD``, one publication write)."""
AUTHOR = "bench-author"


class BenchError(RuntimeError):
    """A condition that stops the benchmark with a one-line message (exit 2)."""


# -- redis-server -------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def redis_server() -> Iterator[tuple[redis.Redis, str]]:
    """A private ``redis-server`` on a free loopback port (no RDB, no AOF); a client and the version."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise BenchError("redis-server is not installed (Debian package redis-server)")
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False).stdout.split()
    with tempfile.TemporaryDirectory(prefix="pipeline-bench-") as folder:
        port = _free_port()
        args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", folder, "--save", "", "--appendonly", "no"]
        process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            client = redis.Redis(port=port, decode_responses=True, socket_timeout=30)
            deadline = time.monotonic() + 10
            while True:
                try:
                    client.ping()
                    break
                except redis.ConnectionError:
                    if time.monotonic() > deadline or process.poll() is not None:
                        raise BenchError(f"redis-server did not start on port {port}") from None
                    time.sleep(0.05)
            yield client, next((v.removeprefix("v=") for v in version if v.startswith("v=")), "?")
        finally:
            process.terminate()
            process.wait(timeout=10)


# -- results ------------------------------------------------------------------------------------------------


@dataclass
class Measurement:
    """One line of the table."""

    name: str
    messages: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    """Per-message latency in seconds (the pipeline only)."""

    @property
    def rate(self) -> float:
        """Messages per second."""
        return self.messages / self.seconds if self.seconds > 0 else float("inf")

    def percentile(self, q: float) -> float | None:
        """The ``q``-th percentile latency in seconds (nearest rank), or ``None`` without latencies."""
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
        return ordered[rank - 1]


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f} ms"


def render(rows: list[Measurement], ratio: float) -> str:
    """The results as a plain-text table, then the ratio line."""
    headers = ("measurement", "messages", "seconds", "messages/s", "p50 latency", "p99 latency")
    lines = [
        (
            row.name,
            f"{row.messages:,}",
            f"{row.seconds:.3f}",
            f"{row.rate:,.0f}",
            _ms(row.percentile(50)),
            _ms(row.percentile(99)),
        )
        for row in rows
    ]
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(headers)]
    out = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    out.append("  ".join("-" * w for w in widths))
    out.extend("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in lines)
    out.append(f"ratio pipeline / raw: {ratio:.3f} (the pipeline moves {ratio:.1%} of the raw stream's messages/s)")
    return "\n".join(out)


# -- raw stream ---------------------------------------------------------------------------------------------


def raw(client: redis.Redis, messages: int) -> list[Measurement]:
    """``XADD`` pipelined in relay-sized batches, then ``XREADGROUP`` in batches and ``XACK`` each entry."""
    stream, group = "bench:raw", "bench"
    client.delete(stream)
    ensure_group(client, stream, group)
    fields = {"event_id": "0" * 24, "type": "post.created", "payload": json.dumps({"post_id": "p" * 24})}
    started = time.perf_counter()
    for first in range(0, messages, RELAY_BATCH):
        pipe = client.pipeline(transaction=False)
        for _ in range(first, min(first + RELAY_BATCH, messages)):
            pipe.xadd(stream, fields)
        pipe.execute()
    produced = time.perf_counter()
    acked = 0
    while acked < messages:
        reply = client.xreadgroup(group, "raw", {stream: ">"}, count=READ_BATCH, block=1000)
        for _stream, entries in reply or []:
            for message_id, _fields in entries:
                acked += client.xack(stream, group, message_id)
    consumed = time.perf_counter()
    return [
        Measurement("raw XADD (pipelined, 100 per round trip)", messages, produced - started),
        Measurement("raw XREADGROUP + XACK", messages, consumed - produced),
        Measurement("raw total (XADD, then read + ack)", messages, consumed - started),
    ]


# -- pipeline -----------------------------------------------------------------------------------------------


class TimedOutbox(Outbox):
    """The store's outbox, remembering when each event was appended and how long the relay spent in it."""

    def __init__(self, store: Store) -> None:
        super().__init__(store)
        self.appended: dict[str, float] = {}
        self.store_seconds = 0.0

    def add(self, topic: str, payload: dict[str, Any]) -> str:
        """Append and note the time."""
        event_id = super().add(topic, payload)
        self.appended[event_id] = time.perf_counter()
        return event_id

    def pending(self, limit: int = 100) -> list[dict[str, Any]]:
        """Pending events, timed."""
        started = time.perf_counter()
        try:
            return super().pending(limit)
        finally:
            self.store_seconds += time.perf_counter() - started

    def mark_published_many(self, event_ids: list[str]) -> int:
        """Mark a batch published, timed."""
        started = time.perf_counter()
        try:
            return super().mark_published_many(event_ids)
        finally:
            self.store_seconds += time.perf_counter() - started


class TimedWorker(Worker):
    """A worker noting when each event's effect was stored (the commit script returned)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.effective: dict[str, float] = {}

    def commit(self, event: Event, effects: list[Command]) -> bool:
        """Commit, then note the time of a first application."""
        fresh = super().commit(event, effects)
        if fresh:
            self.effective[event.event_id] = time.perf_counter()
        return fresh


def _worker(client: redis.Redis, stream: str, followers: int) -> TimedWorker:
    """A fan-out worker on ``stream`` whose author has ``followers`` followers."""
    fans = [f"follower-{n}" for n in range(followers)]
    if fans:
        client.sadd(followers_key(AUTHOR), *fans)
    ensure_group(client, stream, "fanout")
    return TimedWorker(
        client,
        fan_out,
        name="bench-worker",
        stream=stream,
        group="fanout",
        dead_letters=f"{stream}:dlq",
        policy=RetryPolicy(max_attempts=3),
        batch=READ_BATCH,
        block_ms=50,
    )


def stages(client: redis.Redis, messages: int, followers: int, timeout: float) -> list[Measurement]:
    """Each half alone: the relay draining a full outbox, then one worker applying the full stream."""
    stream = "bench:stages"
    outbox = TimedOutbox(Store(mongomock.MongoClient(tz_aware=True)["stages"], embedded=True))
    for n in range(messages):
        outbox.add("post.created", {"post_id": f"post-{n}", "author": AUTHOR, "created_ts": float(n)})
    relay = Relay(outbox, client, stream=stream, batch=RELAY_BATCH)
    started = time.perf_counter()
    relay.drain()
    relayed = time.perf_counter() - started
    worker = _worker(client, stream, followers)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), name="worker")
    started = time.perf_counter()
    thread.start()
    try:
        _await(lambda: len(worker.effective) + worker.dead >= messages, timeout, "the worker alone")
        applied = max(worker.effective.values(), default=time.perf_counter()) - started
    finally:
        stop.set()
        thread.join(timeout=30)
    return [
        Measurement("relay alone: outbox → XADD (full outbox)", messages, relayed),
        Measurement("worker alone: XREADGROUP → dedupe + effect + XACK", messages, applied),
    ]


def _await(done: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise BenchError(f"{what} did not finish in {timeout:g} s")
        time.sleep(0.001)


@dataclass
class PipelineResult:
    """The pipeline's line of the table and its bookkeeping."""

    measurement: Measurement
    effects: int
    duplicates: int
    """Effects stored more than once (the dedupe script makes this 0)."""
    dead_letters: int
    lost: int
    relay_store_seconds: float


def pipeline(client: redis.Redis, messages: int, followers: int, rate: float, timeout: float) -> PipelineResult:
    """Outbox → relay → stream → worker → effect for ``messages`` events, producer, relay and worker concurrent."""
    stream = "bench:events"
    fans = [f"follower-{n}" for n in range(followers)]
    store = Store(mongomock.MongoClient(tz_aware=True)["bench"], embedded=True)
    outbox = TimedOutbox(store)
    relay = Relay(outbox, client, stream=stream, batch=RELAY_BATCH)
    worker = _worker(client, stream, followers)
    stop = threading.Event()
    threads = [
        threading.Thread(target=relay.run, args=(stop,), kwargs={"idle_seconds": 0.001}, name="relay"),
        threading.Thread(target=worker.run, args=(stop,), name="worker"),
    ]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    try:
        for n in range(messages):
            if rate > 0:
                delay = started + n / rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            outbox.add("post.created", {"post_id": f"post-{n}", "author": AUTHOR, "created_ts": float(n)})
        _await(lambda: len(worker.effective) + worker.dead >= messages, timeout, "the pipeline")
        finished = max(worker.effective.values(), default=time.perf_counter())
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    latencies = [worker.effective[e] - outbox.appended[e] for e in outbox.appended if e in worker.effective]
    seen: dict[str, int] = {}
    for fan in fans:
        for raw_note in client.lrange(notifications_key(fan), 0, -1):
            event_id = json.loads(raw_note)["event_id"]
            seen[event_id] = seen.get(event_id, 0) + 1
    effects = sum(seen.values())
    duplicates = sum(max(0, seen.get(e, 0) - followers) for e in outbox.appended)
    lost = messages - len(worker.effective) - worker.dead
    name = f"pipeline outbox → relay → stream → worker → effect ({followers} follower{'s' * (followers != 1)})"
    return PipelineResult(
        Measurement(name, messages, finished - started, latencies),
        effects=effects,
        duplicates=duplicates,
        dead_letters=worker.dead,
        lost=lost,
        relay_store_seconds=outbox.store_seconds,
    )


# -- command line -------------------------------------------------------------------------------------------


def _positive(kind: type[int] | type[float], minimum: float) -> Any:
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{text} is below {minimum:g}")
        return value

    return parse


class _Parser(argparse.ArgumentParser):
    """Bad arguments are one line on stderr and exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"bench: {message} (see --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=_positive(int, 1), default=5000, help="messages per run (default 5000)")
    parser.add_argument(
        "--followers", type=_positive(int, 0), default=1, help="followers of the author: effects per event (default 1)"
    )
    parser.add_argument(
        "--rate", type=_positive(float, 0), default=0.0, help="events appended per second; 0 = as fast as possible"
    )
    parser.add_argument(
        "--timeout", type=_positive(float, 1), default=600.0, help="give up on the pipeline after S seconds"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run both measurements and print the table; exit 2 with one line when it cannot run."""
    args = _parser().parse_args(argv)
    logging.getLogger("feedchat").setLevel(logging.ERROR)  # the store's start-up notes; the header says them
    try:
        with redis_server() as (client, version):
            print(
                f"{args.messages:,} messages · redis-server {version} on loopback, no persistence · "
                f"store: embedded mongomock (no transactions) · producer: {f'{args.rate:g}/s' if args.rate else 'unpaced'} · "
                f"Python {sys.version.split()[0]}"
            )
            rows = raw(client, args.messages)
            baseline = rows[-1]
            rows += stages(client, args.messages, args.followers, args.timeout)
            client.flushdb()  # the pipeline counts its effects from a clean slate
            result = pipeline(client, args.messages, args.followers, args.rate, args.timeout)
    except (BenchError, redis.RedisError, OSError) as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    rows.append(result.measurement)
    print()
    print(render(rows, result.measurement.rate / baseline.rate))
    if args.rate:
        print(
            f"  (the producer was paced at {args.rate:g}/s: the pipeline's messages/s is that pace, not its capacity)"
        )
    print(
        f"published={args.messages} effects={result.effects} duplicates={result.duplicates} "
        f"dead_letters={result.dead_letters} lost={result.lost}"
    )
    share = result.relay_store_seconds / result.measurement.seconds if result.measurement.seconds else 0.0
    print(f"relay time in the mongomock outbox (pending reads, publication marks): {result.relay_store_seconds:.2f} s")
    print(f"  = {share:.0%} of the pipeline's wall time")
    return 0 if result.duplicates == 0 and result.lost == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
