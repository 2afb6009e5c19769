"""Chat rooms and their messages through the HTTP API."""

from __future__ import annotations

from collections.abc import Callable

from .conftest import CheckedClient

Auth = Callable[..., dict[str, str]]


def _room(client: CheckedClient, auth: Auth, name: str) -> dict[str, str]:
    response = client.post("/v1/rooms", json={"name": name}, headers=auth("alice"))
    assert response.status_code == 201
    return response.json()


def test_create_get_and_list_rooms(client: CheckedClient, auth: Auth) -> None:
    response = client.post(
        "/v1/rooms", json={"name": "general", "description": "Anything goes."}, headers=auth("carol")
    )
    assert response.status_code == 201
    room = response.json()
    assert room["created_by"] == "carol"
    assert room["description"] == "Anything goes."
    assert client.get(response.headers["location"]).json() == room
    _room(client, auth, "random")
    names = [r["name"] for r in client.get("/v1/rooms").json()["items"]]
    assert names == ["random", "general"]
    assert _room(client, auth, "quiet")["description"] is None


def test_room_names_are_unique(client: CheckedClient, auth: Auth) -> None:
    _room(client, auth, "general")
    response = client.post("/v1/rooms", json={"name": "general"}, headers=auth("bob"))
    assert response.status_code == 409
    assert "general" in response.json()["detail"]


def test_room_name_must_match_the_pattern(client: CheckedClient, auth: Auth) -> None:
    response = client.post("/v1/rooms", json={"name": "Not OK"}, headers=auth())
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/name"


def test_messages_are_oldest_first_with_a_cursor(client: CheckedClient, auth: Auth) -> None:
    room = _room(client, auth, "chat")
    sent = []
    for n in range(7):
        response = client.post(f"/v1/rooms/{room['id']}/messages", json={"body": f"m{n}"}, headers=auth("bob"))
        assert response.status_code == 201
        sent.append(response.json())
    assert all(m["author"] == "bob" and m["room_id"] == room["id"] for m in sent)
    bodies: list[str] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = client.get(f"/v1/rooms/{room['id']}/messages", params=params).json()
        bodies += [m["body"] for m in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert bodies == [f"m{n}" for n in range(7)]


def test_message_in_missing_room_is_404(client: CheckedClient, auth: Auth) -> None:
    assert client.post("/v1/rooms/nope/messages", json={"body": "Hi"}, headers=auth()).status_code == 404
    assert client.get("/v1/rooms/nope/messages").status_code == 404
    assert client.get("/v1/rooms/nope").status_code == 404


def test_a_cursor_of_another_list_starts_after_its_position_only(client: CheckedClient, auth: Auth) -> None:
    room = _room(client, auth, "one")
    for n in range(2):
        client.post(f"/v1/rooms/{room['id']}/messages", json={"body": f"m{n}"}, headers=auth())
    page = client.get(f"/v1/rooms/{room['id']}/messages", params={"limit": 1}).json()
    assert [m["body"] for m in page["items"]] == ["m0"]
    rest = client.get(f"/v1/rooms/{room['id']}/messages", params={"cursor": page["next_cursor"]}).json()
    assert [m["body"] for m in rest["items"]] == ["m1"]
