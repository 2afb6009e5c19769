"""Posts: the public feed. Only a post's author may change or delete it."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from feedchat.auth import Principal, require_principal
from feedchat.models import Post, PostCreate, PostPage, PostUpdate
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
from feedchat.storage import Store

router = APIRouter(tags=["posts"])

FEED_DEPRECATED_AT = datetime(2026, 11, 28, tzinfo=UTC)
"""When ``GET /v1/feed`` was deprecated in favour of ``GET /v1/posts``."""
FEED_SUNSET_AT = datetime(2027, 3, 31, tzinfo=UTC)
"""When ``GET /v1/feed`` stops working: the contract's ``x-sunset``."""

StoreDep = Annotated[Store, Depends(store_of)]
Caller = Annotated[Principal, Depends(require_principal)]


def _own_post(store: Store, post_id: str, caller: Principal) -> None:
    post = store.get_post(post_id)
    if post is None:
        raise not_found("post")
    if post["author"] != caller.sub:
        raise ProblemError(403, "Only the author of a post may change it.")


@router.get("/v1/posts", name="listPosts", responses=declared(400, 422, 500))
def list_posts(store: StoreDep, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> PostPage:
    """Lists posts, newest first, one page at a time."""
    page = page_of(store.list_posts, limit, cursor)
    return PostPage.model_validate({"items": page.items, "next_cursor": page.next_cursor})


@router.get("/v1/feed", name="listFeed", deprecated=True, responses=declared(400, 422, 500))
def list_feed(response: Response, store: StoreDep, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> PostPage:
    """The feed's old name: the pages of ``GET /v1/posts``, announced as deprecated (RFC 9745) with a sunset (RFC 8594)."""
    response.headers["Deprecation"] = f"@{int(FEED_DEPRECATED_AT.timestamp())}"
    response.headers["Sunset"] = format_datetime(FEED_SUNSET_AT, usegmt=True)
    response.headers["Link"] = '</v1/posts>; rel="successor-version"'
    return list_posts(store, limit, cursor)


@router.post(
    "/v1/posts",
    name="createPost",
    dependencies=[JsonBody],
    status_code=201,
    responses=declared(400, 401, 409, 415, 422, 500),
)
def create_post(
    request: Request, store: StoreDep, caller: Caller, payload: PostCreate, idempotency_key: IdempotencyKey = None
) -> Response:
    """Publishes a post written by the caller."""

    def make() -> tuple[Post, str]:
        post = Post.model_validate(store.create_post(caller.sub, payload.title, payload.body))
        return post, request.app.url_path_for("getPost", post_id=post.id)

    return create_once(request, caller, idempotency_key, payload, make)


@router.get("/v1/posts/{post_id}", name="getPost", responses=declared(404, 500))
def get_post(store: StoreDep, post_id: str) -> Post:
    """Returns one post."""
    post = store.get_post(post_id)
    if post is None:
        raise not_found("post")
    return Post.model_validate(post)


@router.patch(
    "/v1/posts/{post_id}",
    name="updatePost",
    dependencies=[JsonBody],
    responses=declared(400, 401, 403, 404, 415, 422, 500),
)
def update_post(store: StoreDep, caller: Caller, post_id: str, payload: PostUpdate) -> Post:
    """Changes the title or body of a post. Only the post's author may update it."""
    _own_post(store, post_id, caller)
    post = store.update_post(post_id, payload.model_dump(exclude_unset=True))
    if post is None:
        raise not_found("post")
    return Post.model_validate(post)


@router.delete("/v1/posts/{post_id}", name="deletePost", status_code=204, responses=declared(401, 403, 404, 500))
def delete_post(store: StoreDep, caller: Caller, post_id: str) -> Response:
    """Deletes a post and its comments. Only the post's author may delete it."""
    _own_post(store, post_id, caller)
    if not store.delete_post(post_id):
        raise not_found("post")
    return Response(status_code=204)
