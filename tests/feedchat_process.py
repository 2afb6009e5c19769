"""The reference service as its own process: ``python -m feedchat serve`` on a free loopback port.

Tests that need real HTTP (concurrency, streaming, signals, the contract check) start it here, on the
embedded defaults: no ``MONGODB_URI``, no ``REDIS_URL``, development keys in a temporary folder.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from feedchat.issuer import DevIssuer
from feedchat.ratelimit import POLICIES
from feedchat.settings import SERVICE_ROOT, Settings

from tests.net import free_port, wait_until_up

GENEROUS_LIMITS = ",".join(f"{policy}=100000/minute" for policy in POLICIES)
"""Rate limits far above any test's traffic, so that no request is refused for its rate."""


@dataclass
class FeedchatProcess:
    """A running ``python -m feedchat serve``, its environment, keys and log."""

    url: str
    proc: subprocess.Popen[bytes]
    env: dict[str, str]
    keys: Path
    log: Path
    stopped: bool = field(default=False, init=False)

    @cached_property
    def issuer(self) -> DevIssuer:
        """The development issuer whose keys the process trusts."""
        defaults = Settings()
        return DevIssuer.load_or_create(self.keys, issuer=defaults.issuer, audience=defaults.audience)

    def auth(self, sub: str, roles: tuple[str, ...] = ("member",)) -> dict[str, str]:
        """An ``Authorization`` header for ``sub``."""
        return {"Authorization": f"Bearer {self.issuer.issue(sub, list(roles), ttl=600)}"}

    def token_command(self, sub: str, roles: str = "member") -> str:
        """A shell command that prints a token for ``sub`` (as ``--token-command`` takes it)."""
        return f"{sys.executable} -m feedchat token --sub {sub} --roles {roles}"

    def stop(self, timeout: float = 20) -> float:
        """SIGTERM, then the seconds until the process exited (killed if it outlives ``timeout``)."""
        started = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.stopped = True
        return time.monotonic() - started


def start_feedchat(folder: Path, *, rate_limits: str = GENEROUS_LIMITS, **env: str) -> FeedchatProcess:
    """Start the service with its keys and log in ``folder`` and ``env`` on top; return once it answers HTTP."""
    folder.mkdir(parents=True, exist_ok=True)
    keys = folder / "keys"
    full = {**os.environ, "FEEDCHAT_DEV_KEYS": str(keys), "FEEDCHAT_RATE_LIMITS": rate_limits}
    for name in ("MONGODB_URI", "REDIS_URL", "FEEDCHAT_INPROCESS_PIPELINE"):
        full.pop(name, None)
    full.update(env)
    port = free_port()
    log = folder / f"feedchat-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "feedchat", "serve", "--port", str(port)],
            cwd=SERVICE_ROOT,
            env=full,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url + "/v1/posts", process=proc)
    except RuntimeError as exc:
        proc.kill()
        proc.wait()
        raise RuntimeError(f"{exc}; its log:\n{log.read_text(errors='replace')}") from None
    return FeedchatProcess(url, proc, full, keys, log)
