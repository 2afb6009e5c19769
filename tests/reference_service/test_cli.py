"""The ``python -m feedchat`` commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from feedchat.auth import TokenVerifier
from feedchat.cli import main
from feedchat.issuer import DevIssuer

from tests.net import free_port


def _env(tmp_path: Path) -> dict[str, str]:
    return {"FEEDCHAT_DEV_KEYS": str(tmp_path / "keys")}


def test_token_prints_a_verifiable_token(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["token", "--sub", "alice", "--roles", "member,admin", "--ttl", "60"], env=_env(tmp_path)
    )
    assert result.exit_code == 0, result.output
    issuer = DevIssuer.load_or_create(tmp_path / "keys", issuer="urn:feedchat:dev-issuer", audience="feedchat-api")
    verifier = TokenVerifier(issuer.jwks(), issuer=issuer.issuer, audience=issuer.audience)
    principal = verifier.verify(result.output.strip())
    assert (principal.sub, principal.roles) == ("alice", ("member", "admin"))


def test_token_rejects_unknown_roles(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["token", "--sub", "alice", "--roles", "root"], env=_env(tmp_path))
    assert result.exit_code == 2
    assert "unknown role(s) root" in result.output
    assert "Traceback" not in result.output


def test_jwks_prints_the_public_key_only(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["jwks"], env=_env(tmp_path))
    assert result.exit_code == 0
    (key,) = json.loads(result.output)["keys"]
    assert key["crv"] == "Ed25519"
    assert "d" not in key


def test_serve_with_a_missing_jwks_file_fails_in_one_line(tmp_path: Path) -> None:
    env = {**_env(tmp_path), "FEEDCHAT_JWKS_PATH": str(tmp_path / "missing.json")}
    result = CliRunner().invoke(main, ["serve", "--port", "8089"], env=env)
    assert result.exit_code == 1
    assert result.output.count("\n") == 1
    assert "missing.json: not a readable JWKS document" in result.output


@pytest.mark.slow
def test_module_entry_point_serves_the_api(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, **_env(tmp_path)}
    env.pop("MONGODB_URI", None)
    token = subprocess.run(
        [sys.executable, "-m", "feedchat", "token", "--sub", "alice"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    server = subprocess.Popen(
        [sys.executable, "-m", "feedchat", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                httpx.get(f"{base}/openapi.json", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        created = httpx.post(
            f"{base}/v1/posts", json={"title": "Hi", "body": "Hello."}, headers={"Authorization": f"Bearer {token}"}
        )
        assert created.status_code == 201
        assert httpx.get(f"{base}/v1/posts").json()["items"][0]["author"] == "alice"
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=10)
    assert "embedded mongomock store, data is in memory" in output
