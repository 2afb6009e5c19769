"""Chat rooms."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from feedchat.auth import Principal, require_principal
from feedchat.models import Room, RoomCreate, RoomPage
from feedchat.problems import ProblemError
from feedchat.routes.common import (
    DEFAULT_LIMIT,
    Cursor,
    IdempotencyKey,
    JsonBody,
    Limit,
    create_once,
    declared,
    not_found,
    page_of,
    store_of,
)
from feedchat.storage import DuplicateName, Store

router = APIRouter(tags=["rooms"])

StoreDep = Annotated[Store, Depends(store_of)]
Caller = Annotated[Principal, Depends(require_principal)]


@router.get("/v1/rooms", name="listRooms", responses=declared(400, 422, 500))
def list_rooms(store: StoreDep, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> RoomPage:
    """Lists chat rooms, newest first, one page at a time."""
    page = page_of(store.list_rooms, limit, cursor)
    return RoomPage.model_validate({"items": page.items, "next_cursor": page.next_cursor})


@router.post(
    "/v1/rooms",
    name="createRoom",
    dependencies=[JsonBody],
    status_code=201,
    responses=declared(400, 401, 409, 415, 422, 500),
)
def create_room(
    request: Request, store: StoreDep, caller: Caller, payload: RoomCreate, idempotency_key: IdempotencyKey = None
) -> Response:
    """Creates a chat room. Room names are unique; a taken name is a conflict."""

    def make() -> tuple[Room, str]:
        try:
            room = Room.model_validate(store.create_room(payload.name, payload.description, caller.sub))
        except DuplicateName as exc:
            raise ProblemError(409, f"A room named {payload.name!r} already exists.") from exc
        return room, request.app.url_path_for("getRoom", room_id=room.id)

    return create_once(request, caller, idempotency_key, payload, make)


@router.get("/v1/rooms/{room_id}", name="getRoom", responses=declared(404, 500))
def get_room(store: StoreDep, room_id: str) -> Room:
    """Returns one chat room."""
    room = store.get_room(room_id)
    if room is None:
        raise not_found("room")
    return Room.model_validate(room)
