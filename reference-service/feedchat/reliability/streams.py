"""Redis connection and stream names; the embedded default is an in-process fakeredis server."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import redis

log = logging.getLogger("feedchat.reliability")

STREAM = "feedchat:events"
"""The stream the relay publishes outbox events to."""
DEAD_LETTERS = "feedchat:events:dlq"
"""Messages that failed ``max_attempts`` times, with their error history."""
GROUP = "fanout"
"""The consumer group that fans posts out to followers' feeds and notifications."""
EMBEDDED_NOTICE = "embedded in-process fakeredis server (REDIS_URL is not set): streams live in this process only"


@dataclass(frozen=True)
class StreamSettings:
    """``REDIS_URL`` and the worker tuning knobs, from the environment."""

    redis_url: str | None = None
    max_attempts: int = 5
    reclaim_idle_ms: int = 30_000
    dedupe_ttl_seconds: int = 7 * 24 * 3600
    batch: int = 32

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> StreamSettings:
        """``REDIS_URL``, ``FEEDCHAT_MAX_ATTEMPTS``, ``FEEDCHAT_RECLAIM_IDLE_MS``, ``FEEDCHAT_DEDUPE_TTL``."""
        env = dict(os.environ if environ is None else environ)
        default = cls()
        return cls(
            redis_url=env.get("REDIS_URL") or None,
            max_attempts=int(env.get("FEEDCHAT_MAX_ATTEMPTS", default.max_attempts)),
            reclaim_idle_ms=int(env.get("FEEDCHAT_RECLAIM_IDLE_MS", default.reclaim_idle_ms)),
            dedupe_ttl_seconds=int(env.get("FEEDCHAT_DEDUPE_TTL", default.dedupe_ttl_seconds)),
        )


def connect(url: str | None) -> redis.Redis:
    """A client for ``url`` with connect and read timeouts, or the embedded fakeredis server when ``None``."""
    if url is None:
        import fakeredis

        log.warning("using the %s", EMBEDDED_NOTICE)
        return fakeredis.FakeRedis(decode_responses=True)
    return redis.Redis.from_url(
        url, decode_responses=True, socket_connect_timeout=2, socket_timeout=10, health_check_interval=15
    )


def ensure_group(client: redis.Redis, stream: str = STREAM, group: str = GROUP) -> None:
    """Create the consumer group (and the stream) if missing; it starts at the beginning of the stream."""
    try:
        client.xgroup_create(stream, group, id="0", mkstream=True)
    except redis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise
