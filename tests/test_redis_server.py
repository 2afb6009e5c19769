"""The test Redis really runs, and survives a restart with its data (append-only file)."""

from __future__ import annotations

import redis


def test_restart_keeps_data(own_redis_server) -> None:
    client = redis.Redis.from_url(own_redis_server.url)
    client.set("k", "v")
    own_redis_server.stop()
    own_redis_server.start()
    assert redis.Redis.from_url(own_redis_server.url).get("k") == b"v"
