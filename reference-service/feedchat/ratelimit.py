"""Rate limits over a shared store: moving windows per client address and per principal, with RateLimit headers.

The counters live in Redis when ``REDIS_URL`` is set, so every replica of the service draws from the same
budget; without it they live in process memory (the embedded default, fine for one process only). Headers
follow draft-ietf-httpapi-ratelimit-headers: ``RateLimit-Policy`` names each policy's quota (``q``) and window
(``w``), ``RateLimit`` its remaining requests (``r``) and seconds until the window frees up (``t``).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from feedchat.problems import ProblemError

log = logging.getLogger("feedchat")

STATE_KEY = "ratelimit"
"""Where the outcomes of a request's limits are kept in the request state, for the response headers."""
UNAVAILABLE_RETRY_SECONDS = 5


@dataclass(frozen=True)
class Policy:
    """A named limit: what it counts by, and whether requests pass (open) or fail (closed) when the store is down."""

    name: str
    key: Literal["address", "principal"]
    fail_open: bool
    purpose: str


POLICIES: Mapping[str, Policy] = {
    p.name: p
    for p in (
        Policy("address", "address", True, "Every request, per client address: one client cannot starve the rest."),
        Policy(
            "auth-failures",
            "address",
            True,
            "Rejected bearer tokens, per client address: token guessing and forgery attempts stop early.",
        ),
        Policy("writes", "principal", True, "Changes and deletions of one's own posts and follows, per caller."),
        Policy("reads", "principal", True, "Reads of one's own data (the timeline), per caller."),
        Policy("creates", "principal", True, "New posts, comments, rooms and messages, per caller: spam stops early."),
        Policy(
            "moderation",
            "principal",
            False,
            "Hiding, deleting others' messages and banning, per caller: a stolen privileged token does bounded harm.",
        ),
    )
}
"""Every policy the service applies."""

DEFAULT_LIMITS: Mapping[str, str] = {
    "address": "300/minute",
    "auth-failures": "20/minute",
    "writes": "60/minute",
    "reads": "120/minute",
    "creates": "20/minute",
    "moderation": "30/minute",
}
"""The limit of each policy in the ``limits`` notation (``N/second|minute|hour|day``); settings may override them."""

OPERATION_POLICIES: Mapping[str, str] = {
    "createPost": "creates",
    "updatePost": "writes",
    "deletePost": "writes",
    "hidePost": "moderation",
    "createComment": "creates",
    "createRoom": "creates",
    "createMessage": "creates",
    "deleteMessage": "moderation",
    "banUser": "moderation",
    "followUser": "writes",
    "unfollowUser": "writes",
    "listTimeline": "reads",
}
"""The per-principal policy of each authenticated operation; public operations have only the address limit."""


class LimitConfigError(ValueError):
    """A rate limit setting that cannot be used."""


@dataclass(frozen=True)
class Outcome:
    """One policy's verdict on one request."""

    policy: str
    quota: int
    window: int
    allowed: bool
    remaining: int
    reset: int
    """Seconds until the window has room again (the ``Retry-After`` of a rejection)."""


def parse_limits(limits: Mapping[str, str]) -> dict[str, RateLimitItem]:
    """The limit of every policy, from ``limits`` over :data:`DEFAULT_LIMITS`; :class:`LimitConfigError` if bad."""
    unknown = sorted(set(limits) - set(POLICIES))
    if unknown:
        raise LimitConfigError(f"unknown rate limit policy {', '.join(unknown)}; use {', '.join(POLICIES)}")
    items = {}
    for name in POLICIES:
        text = limits.get(name, DEFAULT_LIMITS[name])
        try:
            items[name] = parse(text)
        except ValueError:
            raise LimitConfigError(f"rate limit {name}={text!r} is not like '20/minute'") from None
    return items


def storage_for(redis_url: str | None) -> Storage:
    """Redis at ``redis_url`` (short timeouts, errors as :class:`StorageError`), or process memory."""
    if redis_url is None:
        return MemoryStorage()
    return RedisStorage(
        redis_url,
        key_prefix="feedchat-ratelimit",
        wrap_exceptions=True,
        socket_timeout=0.5,
        socket_connect_timeout=0.5,
    )


class RateLimiter:
    """Applies the policies with a moving window (no burst of twice the quota at a window edge)."""

    def __init__(self, limits: Mapping[str, str], storage: Storage) -> None:
        self.items = parse_limits(limits)
        self.storage = storage
        self.strategy = MovingWindowRateLimiter(storage)

    def _outcome(self, policy: str, allowed: bool, *key: str) -> Outcome:
        item = self.items[policy]
        stats = self.strategy.get_window_stats(item, policy, *key)
        reset = max(1, math.ceil(stats.reset_time - time.time())) if stats.remaining <= 0 else 0
        return Outcome(policy, item.amount, int(item.get_expiry()), allowed, max(0, stats.remaining), reset)

    def hit(self, policy: str, key: str) -> Outcome | None:
        """Count one request against ``policy`` for ``key``: the outcome, or ``None`` if the store is down and
        the policy fails open. A down store under a fail-closed policy is a 503 problem."""
        try:
            allowed = self.strategy.hit(self.items[policy], policy, key)
            return self._outcome(policy, allowed, key)
        except StorageError as exc:
            return self._unavailable(policy, exc)

    def peek(self, policy: str, key: str) -> Outcome | None:
        """Like :meth:`hit` without counting: is there room left?"""
        try:
            allowed = self.strategy.test(self.items[policy], policy, key)
            return self._outcome(policy, allowed, key)
        except StorageError as exc:
            return self._unavailable(policy, exc)

    def _unavailable(self, policy: str, exc: StorageError) -> None:
        if POLICIES[policy].fail_open:
            log.warning("rate limit store unavailable, %s fails open: %s", policy, exc.storage_error)
            return None
        log.error("rate limit store unavailable, %s fails closed: %s", policy, exc.storage_error)
        raise ProblemError(
            503,
            "The service cannot check its rate limits right now; try again shortly.",
            headers={"Retry-After": str(UNAVAILABLE_RETRY_SECONDS)},
        )


def headers(outcomes: Sequence[Outcome]) -> dict[str, str]:
    """The ``RateLimit-Policy`` and ``RateLimit`` headers for ``outcomes`` (empty when there are none)."""
    if not outcomes:
        return {}
    return {
        "RateLimit-Policy": ", ".join(f'"{o.policy}";q={o.quota};w={o.window}' for o in outcomes),
        "RateLimit": ", ".join(f'"{o.policy}";r={o.remaining};t={o.reset}' for o in outcomes),
    }


def too_many(outcomes: Sequence[Outcome], rejected: Outcome) -> ProblemError:
    """The 429 problem for a request ``rejected`` by one policy, with ``Retry-After`` and the RateLimit headers."""
    return ProblemError(
        429,
        f"Too many requests under the {rejected.policy!r} limit; retry in {rejected.reset} seconds.",
        headers={"Retry-After": str(rejected.reset), **headers(outcomes)},
    )


class RateLimitHeaders:
    """ASGI middleware: add the RateLimit headers of the request's outcomes to its response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                outcomes = scope.get("state", {}).get(STATE_KEY, ())
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [
                    (k.lower().encode("latin-1"), v.encode("latin-1"))
                    for k, v in headers(outcomes).items()
                    if k.lower().encode("latin-1") not in present
                ]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
