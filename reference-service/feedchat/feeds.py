"""Follows and timelines: the Redis side of the fan-out pipeline, as the API changes and reads it.

A follow is a member of the author's followers set (:func:`~feedchat.reliability.fanout.followers_key`); the
fan-out worker copies each new post's ID into every follower's feed, a sorted set scored by the post's creation
time (:func:`~feedchat.reliability.fanout.feed_key`). A timeline page reads IDs from that feed, newest first, and
the posts themselves from the :class:`~feedchat.storage.Store`; IDs of posts deleted or hidden since are skipped.
Unfollowing stops new posts arriving; posts already in the feed stay.

Which Redis holds them (:func:`feeds_for`): the in-process pipeline's client when ``serve`` runs the relay and
worker itself (fakeredis, or ``REDIS_URL``); else a client for ``REDIS_URL``; else none, and these operations
answer 503 (the separate ``worker`` processes write to a Redis the API does not know). A Redis error is a 503
problem with ``Retry-After``: the operations fail closed, like moderation when the rate limit store is down.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import redis

from feedchat.problems import ProblemError
from feedchat.reliability.fanout import feed_key, followers_key
from feedchat.storage import MAX_CURSOR_LENGTH, InvalidCursor, Page, Store

if TYPE_CHECKING:
    from feedchat.reliability.background import BackgroundPipeline
    from feedchat.settings import Settings

log = logging.getLogger("feedchat")

UNAVAILABLE_RETRY_SECONDS = 5
NOT_CONFIGURED = "The feed store is not configured on this service: set REDIS_URL."
UNREACHABLE = "The feed store cannot be reached right now; try again shortly."


def encode_position(score: float, post_id: str) -> str:
    """An opaque cursor pointing just after the feed entry ``(score, post_id)``."""
    raw = json.dumps({"s": score, "id": post_id}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_position(cursor: str) -> tuple[float, str]:
    """The feed entry in a cursor made by :func:`encode_position`, or :class:`~feedchat.storage.InvalidCursor`."""
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError("too long")
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        score, post_id = data["s"], data["id"]
        if isinstance(score, bool) or not isinstance(score, int | float) or not math.isfinite(score):
            raise ValueError("bad score")
        if not isinstance(post_id, str):
            raise ValueError("bad id")
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidCursor("The cursor is not valid; pass the next_cursor of a previous page.") from exc
    return float(score), post_id


@contextmanager
def reachable() -> Iterator[None]:
    """Turn a Redis error inside the block into a 503 problem with ``Retry-After``."""
    try:
        yield
    except redis.RedisError as exc:
        log.error("feed store unavailable: %s", exc)
        raise ProblemError(503, UNREACHABLE, headers={"Retry-After": str(UNAVAILABLE_RETRY_SECONDS)}) from exc


class Feeds:
    """Follows and timelines on one Redis client (``decode_responses=True``)."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def follow(self, follower: str, author: str) -> None:
        """``follower`` gets ``author``'s future posts; following twice changes nothing."""
        with reachable():
            self.client.sadd(followers_key(author), follower)

    def unfollow(self, follower: str, author: str) -> None:
        """``follower`` gets no more of ``author``'s posts; unfollowing someone not followed changes nothing."""
        with reachable():
            self.client.srem(followers_key(author), follower)

    def _entries(self, subject: str, after: tuple[float, str] | None, count: int) -> list[tuple[str, float]]:
        """Up to ``count`` feed entries ``(post_id, score)`` after ``after``, newest first (ties: greater ID first)."""
        key = feed_key(subject)
        if after is None:
            return [(str(m), float(s)) for m, s in self.client.zrevrange(key, 0, count - 1, withscores=True)]
        score, last_id = after
        # Entries with the cursor's own score come first, those with a smaller ID than its post; then older ones.
        ties = [(str(m), float(s)) for m, s in self.client.zrevrangebyscore(key, score, score, withscores=True)]
        entries = [(m, s) for m, s in ties if m < last_id][:count]
        if len(entries) < count:
            older = self.client.zrevrangebyscore(
                key, f"({score!r}", "-inf", start=0, num=count - len(entries), withscores=True
            )
            entries += [(str(m), float(s)) for m, s in older]
        return entries

    def timeline(self, store: Store, subject: str, limit: int, cursor: str | None) -> Page:
        """One page of ``subject``'s timeline, newest first; posts gone from the store are skipped."""
        position = decode_position(cursor) if cursor is not None else None
        found: list[tuple[dict[str, Any], float]] = []
        with reachable():
            while len(found) <= limit:
                wanted = limit + 1 - len(found)
                entries = self._entries(subject, position, wanted)
                posts = store.posts_by_ids([post_id for post_id, _ in entries])
                found += [(posts[post_id], score) for post_id, score in entries if post_id in posts]
                if len(entries) < wanted:
                    break
                position = entries[-1][1], entries[-1][0]
        items = [post for post, _ in found[:limit]]
        if len(found) <= limit:
            return Page(items, None)
        last, score = found[limit - 1]
        return Page(items, encode_position(score, str(last["id"])))


def feeds_for(settings: Settings, pipeline: BackgroundPipeline | None) -> Feeds | None:
    """The feeds on the in-process pipeline's Redis, else on ``REDIS_URL``; ``None`` when neither exists."""
    if pipeline is not None:
        return Feeds(pipeline.client)
    if settings.redis_url is not None:
        from feedchat.reliability.streams import connect

        return Feeds(connect(settings.redis_url))
    return None


def not_configured() -> ProblemError:
    """The 503 problem of a service that has no feed store."""
    return ProblemError(503, NOT_CONFIGURED)
