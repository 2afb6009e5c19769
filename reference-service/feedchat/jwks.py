"""Verification keys that follow rotation: re-read the JWKS on an unknown ``kid`` (throttled) or when stale."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from joserfc.jwk import Key, KeySet

log = logging.getLogger("feedchat")

REFRESH_INTERVAL = 30.0
"""The shortest time between two re-reads triggered by unknown ``kid`` values, in seconds."""
MAX_AGE = 3600.0
"""Keys older than this are re-read on the next lookup, so a retired key stops working without a restart."""


class KeySource:
    """The JWKS a token verifier trusts, loaded by ``load`` and refreshed without a restart.

    An unknown ``kid`` triggers a reload at most once per ``refresh_interval`` seconds, so a flood of tokens
    with made-up ``kid`` values cannot turn into a flood of JWKS fetches. Keys are also reloaded when older than
    ``max_age``. A reload that fails keeps the keys already known.
    """

    def __init__(
        self,
        load: Callable[[], KeySet],
        *,
        refresh_interval: float = REFRESH_INTERVAL,
        max_age: float = MAX_AGE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._load = load
        self.refresh_interval = refresh_interval
        self.max_age = max_age
        self._clock = clock
        self._lock = threading.Lock()
        self._keys = load()
        self._loaded_at = clock()
        self.reloads = 0

    @classmethod
    def fixed(cls, keys: KeySet) -> KeySource:
        """A source that always holds ``keys``."""
        return cls(lambda: keys, refresh_interval=float("inf"), max_age=float("inf"))

    @property
    def keys(self) -> KeySet:
        """The keys known now."""
        return self._keys

    def get(self, kid: str) -> Key | None:
        """The key with this ``kid``, reloading the JWKS first if it is stale or (throttled) if ``kid`` is unknown."""
        now = self._clock()
        if now - self._loaded_at >= self.max_age:
            self._reload(now)
        key = self._find(kid)
        if key is None and now - self._loaded_at >= self.refresh_interval:
            self._reload(now)
            key = self._find(kid)
        return key

    def _find(self, kid: str) -> Key | None:
        for key in self._keys:
            if key.kid == kid:
                return key
        return None

    def _reload(self, now: float) -> None:
        with self._lock:
            if now - self._loaded_at < min(self.refresh_interval, self.max_age):
                return
            self._loaded_at = now
            try:
                self._keys = self._load()
            except Exception as exc:  # any loader failure keeps the known keys
                log.warning("could not reload the JWKS, keeping the %d known keys: %s", len(self._keys.keys), exc)
                return
            self.reloads += 1
            log.info("reloaded the JWKS: %d keys", len(self._keys.keys))
