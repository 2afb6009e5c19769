"""The attack suite: forged tokens, broken object- and function-level authorization, floods and oversized input.

Each test is named after the attack it replays. Every rejection must be an RFC 9457 problem that gives nothing
away: no stack trace, no exception name, no hint which token check failed.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from feedchat.issuer import DevIssuer, sign
from joserfc import jws
from joserfc.jwk import OctKey

from checks.engines.code import ENGINE as CODE
from checks.scaffold import render

from .conftest import Service

Bearer = Callable[..., dict[str, str]]
NEW_POST = {"title": "Hi", "body": "Hello."}
PROBLEM = "application/problem+json"
LEAKS = ("Traceback", 'File "', "Error:", "joserfc", "pymongo", "redis", "exception")


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def segment(data: dict[str, Any]) -> str:
    return b64(json.dumps(data).encode())


def claims(issuer: DevIssuer, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {"iss": issuer.issuer, "aud": issuer.audience, "sub": "alice", "iat": now, "exp": now + 300}
    base["roles"] = ["member"]
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["type"] == "about:blank"
    assert not any(leak in response.text for leak in LEAKS), response.text
    return body


def assert_rejected_token(client: TestClient, token: str) -> None:
    response = client.post("/v1/posts", json=NEW_POST, headers={"Authorization": f"Bearer {token}"})
    body = assert_problem(response, 401)
    assert body["detail"] == "The bearer token is not valid."
    assert response.headers["www-authenticate"] == 'Bearer realm="feedchat", error="invalid_token"'


# -- forged and broken tokens ------------------------------------------------------------------------------


def test_alg_none_token(client: TestClient, issuer: DevIssuer) -> None:
    token = f"{segment({'alg': 'none', 'typ': 'JWT', 'kid': issuer.kid})}.{segment(claims(issuer, roles=['admin']))}."
    assert_rejected_token(client, token)


def test_algorithm_confusion_hs256_signed_with_the_public_key(client: TestClient, issuer: DevIssuer) -> None:
    public = issuer.jwks().as_dict()["keys"][0]
    secret = OctKey.import_key(json.dumps(public).encode())
    header = {"alg": "HS256", "typ": "JWT", "kid": issuer.kid}
    token = jws.serialize_compact(header, json.dumps(claims(issuer)).encode(), secret, algorithms=["HS256"])
    assert_rejected_token(client, token)


def test_expired_token(client: TestClient, issuer: DevIssuer) -> None:
    assert_rejected_token(client, issuer.issue("alice", ttl=60, now=int(time.time()) - 3600))


def test_not_yet_valid_token(client: TestClient, issuer: DevIssuer) -> None:
    future = int(time.time()) + 3600
    token = sign({"alg": "EdDSA", "kid": issuer.kid}, claims(issuer, iat=future, nbf=future), issuer.key)
    assert_rejected_token(client, token)


def test_token_from_another_issuer(client: TestClient, issuer: DevIssuer) -> None:
    token = sign({"alg": "EdDSA", "kid": issuer.kid}, claims(issuer, iss="https://evil.example"), issuer.key)
    assert_rejected_token(client, token)


def test_token_for_another_audience(client: TestClient, issuer: DevIssuer) -> None:
    token = sign({"alg": "EdDSA", "kid": issuer.kid}, claims(issuer, aud="another-api"), issuer.key)
    assert_rejected_token(client, token)


def test_token_signed_by_an_unknown_key(client: TestClient, issuer: DevIssuer, tmp_path: Path) -> None:
    stranger = DevIssuer.load_or_create(tmp_path / "stranger", issuer=issuer.issuer, audience=issuer.audience)
    assert_rejected_token(client, stranger.issue("alice", ["admin"]))


def test_token_with_a_kid_pointing_at_a_real_key_but_signed_by_another(
    client: TestClient, issuer: DevIssuer, tmp_path: Path
) -> None:
    stranger = DevIssuer.load_or_create(tmp_path / "stranger", issuer=issuer.issuer, audience=issuer.audience)
    token = sign({"alg": "EdDSA", "kid": issuer.kid}, claims(issuer, roles=["admin"]), stranger.key)
    assert_rejected_token(client, token)


def test_tampered_payload_with_the_original_signature(client: TestClient, issuer: DevIssuer) -> None:
    header, _, signature = issuer.issue("alice", ["member"]).split(".")
    raised = segment(claims(issuer, roles=["admin"]))
    assert_rejected_token(client, f"{header}.{raised}.{signature}")


def test_oversized_token(client: TestClient, issuer: DevIssuer) -> None:
    token = sign({"alg": "EdDSA", "kid": issuer.kid}, claims(issuer, padding="x" * 20_000), issuer.key)
    assert len(token) > 20_000
    assert_rejected_token(client, token)


@pytest.mark.parametrize("claim", ["sub", "exp", "iat", "iss", "aud"])
def test_token_missing_a_required_claim(client: TestClient, issuer: DevIssuer, claim: str) -> None:
    token = sign({"alg": "EdDSA", "kid": issuer.kid}, claims(issuer, **{claim: None}), issuer.key)
    assert_rejected_token(client, token)


def test_token_claiming_an_invented_role(client: TestClient, issuer: DevIssuer) -> None:
    token = sign({"alg": "EdDSA", "kid": issuer.kid}, claims(issuer, roles=["root"]), issuer.key)
    assert_rejected_token(client, token)


def test_token_guessing_is_throttled_per_address(client: TestClient) -> None:
    for _ in range(5):
        assert_problem(client.post("/v1/posts", json=NEW_POST, headers={"Authorization": "Bearer x.y.z"}), 401)
    blocked = client.post("/v1/posts", json=NEW_POST, headers={"Authorization": "Bearer x.y.z"})
    assert_problem(blocked, 429)
    assert int(blocked.headers["retry-after"]) >= 1
    assert '"auth-failures";q=5;w=60' in blocked.headers["ratelimit-policy"]


# -- broken object-level authorization (BOLA) --------------------------------------------------------------


def test_bola_editing_someone_elses_post_is_403(client: TestClient, bearer: Bearer) -> None:
    post = client.post("/v1/posts", json=NEW_POST, headers=bearer("alice")).json()
    assert_problem(client.patch(f"/v1/posts/{post['id']}", json={"title": "Mine"}, headers=bearer("mallory")), 403)
    assert_problem(client.delete(f"/v1/posts/{post['id']}", headers=bearer("mallory")), 403)
    assert client.get(f"/v1/posts/{post['id']}").json()["title"] == "Hi"


def test_bola_deleting_someone_elses_message_is_403(client: TestClient, bearer: Bearer) -> None:
    room = client.post("/v1/rooms", json={"name": "general"}, headers=bearer("alice")).json()
    message = client.post(f"/v1/rooms/{room['id']}/messages", json={"body": "hi"}, headers=bearer("alice")).json()
    path = f"/v1/rooms/{room['id']}/messages/{message['id']}"
    assert_problem(client.delete(path, headers=bearer("mallory")), 403)
    assert client.delete(path, headers=bearer("alice")).status_code == 204
    assert_problem(client.delete(path, headers=bearer("alice")), 404)


def test_bola_reaching_a_message_through_another_room_is_404(client: TestClient, bearer: Bearer) -> None:
    mine = client.post("/v1/rooms", json={"name": "mine"}, headers=bearer("mallory")).json()
    theirs = client.post("/v1/rooms", json={"name": "theirs"}, headers=bearer("alice")).json()
    message = client.post(f"/v1/rooms/{theirs['id']}/messages", json={"body": "hi"}, headers=bearer("alice")).json()
    assert_problem(client.delete(f"/v1/rooms/{mine['id']}/messages/{message['id']}", headers=bearer("mallory")), 404)


def test_bola_touching_a_hidden_post_is_404_for_everyone(client: TestClient, bearer: Bearer) -> None:
    post = client.post("/v1/posts", json=NEW_POST, headers=bearer("alice")).json()
    assert client.post(f"/v1/posts/{post['id']}/hide", headers=bearer("mod", "moderator")).status_code == 204
    assert_problem(client.get(f"/v1/posts/{post['id']}"), 404)
    assert_problem(client.patch(f"/v1/posts/{post['id']}", json={"title": "Back"}, headers=bearer("alice")), 404)
    assert post["id"] not in [p["id"] for p in client.get("/v1/posts").json()["items"]]


# -- broken function-level authorization (BFLA) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "roles"),
    [
        ("POST", "/v1/posts/{post}/hide", ("member",)),
        ("POST", "/v1/users/bob/ban", ("member",)),
        ("POST", "/v1/users/bob/ban", ("member", "moderator")),
    ],
)
def test_bfla_privileged_operation_with_too_few_roles_is_403(
    client: TestClient, bearer: Bearer, method: str, path: str, roles: tuple[str, ...]
) -> None:
    post = client.post("/v1/posts", json=NEW_POST, headers=bearer("alice")).json()
    response = client.request(method, path.format(post=post["id"]), headers=bearer("mallory", *roles))
    assert assert_problem(response, 403)["detail"] == "Your roles do not allow this operation."


def test_bfla_token_without_roles_may_only_read(client: TestClient, issuer: DevIssuer) -> None:
    headers = {"Authorization": f"Bearer {issuer.issue('alice', [])}"}
    assert_problem(client.post("/v1/posts", json=NEW_POST, headers=headers), 403)
    assert client.get("/v1/posts", headers=headers).status_code == 200


def test_bfla_privileged_operation_without_a_token_is_401(client: TestClient) -> None:
    assert_problem(client.post("/v1/users/bob/ban"), 401)


def test_banned_user_can_no_longer_write(client: TestClient, bearer: Bearer) -> None:
    assert client.post("/v1/posts", json=NEW_POST, headers=bearer("mallory")).status_code == 201
    assert client.post("/v1/users/mallory/ban", headers=bearer("root", "admin")).status_code == 204
    body = assert_problem(client.post("/v1/posts", json=NEW_POST, headers=bearer("mallory")), 403)
    assert "banned" in body["detail"]
    assert client.get("/v1/posts").status_code == 200


# -- resource consumption ----------------------------------------------------------------------------------


def test_create_flood_is_429_with_retry_after_and_ratelimit_headers(client: TestClient, bearer: Bearer) -> None:
    headers = bearer("spammer")
    accepted = [client.post("/v1/posts", json=NEW_POST, headers=headers) for _ in range(5)]
    assert [r.status_code for r in accepted] == [201] * 5
    assert accepted[0].headers["ratelimit"].endswith('"creates";r=4;t=0')
    assert '"creates";q=5;w=60' in accepted[0].headers["ratelimit-policy"]
    rejected = client.post("/v1/posts", json=NEW_POST, headers=headers)
    assert_problem(rejected, 429)
    assert 1 <= int(rejected.headers["retry-after"]) <= 60
    assert '"creates";r=0' in rejected.headers["ratelimit"]
    assert client.post("/v1/posts", json=NEW_POST, headers=bearer("someone-else")).status_code == 201


def test_oversized_body_is_413(client: TestClient, bearer: Bearer) -> None:
    body = json.dumps({"title": "Big", "body": "x" * (70 * 1024)})
    response = client.post("/v1/posts", content=body, headers={**bearer(), "Content-Type": "application/json"})
    assert_problem(response, 413)


def test_oversized_body_streamed_without_content_length_is_413(client: TestClient, bearer: Bearer) -> None:
    def chunks() -> Any:
        yield b'{"title": "Big", "body": "'
        for _ in range(80):
            yield b"x" * 1024
        yield b'"}'

    response = client.post("/v1/posts", content=chunks(), headers={**bearer(), "Content-Type": "application/json"})
    assert_problem(response, 413)


def test_burst_across_two_processes_sharing_redis_never_exceeds_the_limit(
    services: Callable[[dict[str, str]], Service], redis_server: Any, tmp_path: Path
) -> None:
    env = {
        "REDIS_URL": redis_server.url,
        "FEEDCHAT_DEV_KEYS": str(tmp_path / "keys"),
        "FEEDCHAT_RATE_LIMITS": "creates=7/minute,address=10000/minute",
        "FEEDCHAT_DATABASE": f"burst{time.time_ns()}",
    }
    issuer = DevIssuer.load_or_create(tmp_path / "keys", issuer="urn:feedchat:dev-issuer", audience="feedchat-api")
    first, second = services(env), services(env)
    headers = {"Authorization": f"Bearer {issuer.issue(f'burst-{time.time_ns()}')}"}
    statuses: list[int] = []
    with httpx.Client(timeout=10) as http:
        for i in range(30):
            target = (first, second)[i % 2]
            response = http.post(f"{target.url}/v1/posts", json=NEW_POST, headers=headers)
            statuses.append(response.status_code)
            if response.status_code == 429:
                assert int(response.headers["retry-after"]) >= 1
                assert response.headers["content-type"] == PROBLEM
            else:
                assert response.status_code == 201
                assert "ratelimit" in response.headers
    assert statuses.count(201) == 7
    assert statuses.count(429) == 23


# -- the code scan ---------------------------------------------------------------------------------------


def test_code_scan_finds_nothing_in_the_reference_service() -> None:
    """What ``handbook check code reference-service`` runs: the SEC semgrep rules."""
    assert [f.message for f in CODE.run([Path("reference-service")]).findings] == []


def test_code_scan_finds_nothing_in_a_generated_service(tmp_path: Path) -> None:
    render("service", "orders-service", tmp_path / "orders-service")
    assert [f.message for f in CODE.run([tmp_path / "orders-service"]).findings] == []


# -- key rotation ------------------------------------------------------------------------------------------


def test_key_rotation_without_restart_then_retired_key_is_refused(
    client: TestClient, issuer: DevIssuer, settings: Any
) -> None:
    old_token = issuer.issue("alice")
    rotated = issuer.rotate(settings.dev_keys_dir)
    client.app.state.verifier.keys.refresh_interval = 0  # type: ignore[attr-defined]
    new_token = rotated.issue("alice")
    for token in (old_token, new_token):
        response = client.post("/v1/posts", json=NEW_POST, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 201
    rotated.retire(settings.dev_keys_dir)
    client.app.state.verifier.keys.max_age = 0  # type: ignore[attr-defined]
    assert_rejected_token(client, old_token)


def test_unknown_kid_flood_rereads_the_jwks_at_most_once_per_interval(client: TestClient) -> None:
    source = client.app.state.verifier.keys  # type: ignore[attr-defined]
    before = source.reloads
    assert all(source.get(f"made-up-{n}") is None for n in range(100))
    assert source.reloads - before <= 1
    source.refresh_interval = 0
    assert all(source.get(f"made-up-{n}") is None for n in range(3))
    assert source.reloads - before >= 3
