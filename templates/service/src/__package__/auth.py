"""Bearer JWT verification against a JWKS: pinned algorithms, required claims, bounded clock skew."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from fastapi import HTTPException, Request
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

ALGORITHMS = ["Ed25519", "RS256"]
LEEWAY_SECONDS = 60
REQUIRED_CLAIMS = ("exp", "iat", "iss", "aud", "sub")


@dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    subject: str
    roles: tuple[str, ...]


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": "Bearer"})


def verify(token: str, keys: KeySet, issuer: str, audience: str) -> Principal:
    """Verify signature, algorithm and claims of ``token``; raise 401 otherwise."""
    try:
        decoded = jwt.decode(token, keys, algorithms=ALGORITHMS)
    except (JoseError, ValueError) as exc:
        raise _unauthorized("the bearer token is not valid") from exc
    claims = decoded.claims
    now = time.time()
    if any(c not in claims for c in REQUIRED_CLAIMS):
        raise _unauthorized("the bearer token lacks required claims")
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if claims["iss"] != issuer or audience not in audiences:
        raise _unauthorized("the bearer token is for another issuer or audience")
    if claims["exp"] < now - LEEWAY_SECONDS or claims.get("nbf", 0) > now + LEEWAY_SECONDS:
        raise _unauthorized("the bearer token is expired or not yet valid")
    return Principal(subject=str(claims["sub"]), roles=tuple(claims.get("roles", ())))


def keys_from_env() -> KeySet:
    """The verification keys, from the JWKS file named by ``JWKS_FILE``."""
    path = os.environ.get("JWKS_FILE")
    if not path:
        raise RuntimeError("set JWKS_FILE to the JWKS document of your token issuer")
    return KeySet.import_key_set(json.loads(Path(path).read_text(encoding="utf-8")))


def principal(request: Request) -> Principal:
    """FastAPI dependency: the caller of a protected operation."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise _unauthorized("a bearer token is required")
    settings = request.app.state.auth
    return verify(token, settings["keys"], settings["issuer"], settings["audience"])
