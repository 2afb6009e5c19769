"""The local development token issuer: one Ed25519 key pair kept in a git-ignored folder."""

from __future__ import annotations

import json
import os
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, OKPKey

ALGORITHM = "EdDSA"
"""The only JWS algorithm the service signs and accepts."""
KEY_FILE = "issuer-ed25519.jwk.json"


class KeyFileError(Exception):
    """A key or JWKS file is missing, unreadable or not what it should be."""


def sign(header: dict[str, Any], claims: dict[str, Any], key: OKPKey) -> str:
    """A compact JWS of ``claims``; joserfc's RFC 9864 deprecation warning for ``EdDSA`` is silenced here."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="EdDSA is deprecated")
        return jwt.encode(header, claims, key, algorithms=[ALGORITHM])


class DevIssuer:
    """Signs development tokens; its public key is the service's JWKS when no other is configured."""

    def __init__(self, key: OKPKey, issuer: str, audience: str) -> None:
        self.key = key
        self.issuer = issuer
        self.audience = audience

    @property
    def kid(self) -> str:
        """The key ID: the RFC 7638 thumbprint of the key."""
        return str(self.key.kid)

    @classmethod
    def load_or_create(cls, folder: Path, *, issuer: str, audience: str) -> DevIssuer:
        """Load the key from ``folder``, creating the folder and a new key on first use."""
        path = folder / KEY_FILE
        if path.exists():
            try:
                key = OKPKey.import_key(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError, JoseError) as exc:
                raise KeyFileError(f"{path}: not a readable Ed25519 private JWK ({exc})") from exc
            if not key.is_private or key.curve_name != "Ed25519":
                raise KeyFileError(f"{path}: not an Ed25519 private key")
            return cls(key, issuer, audience)
        key = OKPKey.generate_key("Ed25519", parameters={"use": "sig", "alg": ALGORITHM}, auto_kid=True)
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(key.as_dict(private=True), handle)
        except OSError as exc:
            raise KeyFileError(f"{path}: cannot write the development key ({exc.strerror})") from exc
        return cls(key, issuer, audience)

    def jwks(self) -> KeySet:
        """The public JWKS that verifies this issuer's tokens."""
        return KeySet([OKPKey.import_key(self.key.as_dict(private=False))])

    def issue(self, sub: str, roles: Sequence[str] = ("member",), ttl: int = 900, now: int | None = None) -> str:
        """A signed token for ``sub`` with ``roles``, valid for ``ttl`` seconds."""
        issued = int(time.time()) if now is None else now
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": sub,
            "iat": issued,
            "exp": issued + ttl,
            "roles": list(roles),
        }
        return sign({"alg": ALGORITHM, "typ": "JWT", "kid": self.kid}, claims, self.key)


def load_jwks(path: Path) -> KeySet:
    """A JWKS document from ``path``; only its public parts are kept."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        listed = data["keys"] if isinstance(data, dict) else None
        if not isinstance(listed, list) or not listed:
            raise KeyFileError(f"{path}: a JWKS document needs a non-empty 'keys' list")
        if not all(isinstance(k, dict) and k.get("kid") for k in listed):
            raise KeyFileError(f"{path}: every key in the JWKS needs a 'kid'")
        keys = KeySet.import_key_set(data)
    except (OSError, ValueError, TypeError, KeyError, JoseError) as exc:
        raise KeyFileError(f"{path}: not a readable JWKS document ({exc})") from exc
    return KeySet([type(k).import_key(k.as_dict(private=False)) for k in keys.keys])


def jwks_json(keys: KeySet) -> str:
    """The public JWKS as JSON text."""
    return json.dumps(keys.as_dict(private=False), indent=2)
