"""Moderation: hiding posts, deleting messages and banning users.

Who may call these is declared in :mod:`feedchat.permissions`; the gate refuses everyone else before a handler
runs. The handlers apply the object-level rule: a message may be deleted by its author or by a moderator.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response

from feedchat.auth import Principal, require_principal
from feedchat.permissions import Permission, may_act_on
from feedchat.problems import ProblemError
from feedchat.routes.common import declared, not_found, store_of
from feedchat.storage import Store

router = APIRouter(tags=["moderation"])

StoreDep = Annotated[Store, Depends(store_of)]
Caller = Annotated[Principal, Depends(require_principal)]
UserId = Annotated[str, Path(min_length=1, max_length=255, description="The `sub` of the user.")]


@router.post("/v1/posts/{post_id}/hide", name="hidePost", status_code=204, responses=declared(404, 500))
def hide_post(store: StoreDep, caller: Caller, post_id: str) -> Response:
    """Hides a post from the feed: afterwards it is not listed and reading it is a 404, for everyone."""
    if not store.hide_post(post_id, caller.sub):
        raise not_found("post")
    return Response(status_code=204)


@router.delete(
    "/v1/rooms/{room_id}/messages/{message_id}",
    name="deleteMessage",
    status_code=204,
    responses=declared(404, 500),
)
def delete_message(store: StoreDep, caller: Caller, room_id: str, message_id: str) -> Response:
    """Deletes a message. Its author may delete it; a moderator may delete anyone's."""
    message = store.get_message(room_id, message_id)
    if message is None:
        raise not_found("message in this room")
    if not may_act_on(message["author"], caller.sub, caller.roles, Permission.MESSAGE_DELETE_ANY):
        raise ProblemError(403, "Only the author of a message or a moderator may delete it.")
    store.delete_message(room_id, message_id)
    return Response(status_code=204)


@router.post("/v1/users/{user_id}/ban", name="banUser", status_code=204, responses=declared(409, 422, 500))
def ban_user(store: StoreDep, caller: Caller, user_id: UserId) -> Response:
    """Bans a user: from now on every operation that changes data answers them 403. Banning twice is harmless."""
    if user_id == caller.sub:
        raise ProblemError(409, "An administrator cannot ban themselves.")
    store.ban_user(user_id, caller.sub)
    return Response(status_code=204)
