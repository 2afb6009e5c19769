"""One router per resource; each route's ``name`` is its ``operationId`` in the contract."""

from fastapi import APIRouter

from feedchat.routes import comments, follows, messages, moderation, posts, rooms

ROUTERS: tuple[APIRouter, ...] = (
    posts.router,
    comments.router,
    rooms.router,
    messages.router,
    moderation.router,
    follows.router,
)
