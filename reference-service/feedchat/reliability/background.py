"""The pipeline inside the API process: the outbox relay and one fan-out worker on background threads.

``python -m feedchat serve`` runs it when ``MONGODB_URI`` is unset: the embedded mongomock outbox lives in
the API process, so no separate ``relay`` process could read it. Without ``REDIS_URL`` the stream, the
followers and the feeds live in an in-process fakeredis server too (its Lua runs the worker's commit script),
so a post made against ``make run`` reaches its author's followers' feeds. ``FEEDCHAT_INPROCESS_PIPELINE``
turns this on or off explicitly (see :attr:`feedchat.settings.Settings.pipeline_in_process`).

The threads stop like the ``relay`` and ``worker`` commands on ``SIGTERM``: :meth:`BackgroundPipeline.stop`
sets their stop event, the worker finishes the message in hand or leaves it pending, and nothing is
acknowledged on the way out.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import redis

from feedchat.reliability.fanout import fan_out
from feedchat.reliability.outbox import Outbox
from feedchat.reliability.relay import Relay
from feedchat.reliability.retry import RetryPolicy
from feedchat.reliability.streams import StreamSettings, connect, embedded
from feedchat.reliability.workers import Worker
from feedchat.storage import Store

log = logging.getLogger("feedchat.reliability")


def redis_location(url: str) -> str:
    """Where ``url`` points, without its credentials: ``host:port/db`` or a socket path."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return f"unix:{parts.path}"
    return f"{parts.hostname or 'localhost'}:{parts.port or 6379}{parts.path if parts.path not in ('', '/') else ''}"


class BackgroundPipeline:
    """A :class:`~feedchat.reliability.relay.Relay` over ``store``'s outbox and one fan-out
    :class:`~feedchat.reliability.workers.Worker`, each on its own daemon thread, sharing ``client``.

    The worker blocks for at most ``worker_block_ms`` per read (the ``worker`` command: 1 s), so that
    the API's shutdown does not wait a second for an idle worker to notice the stop.
    """

    def __init__(
        self,
        store: Store,
        client: redis.Redis,
        settings: StreamSettings,
        *,
        where: str,
        worker_name: str | None = None,
        relay_idle_seconds: float = 0.1,
        worker_block_ms: int = 250,
    ) -> None:
        self.client = client
        self.where = where
        """Where the stream lives, for the start-up line: "fakeredis" or a Redis location."""
        self.relay = Relay(
            Outbox(store), client, retention_ms=settings.retention_ms, trim_every=settings.trim_interval_seconds
        )
        self.worker = Worker(
            client,
            fan_out,
            name=worker_name or f"{socket.gethostname()}-{os.getpid()}-inprocess",
            policy=RetryPolicy(max_attempts=settings.max_attempts),
            reclaim_idle_ms=settings.reclaim_idle_ms,
            dedupe_ttl_seconds=settings.dedupe_ttl_seconds,
            batch=settings.batch,
            block_ms=worker_block_ms,
        )
        self.relay_idle_seconds = relay_idle_seconds
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []

    @classmethod
    def for_store(cls, store: Store, settings: StreamSettings) -> BackgroundPipeline:
        """The pipeline of ``store`` on the Redis at ``settings.redis_url``, or on a new embedded fakeredis server."""
        if settings.redis_url is None:
            return cls(store, embedded(), settings, where="fakeredis")
        return cls(store, connect(settings.redis_url), settings, where=f"Redis at {redis_location(settings.redis_url)}")

    def describe(self) -> str:
        """One line: what runs where."""
        outbox = "the embedded store's outbox" if self.relay.outbox.store.embedded else "the MongoDB outbox"
        scope = " (streams and feeds live in this process only)" if self.where == "fakeredis" else ""
        return (
            f"in-process pipeline: relay + 1 worker ({self.worker.name}) in this process on {self.where}{scope}, "
            f"publishing {outbox}; posts fan out to followers' feeds"
        )

    @property
    def running(self) -> bool:
        """Whether a thread of the pipeline is still alive."""
        return any(thread.is_alive() for thread in self.threads)

    def start(self) -> None:
        """Start the relay and worker threads (once) and log :meth:`describe`."""
        if self.threads:
            return
        self.threads = [
            self._thread("feedchat-relay", lambda: self.relay.run(self.stopping, self.relay_idle_seconds)),
            self._thread("feedchat-worker", lambda: self.worker.run(self.stopping)),
        ]
        for thread in self.threads:
            thread.start()
        log.info("%s", self.describe())

    def stop(self, timeout: float = 10.0) -> bool:
        """Set the stop event and join both threads within ``timeout`` seconds in all; True when both ended."""
        self.stopping.set()
        deadline = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(max(deadline - time.monotonic(), 0.0))
        left = [thread.name for thread in self.threads if thread.is_alive()]
        if left:
            log.warning("in-process pipeline: %s still running %.1f s after the stop", ", ".join(left), timeout)
            return False
        log.info(
            "in-process pipeline stopped: published=%d trimmed=%d applied=%d duplicates=%d dead=%d",
            self.relay.published,
            self.relay.trimmed,
            self.worker.applied,
            self.worker.duplicates,
            self.worker.dead,
        )
        return True

    @staticmethod
    def _thread(name: str, loop: Callable[[], None]) -> threading.Thread:
        def guarded() -> None:
            try:
                loop()
            except Exception:
                log.exception("in-process pipeline: the %s thread stopped on an unexpected error", name)

        return threading.Thread(target=guarded, name=name, daemon=True)
