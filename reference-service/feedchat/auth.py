"""Bearer token verification: EdDSA-signed JWTs, keys by ``kid`` from a JWKS, strict claims."""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import Key, KeySet

from feedchat.issuer import ALGORITHM
from feedchat.jwks import KeySource
from feedchat.problems import ProblemError

log = logging.getLogger("feedchat")

ROLES = frozenset({"member", "moderator", "admin"})
MAX_TOKEN_LENGTH = 8192
REALM = "feedchat"


class AuthError(Exception):
    """A token was rejected; the message says why, without secrets."""


@dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    sub: str
    roles: tuple[str, ...]


class TokenVerifier:
    """Verifies compact JWS tokens against one JWKS (fixed, or a :class:`KeySource` that follows rotation)."""

    def __init__(
        self,
        keys: KeySet | KeySource,
        *,
        issuer: str,
        audience: str,
        leeway: int = 60,
        clock: Callable[[], int] | None = None,
    ) -> None:
        self.keys = keys if isinstance(keys, KeySource) else KeySource.fixed(keys)
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.clock = clock or (lambda: int(time.time()))

    def _key_for(self, obj: Any) -> Key:
        kid = obj.headers().get("kid")
        if not isinstance(kid, str) or not kid:
            raise AuthError("the token header has no 'kid'")
        key = self.keys.get(kid)
        if key is None:
            raise AuthError("the token was signed with an unknown key")
        return key

    def verify(self, token: str) -> Principal:
        """The token's principal, or :class:`AuthError`."""
        if len(token) > MAX_TOKEN_LENGTH:
            raise AuthError("the token is too long")
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="EdDSA is deprecated")
                decoded = jwt.decode(token, self._key_for, algorithms=[ALGORITHM])
            if decoded.header.get("alg") != ALGORITHM:
                raise AuthError("the token algorithm is not allowed")
            claims = jwt.JWTClaimsRegistry(
                now=self.clock,
                leeway=self.leeway,
                iss={"essential": True, "value": self.issuer},
                aud={"essential": True, "value": self.audience},
                sub={"essential": True},
                exp={"essential": True},
                iat={"essential": True},
            )
            claims.validate(decoded.claims)
        except JoseError as exc:
            raise AuthError(exc.description or exc.error) from exc
        except (ValueError, TypeError, KeyError) as exc:
            raise AuthError("the token is malformed") from exc
        return Principal(sub=str(decoded.claims["sub"]), roles=_roles(decoded.claims.get("roles")))


def _roles(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(r, str) and r in ROLES for r in value):
        raise AuthError(f"the 'roles' claim must be a list of {', '.join(sorted(ROLES))}")
    return tuple(value)


def _challenge(error: str | None = None, description: str | None = None) -> dict[str, str]:
    value = f'Bearer realm="{REALM}"'
    if error:
        value += f', error="{error}"'
    if description:
        value += ', error_description="{}"'.format(description.replace('"', "'"))
    return {"WWW-Authenticate": value}


def require_principal(request: Request) -> Principal:
    """FastAPI dependency: the verified caller, or a 401 problem with a ``WWW-Authenticate`` challenge.

    The problem does not say which check failed (that would help an attacker tune a forgery); the reason is
    logged. A token verified once per request is kept on ``request.state`` and not verified again.
    """
    known = getattr(request.state, "principal", None)
    if isinstance(known, Principal):
        return known
    header = request.headers.get("authorization")
    if not header:
        raise ProblemError(401, "A bearer token is required.", headers=_challenge())
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ProblemError(
            401, "Use the Bearer authorization scheme.", headers=_challenge("invalid_request", "Bearer scheme expected")
        )
    verifier: TokenVerifier = request.app.state.verifier
    try:
        principal = verifier.verify(token)
    except AuthError as exc:
        log.info("rejected a bearer token on %s %s: %s", request.method, request.url.path, exc)
        raise ProblemError(401, "The bearer token is not valid.", headers=_challenge("invalid_token")) from exc
    request.state.principal = principal
    return principal
