"""Retry policy: capped exponential backoff with full jitter, retryable errors and a retry budget."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import pymongo.errors
import redis.exceptions

RETRYABLE: tuple[type[BaseException], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.BusyLoadingError,
    redis.exceptions.NoScriptError,
    redis.exceptions.OutOfMemoryError,
    redis.exceptions.ReadOnlyError,
    redis.exceptions.TryAgainError,
    redis.exceptions.ClusterDownError,
    pymongo.errors.AutoReconnect,
    pymongo.errors.NetworkTimeout,
    ConnectionError,
    TimeoutError,
)
"""Transient infrastructure errors: the same call may succeed a moment later.

Besides connection trouble this includes the Redis replies that describe the server's state, not the
command: ``LOADING``, ``NOSCRIPT`` (script cache flushed), ``OOM`` (over ``maxmemory``), ``READONLY`` (a
failover turned the server into a replica), ``TRYAGAIN``, ``CLUSTERDOWN`` and ``MASTERDOWN``.
"""

RETRYABLE_REPLY_CODES = frozenset({"BUSY", "MISCONF", "NOREPLICAS"})
"""Redis error replies without an exception class of their own that are also about the server's state:
a script running too long (``BUSY``), writes refused after a failed save (``MISCONF``), too few replicas
for ``min-replicas-to-write`` (``NOREPLICAS``)."""


def is_retryable(exc: BaseException) -> bool:
    """True for transient infrastructure errors, False for everything else (bugs, bad data, ``WRONGTYPE``)."""
    if isinstance(exc, RETRYABLE):
        return True
    if isinstance(exc, redis.exceptions.ResponseError):
        return str(exc).split(" ", 1)[0] in RETRYABLE_REPLY_CODES
    return False


@dataclass(frozen=True)
class RetryPolicy:
    """``delay(n) = uniform(0, min(cap, base * 2**n))`` seconds before attempt ``n + 1``; at most ``max_attempts``."""

    base: float = 0.05
    cap: float = 2.0
    max_attempts: int = 5

    def delay(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Full-jitter delay after failed attempt number ``attempt`` (1-based)."""
        return rand() * min(self.cap, self.base * 2 ** max(attempt - 1, 0))


class RetryBudget:
    """A token bucket shared by the retries of one client: a retry spends a token, a success earns ``ratio``.

    The bucket starts full with ``burst`` tokens and never holds more, so over any stretch of time the
    retries granted are at most ``ratio`` × successes + ``burst``. The arithmetic is exact (fractions of
    the decimal values given): ten successes at ``ratio=0.1`` earn exactly one token.
    """

    def __init__(self, ratio: float = 0.1, burst: float = 10.0) -> None:
        if ratio < 0 or burst < 0:
            raise ValueError("ratio and burst must not be negative")
        self.ratio = ratio
        self.burst = burst
        self._ratio = Fraction(str(ratio))
        self._burst = Fraction(str(burst))
        self._tokens = self._burst
        self._lock = threading.Lock()
        self.granted = 0
        self.denied = 0

    def __repr__(self) -> str:
        return f"RetryBudget(ratio={self.ratio}, burst={self.burst}, tokens={self.tokens:g})"

    @property
    def tokens(self) -> float:
        """Tokens left: retries that may start now."""
        with self._lock:
            return float(self._tokens)

    def success(self) -> None:
        """Record a successful call: earn ``ratio`` of a token, up to ``burst``."""
        with self._lock:
            self._tokens = min(self._burst, self._tokens + self._ratio)

    def try_spend(self) -> bool:
        """Spend one token for a retry; False (and counted in ``denied``) when the budget is exhausted."""
        with self._lock:
            if self._tokens >= 1:
                self._tokens -= 1
                self.granted += 1
                return True
            self.denied += 1
            return False


def wait(seconds: float, stop: threading.Event | None) -> bool:
    """Sleep ``seconds`` unless ``stop`` is set first; True when the wait ran to the end."""
    if stop is None:
        time.sleep(seconds)
        return True
    return not stop.wait(seconds)
