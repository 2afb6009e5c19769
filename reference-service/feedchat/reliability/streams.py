"""Redis connection, stream names and retention; the embedded default is an in-process fakeredis server."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

import redis

from feedchat.settings import positive_number

log = logging.getLogger("feedchat.reliability")

STREAM = "feedchat:events"
"""The stream the relay publishes outbox events to."""
DEAD_LETTERS = "feedchat:events:dlq"
"""Messages that failed ``max_attempts`` times, with their error history. Never trimmed automatically."""
GROUP = "fanout"
"""The consumer group that fans posts out to followers' feeds and notifications."""
EMBEDDED_NOTICE = "embedded in-process fakeredis server (REDIS_URL is not set): streams live in this process only"


@dataclass(frozen=True)
class StreamSettings:
    """``REDIS_URL``, the worker tuning knobs and the stream retention, from the environment."""

    redis_url: str | None = None
    max_attempts: int = 5
    reclaim_idle_ms: int = 30_000
    dedupe_ttl_seconds: int = 7 * 24 * 3600
    batch: int = 32
    retention_seconds: float = 7 * 24 * 3600
    """Acknowledged entries of :data:`STREAM` older than this are trimmed (see :func:`trim_acknowledged`)."""
    trim_interval_seconds: float = 60.0
    """How often the relay trims :data:`STREAM`."""

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> StreamSettings:
        """``REDIS_URL``, ``FEEDCHAT_MAX_ATTEMPTS``, ``FEEDCHAT_RECLAIM_IDLE_MS``, ``FEEDCHAT_DEDUPE_TTL``,
        ``FEEDCHAT_EVENTS_RETENTION_SECONDS`` and ``FEEDCHAT_EVENTS_TRIM_INTERVAL_SECONDS``.

        A retention or trim interval that is not a number greater than 0 is a :class:`~feedchat.settings.SettingsError`.
        """
        env = dict(os.environ if environ is None else environ)
        default = cls()
        return cls(
            redis_url=env.get("REDIS_URL") or None,
            max_attempts=int(env.get("FEEDCHAT_MAX_ATTEMPTS", default.max_attempts)),
            reclaim_idle_ms=int(env.get("FEEDCHAT_RECLAIM_IDLE_MS", default.reclaim_idle_ms)),
            dedupe_ttl_seconds=int(env.get("FEEDCHAT_DEDUPE_TTL", default.dedupe_ttl_seconds)),
            retention_seconds=positive_number(env, "FEEDCHAT_EVENTS_RETENTION_SECONDS", default.retention_seconds),
            trim_interval_seconds=positive_number(
                env, "FEEDCHAT_EVENTS_TRIM_INTERVAL_SECONDS", default.trim_interval_seconds
            ),
        )

    @property
    def retention_ms(self) -> int:
        """:attr:`retention_seconds` in milliseconds, the unit of stream entry IDs."""
        return int(self.retention_seconds * 1000)


def connect(url: str | None) -> redis.Redis:
    """A client for ``url`` with connect and read timeouts, or a new embedded fakeredis server when ``None``."""
    if url is None:
        log.warning("using the %s", EMBEDDED_NOTICE)
        return embedded()
    return redis.Redis.from_url(
        url, decode_responses=True, socket_connect_timeout=2, socket_timeout=10, health_check_interval=15
    )


def embedded() -> redis.Redis:
    """A client of a new, empty in-process fakeredis server (Lua scripts run on it through ``lupa``)."""
    import fakeredis

    return fakeredis.FakeRedis(server=fakeredis.FakeServer(), decode_responses=True)


def ensure_group(client: redis.Redis, stream: str = STREAM, group: str = GROUP) -> None:
    """Create the consumer group (and the stream) if missing; it starts at the beginning of the stream."""
    try:
        client.xgroup_create(stream, group, id="0", mkstream=True)
    except redis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def _after(entry_id: str) -> str:
    """The smallest stream entry ID greater than ``entry_id`` (``ms-seq``)."""
    ms, _, seq = entry_id.partition("-")
    return f"{ms}-{int(seq or 0) + 1}"


def _smaller(left: str, right: str) -> str:
    """The smaller of two stream entry IDs."""

    def key(entry_id: str) -> tuple[int, int]:
        ms, _, seq = entry_id.partition("-")
        return int(ms), int(seq or 0)

    return min(left, right, key=key)


def trim_floor(client: redis.Redis, stream: str, retention_ms: int) -> str | None:
    """The ``MINID`` that trims only acknowledged entries older than ``retention_ms``; ``None`` to trim nothing.

    It is the smallest of: the server's time minus ``retention_ms``; for every consumer group of the
    stream, its oldest pending entry (``XPENDING`` summary) and the first entry after its
    ``last-delivered-id`` (``XINFO GROUPS``), so an entry a group has not been given yet is kept. A stream
    without groups is not trimmed at all: no one has acknowledged anything on it. Readers outside consumer
    groups (plain ``XREAD``) are invisible to Redis; retention must cover their worst lag.
    """
    try:
        groups: list[dict[str, Any]] = client.xinfo_groups(stream)
    except redis.ResponseError as exc:
        if "no such key" in str(exc).lower():
            return None
        raise
    if not groups:
        return None
    seconds, micros = client.time()
    floor = f"{max(int(seconds) * 1000 + int(micros) // 1000 - retention_ms, 0)}-0"
    for group in groups:
        floor = _smaller(floor, _after(str(group["last-delivered-id"])))
        summary = client.xpending(stream, group["name"])
        if summary["pending"]:
            floor = _smaller(floor, str(summary["min"]))
    return floor


def trim_acknowledged(client: redis.Redis, stream: str, retention_ms: int, *, approximate: bool = True) -> int:
    """Trim the entries of ``stream`` that every group has acknowledged and that are older than ``retention_ms``.

    Runs ``XTRIM stream MINID ~ <trim_floor>``; returns how many entries went. With ``approximate`` (``~``),
    Redis drops whole internal nodes only (``stream-node-max-entries``, 100 by default), so it may keep some
    trimmable entries until a later call, but it never removes an entry at or after the floor. An entry added
    between the reading of the floor and the trim has a greater ID than the floor and is kept.
    """
    floor = trim_floor(client, stream, retention_ms)
    if floor is None:
        return 0
    return int(client.xtrim(stream, minid=floor, approximate=approximate))
