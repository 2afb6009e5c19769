"""Messages in chat rooms, oldest first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from feedchat.auth import Principal, require_principal
from feedchat.models import Message, MessageCreate, MessagePage
from feedchat.routes import stream
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
from feedchat.storage import Store

router = APIRouter(tags=["messages"])

StoreDep = Annotated[Store, Depends(store_of)]
Caller = Annotated[Principal, Depends(require_principal)]


@router.get("/v1/rooms/{room_id}/messages", name="listMessages", responses=declared(400, 404, 422, 500))
def list_messages(store: StoreDep, room_id: str, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> MessagePage:
    """Lists the messages of a room, oldest first, one page at a time."""
    if store.get_room(room_id) is None:
        raise not_found("room")
    page = page_of(lambda n, c: store.list_messages(room_id, n, c), limit, cursor)
    return MessagePage.model_validate({"items": page.items, "next_cursor": page.next_cursor})


@router.post(
    "/v1/rooms/{room_id}/messages",
    name="createMessage",
    dependencies=[JsonBody],
    status_code=201,
    responses=declared(400, 401, 404, 409, 415, 422, 500),
)
def create_message(
    request: Request,
    store: StoreDep,
    caller: Caller,
    room_id: str,
    payload: MessageCreate,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Appends a message written by the caller to a room."""
    if store.get_room(room_id) is None:
        raise not_found("room")

    def make() -> tuple[Message, None]:
        return Message.model_validate(store.create_message(room_id, caller.sub, payload.body)), None

    return create_once(request, caller, idempotency_key, payload, make)


@router.get(
    "/v1/rooms/{room_id}/stream",
    name="streamMessages",
    response_class=stream.EventStreamResponse,
    responses=declared(404, 422, 500),
)
async def stream_messages(
    request: Request, store: StoreDep, room_id: str, last_event_id: stream.LastEventId = None
) -> stream.EventStreamResponse:
    """Streams a room's messages as Server-Sent Events, resuming after ``Last-Event-ID`` (see :mod:`.stream`)."""
    room_end = await run_in_threadpool(store.room_position, room_id)
    if room_end is None:
        raise not_found("room")
    return stream.open_stream(request, store, room_id, room_end, last_event_id)
