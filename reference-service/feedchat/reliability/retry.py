"""Retry policy: capped exponential backoff with full jitter, retryable errors and a retry budget."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pymongo.errors
import redis.exceptions

RETRYABLE: tuple[type[BaseException], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.BusyLoadingError,
    pymongo.errors.AutoReconnect,
    pymongo.errors.NetworkTimeout,
    ConnectionError,
    TimeoutError,
)
"""Transient infrastructure errors: the same call may succeed a moment later."""


def is_retryable(exc: BaseException) -> bool:
    """True for transient infrastructure errors, False for everything else (bugs, bad data)."""
    return isinstance(exc, RETRYABLE)


@dataclass(frozen=True)
class RetryPolicy:
    """``delay(n) = uniform(0, min(cap, base * 2**n))`` seconds before attempt ``n + 1``; at most ``max_attempts``."""

    base: float = 0.05
    cap: float = 2.0
    max_attempts: int = 5

    def delay(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Full-jitter delay after failed attempt number ``attempt`` (1-based)."""
        return rand() * min(self.cap, self.base * 2 ** max(attempt - 1, 0))


@dataclass
class RetryBudget:
    """A token bucket: each retry spends a token; each success earns ``ratio`` of one, up to ``burst``."""

    ratio: float = 0.1
    burst: float = 10.0
    tokens: float = field(default=10.0)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def success(self) -> None:
        """Record a first-try success."""
        with self._lock:
            self.tokens = min(self.burst, self.tokens + self.ratio)

    def try_spend(self) -> bool:
        """Spend one token for a retry; False when the budget is exhausted (fail instead of retrying)."""
        with self._lock:
            if self.tokens >= 1.0:
                self.tokens -= 1.0
                return True
            return False


def wait(seconds: float, stop: threading.Event | None) -> bool:
    """Sleep ``seconds`` unless ``stop`` is set first; True when the wait ran to the end."""
    if stop is None:
        time.sleep(seconds)
        return True
    return not stop.wait(seconds)
