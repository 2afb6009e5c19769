"""The ``post.created`` handler: the post goes into each follower's feed and notifications, and becomes its
author's latest post unless a newer one is already recorded."""

from __future__ import annotations

import json

import redis

from feedchat.reliability.workers import Command, Event


def followers_key(author: str) -> str:
    """The set of subjects following ``author``."""
    return f"feedchat:followers:{author}"


def feed_key(subject: str) -> str:
    """A follower's feed: post IDs scored by creation time."""
    return f"feedchat:feed:{subject}"


def notifications_key(subject: str) -> str:
    """A follower's notifications, oldest first."""
    return f"feedchat:notifications:{subject}"


def latest_post_key(author: str) -> str:
    """The author's latest post: a hash with ``post_id`` and ``version`` (the post's ``created_ts``)."""
    return f"feedchat:latest-post:{author}"


class UnknownEvent(ValueError):
    """An event type this handler does not know: retried, then dead-lettered."""


def fan_out(client: redis.Redis, event: Event) -> list[Command]:
    """Effects of a ``post.created`` event; other types raise :class:`UnknownEvent`.

    The feed ``ZADD`` is scored by creation time, so the feed's order does not depend on delivery order. The
    latest-post hash is state that a late event could overwrite: its ``SETIFNEWER`` keeps the post with the
    greatest ``created_ts`` whatever order the author's events are applied in (a tie keeps the first applied).
    """
    if event.type != "post.created":
        raise UnknownEvent(f"no handler for event type {event.type!r}")
    post_id = str(event.payload["post_id"])
    author = str(event.payload["author"])
    score = float(event.payload.get("created_ts", 0.0))
    note = json.dumps({"event_id": event.event_id, "post_id": post_id, "author": author}, sort_keys=True)
    effects: list[Command] = [("SETIFNEWER", latest_post_key(author), score, "post_id", post_id)]
    for follower in sorted(client.smembers(followers_key(author))):
        effects.append(("ZADD", feed_key(follower), score, post_id))
        effects.append(("RPUSH", notifications_key(follower), note))
    return effects
