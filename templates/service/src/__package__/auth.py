"""Bearer JWT verification against a JWKS: pinned algorithms, required claims, bounded clock skew."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from fastapi import HTTPException, Request
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

log = logging.getLogger(__name__)

ALGORITHMS = ["Ed25519", "RS256"]
"""The only JWS algorithms accepted; the token's own ``alg`` header can never widen this list."""
LEEWAY_SECONDS = 60
"""The clock skew tolerated between the token issuer and this service when checking exp, nbf and iat."""


@dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    subject: str
    roles: tuple[str, ...]


CHALLENGE = {"WWW-Authenticate": "Bearer"}


def _unauthorized() -> HTTPException:
    """The one 401 for every rejected token: the client is not told which check failed."""
    return HTTPException(status_code=401, detail="the bearer token is not valid", headers=CHALLENGE)


def verify(token: str, keys: KeySet, issuer: str, audience: str) -> Principal:
    """Verify the signature with a pinned algorithm, then the claims (exp, iat, iss, aud, sub; nbf when present)."""
    try:
        decoded = jwt.decode(token, keys, algorithms=ALGORITHMS)
        claims = jwt.JWTClaimsRegistry(
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": audience},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
        )
        claims.validate(decoded.claims)
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        log.info("rejected a bearer token: %s", getattr(exc, "description", None) or type(exc).__name__)
        raise _unauthorized() from exc
    roles = decoded.claims.get("roles", [])
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        log.info("rejected a bearer token: the roles claim is not a list of strings")
        raise _unauthorized()
    return Principal(subject=str(decoded.claims["sub"]), roles=tuple(roles))


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
        raise HTTPException(status_code=401, detail="a bearer token is required", headers=CHALLENGE)
    settings = request.app.state.auth
    return verify(token, settings["keys"], settings["issuer"], settings["audience"])
