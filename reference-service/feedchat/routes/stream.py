"""A room's messages as Server-Sent Events: replay after ``Last-Event-ID``, then new messages as they are posted.

Each message has a per-room sequence number (``seq``), drawn by an atomic increment on the room document
when the message is created; the event ``id`` is that number. A client that reconnects with the last ID it
saw gets the messages after it, so every message arrives exactly once and in order.

The stream polls the store (one index-served read of at most :data:`~feedchat.schema.STREAM_PAGE` messages
per ``poll_seconds``): it works on every replica and on the embedded store, with no notifier to lose events.
Two writers can insert in the other order than they drew their numbers, so a missing number holds the
stream back until it appears, or until it is clearly not coming (its insert failed, or the message was
deleted): the message after it is older than ``gap_seconds``, or the gap has been waited on that long.

Only clients that ask for ``text/event-stream`` in ``Accept`` (``EventSource`` always does) get a live
stream; it ends after ``max_seconds``, on server shutdown, and when the client disconnects. Other clients
get the messages there are now and the response ends, which keeps generic HTTP tools from hanging.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import Header, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from feedchat.guard import client_address
from feedchat.models import Message
from feedchat.problems import ProblemError
from feedchat.schema import STREAM_PAGE
from feedchat.settings import EventStreamSettings
from feedchat.storage import Store

log = logging.getLogger("feedchat")

EVENT_STREAM = "text/event-stream"
MAX_EVENT_ID_LENGTH = 20
BUSY_RETRY_SECONDS = 5

LastEventId = Annotated[
    str | None,
    Header(
        alias="Last-Event-ID",
        min_length=1,
        max_length=MAX_EVENT_ID_LENGTH,
        pattern=r"^[0-9]+$",
        description="The `id` of the last event the client received; the stream resumes after it.",
    ),
]


class StreamRegistry:
    """The open live streams of one app: a bound per client, and a switch that ends them all at shutdown."""

    def __init__(self, max_per_client: int) -> None:
        self.max_per_client = max_per_client
        self.open: Counter[str] = Counter()
        self.closing = False
        """Set when the server is shutting down: every stream ends at its next poll."""

    def acquire(self, client: str) -> bool:
        """Count one more stream for ``client``; ``False`` when it already holds the most it may."""
        if self.open[client] >= self.max_per_client:
            return False
        self.open[client] += 1
        return True

    def release(self, client: str) -> None:
        """One stream of ``client`` ended."""
        self.open[client] -= 1
        if self.open[client] <= 0:
            del self.open[client]

    def close(self) -> None:
        """End every stream (they notice within one poll interval) and refuse new live ones."""
        self.closing = True

    @property
    def total(self) -> int:
        """How many live streams are open."""
        return sum(self.open.values())


def close_streams_on_exit(server: Any, registry: StreamRegistry) -> None:
    """Make a ``uvicorn.Server`` end the open streams when it is asked to exit (SIGINT, SIGTERM).

    uvicorn waits for open responses before it stops; without this, shutdown would wait up to
    ``max_seconds`` for every stream. Setting a flag is all a signal handler may safely do.
    """
    handle_exit: Callable[[int, Any], None] = server.handle_exit

    def on_exit(sig: int, frame: Any) -> None:
        registry.close()
        handle_exit(sig, frame)

    server.handle_exit = on_exit


def wants_live_stream(accept: str) -> bool:
    """Whether an ``Accept`` header asks for ``text/event-stream`` by name (``*/*`` does not)."""
    return any(part.split(";")[0].strip().lower() == EVENT_STREAM for part in accept.split(","))


def format_event(seq: int, message: dict[str, Any]) -> str:
    """One ``message`` event: ``id`` the sequence number, ``data`` the Message JSON on one line."""
    data = Message.model_validate(message).model_dump_json()
    return f"id: {seq}\nevent: message\ndata: {data}\n\n"


@dataclass
class Cursor:
    """Where one stream is: the last sequence number sent, and since when it waits on a missing one."""

    after: int
    gap_since: float | None = None

    def take(
        self, batch: list[tuple[int, dict[str, Any]]], now: float, grace: float
    ) -> list[tuple[int, dict[str, Any]]]:
        """The messages of ``batch`` (in ``seq`` order) that may be sent now; advances the cursor past them.

        A message directly after the cursor goes out. One after a gap goes out only when the gap is settled:
        the message is older than ``grace`` (its number was drawn after the missing one's, so the missing
        insert has had that long), or this stream has waited ``grace`` on the gap. Otherwise the stream stops
        at the gap and reads again at the next poll.
        """
        out: list[tuple[int, dict[str, Any]]] = []
        for seq, message in batch:
            if seq <= self.after:
                continue
            if seq != self.after + 1:
                if self.gap_since is None:
                    self.gap_since = now
                created: datetime = message["created_at"]
                old = created <= datetime.now(UTC) - timedelta(seconds=grace)
                if not old and now - self.gap_since < grace:
                    break
            out.append((seq, message))
            self.after = seq
            self.gap_since = None
        return out


async def event_stream(
    request: Request,
    store: Store,
    settings: EventStreamSettings,
    registry: StreamRegistry,
    room_id: str,
    cursor: Cursor,
    *,
    live: bool,
) -> AsyncIterator[str]:
    """The body of one stream: the ``retry`` hint, replayed and new messages, heartbeats, a closing comment."""
    started = time.monotonic()
    deadline = started + settings.max_seconds
    yield f"retry: {settings.retry_ms}\n\n"
    last_write = time.monotonic()
    while True:
        batch = await run_in_threadpool(store.messages_after, room_id, cursor.after, STREAM_PAGE)
        now = time.monotonic()
        ready = cursor.take(batch, now, settings.gap_seconds)
        if ready:
            yield "".join(format_event(seq, message) for seq, message in ready)
            last_write = now
        caught_up = len(batch) < STREAM_PAGE or len(ready) < len(batch)
        if not caught_up and now < deadline:
            continue
        if not live:
            return
        # Wait for the next poll; end on disconnect, shutdown or the deadline; keep the connection warm.
        poll_at = now + settings.poll_seconds
        while True:
            if registry.closing:
                yield ": the server is shutting down; reconnect with Last-Event-ID\n\n"
                return
            if time.monotonic() >= deadline:
                yield ": the stream reached its maximum duration; reconnect with Last-Event-ID\n\n"
                return
            if await request.is_disconnected():
                return
            if time.monotonic() - last_write >= settings.heartbeat_seconds:
                yield ": heartbeat\n\n"
                last_write = time.monotonic()
            remaining = poll_at - time.monotonic()
            if remaining <= 0:
                break
            await asyncio.sleep(min(remaining, 0.1))


class EventStreamResponse(StreamingResponse):
    """A ``text/event-stream`` response that runs ``on_close`` however it ends (done, disconnect, cancel)."""

    media_type = EVENT_STREAM

    def __init__(self, content: AsyncIterator[str], on_close: Callable[[], None] | None = None) -> None:
        super().__init__(
            content,
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            media_type=EVENT_STREAM,
        )
        self.on_close = on_close

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            close = getattr(self.body_iterator, "aclose", None)
            if close is not None:
                await close()
            if self.on_close is not None:
                self.on_close()


def start_position(last_event_id: str | None, room_end: int) -> int:
    """Where a stream starts: after ``Last-Event-ID``, else at the room's end (new messages only).

    An ID beyond the room's end (a reset database, another deployment's ID) starts at the end too, so the
    client does not wait for numbers that may never come.
    """
    if last_event_id is None:
        return room_end
    return min(int(last_event_id), room_end)


def open_stream(
    request: Request, store: Store, room_id: str, room_end: int, last_event_id: str | None
) -> EventStreamResponse:
    """The response of ``streamMessages`` for an existing room whose last drawn sequence number is ``room_end``.

    A live stream counts against the client's bound of open streams (429 beyond it) until it ends.
    """
    settings: EventStreamSettings = request.app.state.settings.streams
    registry: StreamRegistry = request.app.state.streams
    cursor = Cursor(start_position(last_event_id, room_end))
    live = wants_live_stream(request.headers.get("accept", "")) and not registry.closing
    on_close: Callable[[], None] | None = None
    if live:
        client = client_address(request)
        if not registry.acquire(client):
            raise ProblemError(
                429,
                f"This client already has {registry.max_per_client} open message streams; close one first.",
                headers={"Retry-After": str(BUSY_RETRY_SECONDS)},
            )

        def on_close() -> None:
            registry.release(client)

    body = event_stream(request, store, settings, registry, room_id, cursor, live=live)
    return EventStreamResponse(body, on_close)
