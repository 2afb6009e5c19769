"""Bearer tokens for the probes: forgeries that need no key, and validly signed bad ones that do.

A signed bad token comes from the test issuer's private JWK (``--signing-key``) or from a token
command (``--token-command``) run with ``--claim NAME=VALUE`` arguments that override claims.
"""

from __future__ import annotations

import base64
import json
import shlex
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import Key, import_key

from checks.errors import InputError, UsageError

COMMAND_TIMEOUT = 30
_ALGORITHMS = {"OKP": "EdDSA", "RSA": "RS256", "oct": "HS256"}
_EC_ALGORITHMS = {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def parts(token: str) -> tuple[dict[str, Any], dict[str, Any], str] | None:
    """Header, claims and signature of a compact JWS, unverified; ``None`` when it is not one."""
    pieces = token.split(".")
    if len(pieces) != 3:
        return None
    try:
        header, claims = json.loads(_unb64(pieces[0])), json.loads(_unb64(pieces[1]))
    except ValueError:
        return None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return None
    return header, claims, pieces[2]


def forgeries(token: str | None) -> dict[str, str]:
    """Tokens any attacker can make: unsigned, signature stripped, payload tampered (original signature)."""
    parsed = parts(token) if token else None
    header, claims, signature = parsed if parsed else ({"alg": "EdDSA", "typ": "JWT"}, _default_claims(), "")
    unsigned = {**header, "alg": "none"}
    out = {"alg-none": f"{_b64(json.dumps(unsigned).encode())}.{_b64(json.dumps(claims).encode())}."}
    head, body = _b64(json.dumps(header).encode()), _b64(json.dumps(claims).encode())
    if token and parsed:
        head, body = token.split(".")[0], token.split(".")[1]
    out["no-signature"] = f"{head}.{body}."
    tampered = {**claims, "sub": f"{claims.get('sub', 'user')}-tampered", "roles": ["admin"]}
    out["tampered"] = f"{head}.{_b64(json.dumps(tampered).encode())}.{signature or _b64(b'0' * 64)}"
    return out


def _default_claims() -> dict[str, Any]:
    now = int(time.time())
    return {"sub": "probe", "iat": now, "exp": now + 600}


def bad_claims(base: dict[str, Any], now: int | None = None) -> dict[str, dict[str, Any]]:
    """Claim overrides that make a validly signed token invalid, by probe name."""
    now = int(time.time()) if now is None else now
    return {
        "expired": {"iat": now - 7200, "exp": now - 3600},
        "not-yet-valid": {"iat": now, "nbf": now + 3600, "exp": now + 7200},
        "wrong-audience": {"aud": f"{base.get('aud', 'api')}-other"},
        "wrong-issuer": {"iss": f"{base.get('iss', 'urn:issuer')}-other"},
    }


def load_signing_key(path: Path) -> Key:
    """A private JWK from ``path``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        key = import_key(data)
    except FileNotFoundError:
        raise InputError("signing key file not found", file=str(path)) from None
    except (OSError, ValueError, TypeError, JoseError) as exc:
        raise InputError(f"not a readable JWK ({exc})", file=str(path)) from None
    if not key.is_private:
        raise InputError("the JWK has no private part; give the test issuer's signing key", file=str(path))
    return key


def key_signer(key: Key, token: str | None) -> Callable[[dict[str, Any]], str]:
    """Sign claims like ``token`` (same header and base claims) with ``key``, overrides applied."""
    parsed = parts(token) if token else None
    header, base = (parsed[0], parsed[1]) if parsed else ({}, _default_claims())
    alg = str(key.get("alg") or header.get("alg") or _algorithm(key))
    head = {"alg": alg, "typ": "JWT", **({"kid": key.kid} if key.kid else {})}

    def sign(overrides: dict[str, Any]) -> str:
        claims = {k: v for k, v in {**base, **overrides}.items() if v is not None}
        return jwt.encode(head, claims, key, algorithms=[alg])

    return sign


def _algorithm(key: Key) -> str:
    if key.key_type == "EC":
        return _EC_ALGORITHMS.get(str(key.get("crv")), "ES256")
    return _ALGORITHMS.get(key.key_type, "RS256")


def command_signer(command: str) -> Callable[[dict[str, Any]], str]:
    """Run ``command --claim NAME=VALUE …`` to sign claims with the overrides."""

    def sign(overrides: dict[str, Any]) -> str:
        extra: list[str] = []
        for name, value in overrides.items():
            extra += ["--claim", f"{name}={value}"]
        return run_token_command(command, extra)

    return sign


def run_token_command(command: str, extra: list[str] | None = None) -> str:
    """The token a command prints on standard output (its first non-empty line)."""
    try:
        argv = shlex.split(command) + (extra or [])
    except ValueError as exc:
        raise UsageError(f"token command {command!r}: {exc}") from None
    if not argv:
        raise UsageError("token command is empty")
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=COMMAND_TIMEOUT, check=False)  # noqa: S603 - the user names the command
    except FileNotFoundError:
        raise UsageError(f"token command {argv[0]!r} not found") from None
    except subprocess.TimeoutExpired:
        raise UsageError(f"token command {command!r} did not finish within {COMMAND_TIMEOUT} s") from None
    lines = [ln.strip() for ln in done.stdout.splitlines() if ln.strip()]
    if done.returncode != 0 or not lines:
        why = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        raise UsageError(f"token command {command!r} failed: {why}")
    return lines[0]
