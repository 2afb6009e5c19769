"""Comments on posts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from feedchat.auth import Principal, require_principal
from feedchat.models import Comment, CommentCreate, CommentPage
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

router = APIRouter(tags=["comments"])

StoreDep = Annotated[Store, Depends(store_of)]
Caller = Annotated[Principal, Depends(require_principal)]


@router.get("/v1/posts/{post_id}/comments", name="listComments", responses=declared(400, 404, 422, 500))
def list_comments(store: StoreDep, post_id: str, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> CommentPage:
    """Lists the comments of a post, oldest first, one page at a time."""
    if store.get_post(post_id) is None:
        raise not_found("post")
    page = page_of(lambda n, c: store.list_comments(post_id, n, c), limit, cursor)
    return CommentPage.model_validate({"items": page.items, "next_cursor": page.next_cursor})


@router.post(
    "/v1/posts/{post_id}/comments",
    name="createComment",
    dependencies=[JsonBody],
    status_code=201,
    responses=declared(400, 401, 404, 409, 415, 422, 500),
)
def create_comment(
    request: Request,
    store: StoreDep,
    caller: Caller,
    post_id: str,
    payload: CommentCreate,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Adds a comment written by the caller to a post."""
    if store.get_post(post_id) is None:
        raise not_found("post")

    def make() -> tuple[Comment, None]:
        return Comment.model_validate(store.create_comment(post_id, caller.sub, payload.body)), None

    return create_once(request, caller, idempotency_key, payload, make)
