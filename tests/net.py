"""Loopback helpers for tests that run a service or a server as its own process."""

from __future__ import annotations

import socket
import subprocess
import time

import httpx


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, seconds: float = 20, *, process: subprocess.Popen[bytes] | None = None) -> None:
    """Poll ``url`` until something answers it (any HTTP status); give up early if ``process`` exits."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"the process serving {url} exited with status {process.returncode}") from None
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up within {seconds} s")
