"""Fixtures: the reference service in a subprocess, the broken app in a thread, a socket that never answers."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from joserfc import jwt
from joserfc.jwk import OKPKey

from tests.feedchat_process import FeedchatProcess, start_feedchat
from tests.net import free_port, wait_until_up

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SERVICE = ROOT / "reference-service"
# Generous limits, so that the probes' own requests are not refused before they are judged.
RATE_LIMITS = (
    "address=10000/minute,auth-failures=10000/minute,creates=1000/minute,writes=1000/minute,reads=1000/minute,"
    "moderation=1000/minute"
)


@pytest.fixture(scope="module")
def feedchat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FeedchatProcess]:
    """The reference service; its development keys are also in ``os.environ``, for the token commands."""
    service = start_feedchat(tmp_path_factory.mktemp("feedchat"), rate_limits=RATE_LIMITS)
    os.environ["FEEDCHAT_DEV_KEYS"] = str(service.keys)
    try:
        yield service
    finally:
        os.environ.pop("FEEDCHAT_DEV_KEYS", None)
        service.stop()


@dataclass
class Broken:
    """The broken app's URL, a signing key file and tokens it (does not) verify."""

    url: str
    key_file: Path
    tokens: dict[str, str]


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broken]:
    from .broken_app import app

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    key = OKPKey.generate_key("Ed25519", parameters={"alg": "EdDSA"}, auto_kid=True)
    key_file = tmp_path_factory.mktemp("broken") / "issuer.jwk.json"
    key_file.write_text(json.dumps(key.as_dict(private=True)), encoding="utf-8")
    now = int(time.time())
    tokens = {
        name: jwt.encode(
            {"alg": "EdDSA", "kid": key.kid},
            {"iss": "urn:test", "aud": "notes", "sub": name, "iat": now, "exp": now + 600, "roles": roles},
            key,
            algorithms=["EdDSA"],
        )
        for name, roles in {"alice": ["member"], "bob": ["member"], "member": ["member"]}.items()
    }
    try:
        wait_until_up(url + "/v1/notes")
        yield Broken(url, key_file, tokens)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def silent_socket() -> Iterator[str]:
    """A listening socket that accepts connections and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(sock.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=2)
        for conn in held:
            conn.close()
        sock.close()
