"""A Server-Sent Events parser for tests, following the WHATWG HTML event stream interpretation (section 9.2.6)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Event:
    """One dispatched event: the last event ID in effect, its type and its data."""

    id: str
    type: str
    data: str


@dataclass(frozen=True)
class Comment:
    """A line starting with a colon (servers send them as heartbeats)."""

    text: str


@dataclass(frozen=True)
class Retry:
    """A ``retry`` field: the reconnection time in milliseconds."""

    ms: int


def parse(lines: Iterable[str]) -> Iterator[Event | Comment | Retry]:
    """The events, comments and retry hints of a stream given as lines without their line endings.

    As a browser's ``EventSource`` does: ``data`` lines of one event are joined with newlines, an event with no
    data is not dispatched, the last event ID persists across events, and an ``id`` holding NUL is ignored.
    """
    last_id = ""
    event_type = ""
    data: list[str] = []
    first = True
    for raw in lines:
        line = raw.removeprefix("\ufeff") if first else raw
        first = False
        if line == "":
            if data:
                yield Event(last_id, event_type or "message", "\n".join(data))
            event_type, data = "", []
            continue
        if line.startswith(":"):
            yield Comment(line[1:].removeprefix(" "))
            continue
        field, colon, value = line.partition(":")
        if colon:
            value = value.removeprefix(" ")
        if field == "event":
            event_type = value
        elif field == "data":
            data.append(value)
        elif field == "id" and "\0" not in value:
            last_id = value
        elif field == "retry" and value.isascii() and value.isdigit():
            yield Retry(int(value))
