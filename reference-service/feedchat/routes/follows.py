"""Follows and the caller's timeline: the API over the fan-out pipeline's followers sets and feeds.

A follow belongs to the follower, so it lives under the follower's path (``/v1/users/{user_id}/follows/...``)
and only that user may change it: anyone else gets 403. A post reaches the timelines of its author's followers
through the outbox, the relay and the fan-out worker (:mod:`feedchat.reliability`), so it shows up there a moment
after ``createPost`` answers, not at once.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from feedchat.auth import Principal, require_principal
from feedchat.feeds import Feeds, not_configured
from feedchat.models import PostPage
from feedchat.problems import ProblemError
from feedchat.routes.common import DEFAULT_LIMIT, Cursor, Limit, declared, page_of, store_of
from feedchat.storage import Store

router = APIRouter(tags=["timeline"])

StoreDep = Annotated[Store, Depends(store_of)]
Caller = Annotated[Principal, Depends(require_principal)]
UserId = Annotated[str, Path(min_length=1, max_length=255, description="The `sub` of the user.")]
FolloweeId = Annotated[str, Path(min_length=1, max_length=255, description="The `sub` of the user to follow.")]
FOLLOWS = "/v1/users/{user_id}/follows/{followee_id}"


def feeds_of(request: Request) -> Feeds:
    """FastAPI dependency: the application's feeds, or a 503 problem when it has no feed store."""
    feeds: Feeds | None = request.app.state.feeds
    if feeds is None:
        raise not_configured()
    return feeds


FeedsDep = Annotated[Feeds, Depends(feeds_of)]


def _own_follows(caller: Principal, user_id: str) -> None:
    if user_id != caller.sub:
        raise ProblemError(403, "Only the user themselves may change whom they follow.")


@router.put(FOLLOWS, name="followUser", status_code=204, responses=declared(422, 500, 503))
def follow_user(feeds: FeedsDep, caller: Caller, user_id: UserId, followee_id: FolloweeId) -> Response:
    """The caller follows a user: the user's next posts reach the caller's timeline. Following twice is harmless."""
    _own_follows(caller, user_id)
    if followee_id == caller.sub:
        raise ProblemError(422, "You cannot follow yourself.")
    feeds.follow(caller.sub, followee_id)
    return Response(status_code=204)


@router.delete(FOLLOWS, name="unfollowUser", status_code=204, responses=declared(422, 500, 503))
def unfollow_user(feeds: FeedsDep, caller: Caller, user_id: UserId, followee_id: FolloweeId) -> Response:
    """The caller stops following a user; posts already in the timeline stay. Unfollowing twice is harmless."""
    _own_follows(caller, user_id)
    feeds.unfollow(caller.sub, followee_id)
    return Response(status_code=204)


@router.get("/v1/timeline", name="listTimeline", responses=declared(400, 422, 500, 503))
def list_timeline(
    store: StoreDep, feeds: FeedsDep, caller: Caller, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> PostPage:
    """Lists the posts of the users the caller follows, newest first, one page at a time."""
    page = page_of(lambda size, after: feeds.timeline(store, caller.sub, size, after), limit, cursor)
    return PostPage.model_validate({"items": page.items, "next_cursor": page.next_cursor})
