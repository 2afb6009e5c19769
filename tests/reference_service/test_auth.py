"""Bearer tokens: EdDSA only, keys by kid, required claims, bounded clock skew, 401 problems."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from feedchat.app import create_app
from feedchat.auth import AuthError, TokenVerifier
from feedchat.issuer import KEY_FILE, DevIssuer, KeyFileError, load_jwks, sign
from feedchat.settings import Settings
from joserfc import jwt
from joserfc.jwk import OctKey

from .conformance import Contract
from .conftest import CheckedClient

Auth = Callable[..., dict[str, str]]
NEW_POST = {"title": "Hi", "body": "Hello."}


def _claims(issuer: DevIssuer, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {"iss": issuer.issuer, "aud": issuer.audience, "sub": "alice", "iat": now, "exp": now + 300}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _token(issuer: DevIssuer, header: dict[str, Any] | None = None, **changes: Any) -> str:
    return sign(header or {"alg": "EdDSA", "kid": issuer.kid}, _claims(issuer, **changes), issuer.key)


def _verifier(issuer: DevIssuer) -> TokenVerifier:
    return TokenVerifier(issuer.jwks(), issuer=issuer.issuer, audience=issuer.audience, leeway=60)


def test_missing_token_is_401_with_challenge(client: CheckedClient) -> None:
    response = client.post("/v1/posts", json=NEW_POST)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="feedchat"'
    assert response.json()["detail"] == "A bearer token is required."


@pytest.mark.parametrize("value", ["Basic YWxpY2U6c2VjcmV0", "Bearer", "Bearer not.a.jwt", "Bearer abc"])
def test_malformed_authorization_is_401(client: CheckedClient, value: str) -> None:
    response = client.post("/v1/posts", json=NEW_POST, headers={"Authorization": value})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer ")


def test_valid_token_is_accepted_and_carries_roles(issuer: DevIssuer) -> None:
    principal = _verifier(issuer).verify(issuer.issue("mod", ["member", "moderator"]))
    assert (principal.sub, principal.roles) == ("mod", ("member", "moderator"))


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"exp": -61}, "expired"),
        ({"iat": 120}, "future"),
        ({"aud": "another-api"}, "aud"),
        ({"iss": "https://evil.example"}, "iss"),
        ({"sub": None}, "sub"),
        ({"exp": None}, "exp"),
        ({"iat": None}, "iat"),
        ({"aud": None}, "aud"),
        ({"iss": None}, "iss"),
        ({"roles": ["root"]}, "roles"),
        ({"roles": "admin"}, "roles"),
    ],
)
def test_bad_claims_are_rejected(issuer: DevIssuer, changes: dict[str, Any], reason: str) -> None:
    # Times are offsets from now, taken when the test runs rather than when it is collected.
    now = int(time.time())
    changes = {k: now + v if k in {"exp", "iat"} and isinstance(v, int) else v for k, v in changes.items()}
    with pytest.raises(AuthError, match=reason):
        _verifier(issuer).verify(_token(issuer, **changes))


def test_clock_skew_of_a_minute_is_tolerated(issuer: DevIssuer) -> None:
    now = int(time.time())
    assert _verifier(issuer).verify(_token(issuer, exp=now - 30, iat=now + 30)).sub == "alice"


def test_other_algorithms_are_rejected(issuer: DevIssuer) -> None:
    secret = OctKey.generate_key(256, parameters={"kid": issuer.kid})
    hs256 = jwt.encode({"alg": "HS256", "kid": issuer.kid}, _claims(issuer), secret, algorithms=["HS256"])
    with pytest.raises(AuthError, match="not allowed"):
        _verifier(issuer).verify(hs256)


def test_unsigned_token_is_rejected(issuer: DevIssuer) -> None:
    def b64(data: dict[str, Any]) -> str:
        import base64

        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    unsigned = f"{b64({'alg': 'none', 'kid': issuer.kid})}.{b64(_claims(issuer))}."
    with pytest.raises(AuthError):
        _verifier(issuer).verify(unsigned)


def test_unknown_or_missing_kid_is_rejected(issuer: DevIssuer, tmp_path: Path) -> None:
    stranger = DevIssuer.load_or_create(tmp_path / "other", issuer=issuer.issuer, audience=issuer.audience)
    with pytest.raises(AuthError, match="unknown key"):
        _verifier(issuer).verify(stranger.issue("mallory"))
    with pytest.raises(AuthError, match="kid"):
        _verifier(issuer).verify(_token(issuer, header={"alg": "EdDSA"}))


def test_tampered_token_is_rejected(issuer: DevIssuer) -> None:
    header, _, signature = issuer.issue("alice").split(".")
    forged = _token(issuer, sub="admin").split(".")[1]
    with pytest.raises(AuthError):
        _verifier(issuer).verify(f"{header}.{forged}.{signature[::-1]}")


def test_expired_token_over_http_is_401_invalid_token(client: CheckedClient, issuer: DevIssuer) -> None:
    token = issuer.issue("alice", ttl=60, now=int(time.time()) - 600)
    response = client.post("/v1/posts", json=NEW_POST, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_public_reads_ignore_a_bad_token(client: CheckedClient) -> None:
    assert client.get("/v1/posts", headers={"Authorization": "Bearer garbage"}).status_code == 200


def test_dev_key_is_created_once_and_private(settings: Settings) -> None:
    first = DevIssuer.load_or_create(settings.dev_keys_dir, issuer="i", audience="a")
    again = DevIssuer.load_or_create(settings.dev_keys_dir, issuer="i", audience="a")
    assert first.kid == again.kid
    mode = os.stat(settings.dev_keys_dir / KEY_FILE).st_mode & 0o777
    assert mode == 0o600


def test_broken_dev_key_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / KEY_FILE).write_text("{}", encoding="utf-8")
    with pytest.raises(KeyFileError, match="not a readable Ed25519 private JWK"):
        DevIssuer.load_or_create(tmp_path, issuer="i", audience="a")


def test_configured_jwks_file_replaces_the_dev_issuer(tmp_path: Path, contract: Contract) -> None:
    other = DevIssuer.load_or_create(tmp_path / "idp", issuer="urn:feedchat:dev-issuer", audience="feedchat-api")
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(other.jwks().as_dict()), encoding="utf-8")
    app = create_app(Settings(jwks_path=jwks, dev_keys_dir=tmp_path / "unused"))
    assert not (tmp_path / "unused").exists()
    with CheckedClient(app, contract) as client:
        good = client.post("/v1/posts", json=NEW_POST, headers={"Authorization": f"Bearer {other.issue('alice')}"})
        assert good.status_code == 201
    dev = DevIssuer.load_or_create(tmp_path / "dev", issuer="urn:feedchat:dev-issuer", audience="feedchat-api")
    with TestClient(app) as client:
        bad = client.post("/v1/posts", json=NEW_POST, headers={"Authorization": f"Bearer {dev.issue('alice')}"})
        assert bad.status_code == 401


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "not a readable JWKS"),
        ("not json", "not a readable JWKS"),
        ('{"keys": []}', "non-empty 'keys'"),
        ('{"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}', "kid"),
    ],
)
def test_bad_jwks_file_is_a_clear_error(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "jwks.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(KeyFileError, match=message):
        load_jwks(path)


def test_jwks_never_exposes_the_private_key(issuer: DevIssuer) -> None:
    (key,) = issuer.jwks().as_dict()["keys"]
    assert "d" not in key
    assert key["kid"] == issuer.kid
