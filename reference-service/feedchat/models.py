"""Request and response bodies, mirroring ``components.schemas`` of the contract."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
Subject = Annotated[str, Field(min_length=1, max_length=255)]
PostTitle = Annotated[str, Field(min_length=1, max_length=200)]
PostBody = Annotated[str, Field(min_length=1, max_length=10000)]
CommentBody = Annotated[str, Field(min_length=1, max_length=2000)]
MessageBody = Annotated[str, Field(min_length=1, max_length=4000)]
RoomName = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9-]*$")]
RoomDescription = Annotated[str, Field(max_length=1000)]


class _Closed(BaseModel):
    """A request body: unknown members are rejected."""

    model_config = ConfigDict(extra="forbid", strict=True)


class PostCreate(_Closed):
    """A new post."""

    title: PostTitle
    body: PostBody


class PostUpdate(_Closed):
    """The fields of a post to change; at least one."""

    title: PostTitle | None = None
    body: PostBody | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> PostUpdate:
        if not self.model_fields_set:
            raise ValueError("give at least one of title, body")
        if any(getattr(self, name) is None for name in self.model_fields_set):
            raise ValueError("title and body cannot be null")
        return self


class CommentCreate(_Closed):
    """A new comment."""

    body: CommentBody


class RoomCreate(_Closed):
    """A new chat room."""

    name: RoomName
    description: RoomDescription | None = None

    @model_validator(mode="after")
    def _no_null(self) -> RoomCreate:
        if "description" in self.model_fields_set and self.description is None:
            raise ValueError("description cannot be null; omit it instead")
        return self


class MessageCreate(_Closed):
    """A new message."""

    body: MessageBody


class Post(BaseModel):
    """A post in the feed."""

    id: Id
    author: Subject
    title: PostTitle
    body: PostBody
    created_at: datetime
    updated_at: datetime


class Comment(BaseModel):
    """A comment on a post."""

    id: Id
    post_id: Id
    author: Subject
    body: CommentBody
    created_at: datetime


class Room(BaseModel):
    """A chat room."""

    id: Id
    name: RoomName
    description: RoomDescription | None
    created_by: Subject
    created_at: datetime


class Message(BaseModel):
    """A message in a chat room."""

    id: Id
    room_id: Id
    author: Subject
    body: MessageBody
    created_at: datetime


class PostPage(BaseModel):
    """One page of posts."""

    items: list[Post]
    next_cursor: str | None


class CommentPage(BaseModel):
    """One page of comments."""

    items: list[Comment]
    next_cursor: str | None


class RoomPage(BaseModel):
    """One page of chat rooms."""

    items: list[Room]
    next_cursor: str | None


class MessagePage(BaseModel):
    """One page of messages."""

    items: list[Message]
    next_cursor: str | None
