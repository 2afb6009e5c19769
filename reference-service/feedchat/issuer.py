"""The local development token issuer: Ed25519 keys kept in a git-ignored folder, rotatable without downtime.

The folder holds the current private signing key (``issuer-ed25519.jwk.json``) and the public keys of earlier
signing keys (``issuer-previous.jwks.json``) that still verify tokens until they are retired.
"""

from __future__ import annotations

import json
import os
import time
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, OKPKey

ALGORITHM = "EdDSA"
"""The only JWS algorithm the service signs and accepts."""
KEY_FILE = "issuer-ed25519.jwk.json"
PREVIOUS_FILE = "issuer-previous.jwks.json"


class KeyFileError(Exception):
    """A key or JWKS file is missing, unreadable or not what it should be."""


def sign(header: dict[str, Any], claims: dict[str, Any], key: OKPKey) -> str:
    """A compact JWS of ``claims``; joserfc's RFC 9864 deprecation warning for ``EdDSA`` is silenced here."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="EdDSA is deprecated")
        return jwt.encode(header, claims, key, algorithms=[ALGORITHM])


class DevIssuer:
    """Signs development tokens; its public key is the service's JWKS when no other is configured."""

    def __init__(self, key: OKPKey, issuer: str, audience: str, previous: Sequence[OKPKey] = ()) -> None:
        self.key = key
        self.issuer = issuer
        self.audience = audience
        self.previous = list(previous)
        """Public keys of earlier signing keys, still trusted for verification until retired."""

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
            previous = folder / PREVIOUS_FILE
            kept = list(load_jwks(previous).keys) if previous.exists() else []
            return cls(key, issuer, audience, [k for k in kept if isinstance(k, OKPKey)])
        key = _new_key()
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            _write_private(path, key, exclusive=True)
        except OSError as exc:
            raise KeyFileError(f"{path}: cannot write the development key ({exc.strerror})") from exc
        return cls(key, issuer, audience)

    def jwks(self) -> KeySet:
        """The public JWKS that verifies this issuer's tokens: the current key first, then the earlier ones."""
        return KeySet([_public(self.key), *(_public(k) for k in self.previous)])

    def rotate(self, folder: Path) -> DevIssuer:
        """Sign with a new key from now on; the current key moves to the previous keys and still verifies."""
        new = _new_key()
        previous = [_public(self.key), *self.previous]
        try:
            _write_previous(folder / PREVIOUS_FILE, previous)
            _write_private(folder / KEY_FILE, new, exclusive=False)
        except OSError as exc:
            raise KeyFileError(f"{folder}: cannot write the rotated keys ({exc.strerror})") from exc
        return DevIssuer(new, self.issuer, self.audience, previous)

    def retire(self, folder: Path, kid: str | None = None) -> list[str]:
        """Stop trusting the previous key ``kid`` (every previous key when ``None``); the retired kids."""
        gone = [str(k.kid) for k in self.previous if kid is None or k.kid == kid]
        if kid is not None and not gone:
            raise KeyFileError(f"no previous key has the kid {kid!r}")
        self.previous = [k for k in self.previous if str(k.kid) not in gone]
        try:
            _write_previous(folder / PREVIOUS_FILE, self.previous)
        except OSError as exc:
            raise KeyFileError(f"{folder}: cannot write the previous keys ({exc.strerror})") from exc
        return gone

    def issue(
        self,
        sub: str,
        roles: Sequence[str] = ("member",),
        ttl: int = 900,
        now: int | None = None,
        claims: Mapping[str, Any] | None = None,
    ) -> str:
        """A signed token for ``sub`` with ``roles``, valid for ``ttl`` seconds; ``claims`` override any claim."""
        issued = int(time.time()) if now is None else now
        payload = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": sub,
            "iat": issued,
            "exp": issued + ttl,
            "roles": list(roles),
            **(claims or {}),
        }
        return sign({"alg": ALGORITHM, "typ": "JWT", "kid": self.kid}, payload, self.key)


def _new_key() -> OKPKey:
    return OKPKey.generate_key("Ed25519", parameters={"use": "sig", "alg": ALGORITHM}, auto_kid=True)


def _public(key: OKPKey) -> OKPKey:
    return OKPKey.import_key(key.as_dict(private=False))


def _write_private(path: Path, key: OKPKey, *, exclusive: bool) -> None:
    """Write the private key with mode 0600; a replacement is written aside and renamed into place."""
    target = path if exclusive else path.with_suffix(".tmp")
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC), 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(key.as_dict(private=True), handle)
    if not exclusive:
        os.replace(target, path)


def _write_previous(path: Path, keys: Sequence[OKPKey]) -> None:
    if not keys:
        path.unlink(missing_ok=True)
        return
    aside = path.with_suffix(".tmp")
    aside.write_text(jwks_json(KeySet(list(keys))), encoding="utf-8")
    os.replace(aside, path)


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
