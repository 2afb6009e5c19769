"""Posts and comments through the HTTP API."""

from __future__ import annotations

from collections.abc import Callable

from .conftest import CheckedClient

Auth = Callable[..., dict[str, str]]


def _post(client: CheckedClient, auth: Auth, title: str, sub: str = "alice") -> dict[str, str]:
    response = client.post("/v1/posts", json={"title": title, "body": f"Body of {title}."}, headers=auth(sub))
    assert response.status_code == 201
    return response.json()


def test_create_then_get_by_location(client: CheckedClient, auth: Auth) -> None:
    response = client.post("/v1/posts", json={"title": "Hello", "body": "First post."}, headers=auth("alice"))
    assert response.status_code == 201
    created = response.json()
    assert created["author"] == "alice"
    assert created["created_at"] == created["updated_at"]
    assert response.headers["location"] == f"/v1/posts/{created['id']}"
    fetched = client.get(response.headers["location"])
    assert fetched.status_code == 200
    assert fetched.json() == created


def test_list_paginates_newest_first_without_gaps(client: CheckedClient, auth: Auth) -> None:
    ids = [_post(client, auth, f"Post {n}")["id"] for n in range(5)]
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, str | int] = {"limit": 2} if cursor is None else {"limit": 2, "cursor": cursor}
        page = client.get("/v1/posts", params=params).json()
        pages += 1
        assert len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == list(reversed(ids))


def test_default_limit_is_twenty(client: CheckedClient, auth: Auth) -> None:
    for n in range(21):
        _post(client, auth, f"Post {n}")
    page = client.get("/v1/posts").json()
    assert len(page["items"]) == 20
    assert page["next_cursor"] is not None


def test_author_updates_own_post(client: CheckedClient, auth: Auth) -> None:
    post = _post(client, auth, "Draft")
    response = client.patch(f"/v1/posts/{post['id']}", json={"title": "Final"}, headers=auth("alice"))
    assert response.status_code == 200
    updated = response.json()
    assert (updated["title"], updated["body"]) == ("Final", post["body"])
    assert updated["updated_at"] >= post["updated_at"]
    assert updated["created_at"] == post["created_at"]


def test_only_the_author_may_update_or_delete(client: CheckedClient, auth: Auth) -> None:
    post = _post(client, auth, "Mine", sub="alice")
    patch = client.patch(f"/v1/posts/{post['id']}", json={"title": "Yours"}, headers=auth("bob"))
    assert patch.status_code == 403
    assert patch.json()["detail"] == "Only the author of a post may change it."
    assert client.delete(f"/v1/posts/{post['id']}", headers=auth("bob")).status_code == 403
    assert client.get(f"/v1/posts/{post['id']}").json()["title"] == "Mine"


def test_delete_removes_post_and_comments(client: CheckedClient, auth: Auth) -> None:
    post = _post(client, auth, "Short-lived")
    client.post(f"/v1/posts/{post['id']}/comments", json={"body": "Bye."}, headers=auth("bob"))
    response = client.delete(f"/v1/posts/{post['id']}", headers=auth("alice"))
    assert response.status_code == 204
    assert response.content == b""
    assert client.get(f"/v1/posts/{post['id']}").status_code == 404
    assert client.get(f"/v1/posts/{post['id']}/comments").status_code == 404
    assert client.delete(f"/v1/posts/{post['id']}", headers=auth("alice")).status_code == 404


def test_comments_are_listed_oldest_first(client: CheckedClient, auth: Auth) -> None:
    post = _post(client, auth, "Discuss")
    for n in range(3):
        response = client.post(f"/v1/posts/{post['id']}/comments", json={"body": f"c{n}"}, headers=auth("bob"))
        assert response.status_code == 201
        assert response.json()["post_id"] == post["id"]
    first = client.get(f"/v1/posts/{post['id']}/comments", params={"limit": 2}).json()
    rest = client.get(f"/v1/posts/{post['id']}/comments", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [c["body"] for c in first["items"] + rest["items"]] == ["c0", "c1", "c2"]
    assert rest["next_cursor"] is None


def test_comment_on_missing_post_is_404(client: CheckedClient, auth: Auth) -> None:
    response = client.post("/v1/posts/nope/comments", json={"body": "Hello?"}, headers=auth())
    assert response.status_code == 404
    assert response.json()["detail"] == "No post with this ID."


def test_idempotency_key_replays_the_first_response(client: CheckedClient, auth: Auth) -> None:
    headers = {**auth("alice"), "Idempotency-Key": "create-hello-1"}
    first = client.post("/v1/posts", json={"title": "Once", "body": "Only once."}, headers=headers)
    again = client.post("/v1/posts", json={"title": "Once", "body": "Only once."}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert len(client.get("/v1/posts").json()["items"]) == 1


def test_idempotency_key_reused_with_another_body_is_409(client: CheckedClient, auth: Auth) -> None:
    headers = {**auth("alice"), "Idempotency-Key": "k-1"}
    client.post("/v1/posts", json={"title": "One", "body": "One."}, headers=headers)
    response = client.post("/v1/posts", json={"title": "Two", "body": "Two."}, headers=headers)
    assert response.status_code == 409
    # Keys belong to their caller: bob's k-1 is a different key.
    other = client.post(
        "/v1/posts", json={"title": "Two", "body": "Two."}, headers={**auth("bob"), "Idempotency-Key": "k-1"}
    )
    assert other.status_code == 201
