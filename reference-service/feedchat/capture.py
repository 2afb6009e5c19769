"""Record every query and pipeline the service executes, for ``handbook check mongo --capture``.

Two sources feed one capture: the repository layer reports each declared shape it runs (the only
source on the embedded mongomock store, which sends no commands), and a pymongo
:class:`~pymongo.monitoring.CommandListener` reports each data command sent to a real server. A
capture is written as JSON Lines in MongoDB Extended JSON (relaxed), one record per executed
operation. Capturing is off unless a :class:`Capture` is started (the reference service's tests
start one when ``FEEDCHAT_MONGO_CAPTURE`` names a file).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from bson import json_util
from pymongo import monitoring

Record = dict[str, Any]
ENV_VAR = "FEEDCHAT_MONGO_CAPTURE"

DATA_COMMANDS = frozenset({"find", "aggregate", "update", "delete", "findAndModify", "count", "distinct", "insert"})


def from_command(command_name: str, command: Mapping[str, Any]) -> list[Record]:
    """The records of one command sent to the server (none for commands that are not data access)."""
    if command_name not in DATA_COMMANDS:
        return []
    collection = command.get(command_name)
    if not isinstance(collection, str):
        return []
    base: Record = {"source": "command", "command": command_name, "collection": collection}
    if command_name == "find":
        return [{**base, "filter": command.get("filter", {}), "sort": _pairs(command.get("sort"))}]
    if command_name == "aggregate":
        return [{**base, "pipeline": list(command.get("pipeline", []))}]
    if command_name == "update":
        return [{**base, "filter": u.get("q", {}), "multi": bool(u.get("multi"))} for u in command.get("updates", [])]
    if command_name == "delete":
        return [{**base, "filter": d.get("q", {}), "multi": d.get("limit") == 0} for d in command.get("deletes", [])]
    if command_name == "findAndModify":
        return [{**base, "filter": command.get("query", {}), "sort": _pairs(command.get("sort"))}]
    if command_name in ("count", "distinct"):
        return [{**base, "filter": command.get("query", {})}]
    return [{**base, "documents": len(command.get("documents", []))}]


def _pairs(sort: Mapping[str, Any] | None) -> list[list[Any]]:
    return [[k, v] for k, v in (sort or {}).items()]


class Listener(monitoring.CommandListener):
    """A pymongo command listener that hands the records of each started command to a capture."""

    def __init__(self, record: Callable[[Record], None]) -> None:
        self._record = record

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        for record in from_command(event.command_name, event.command):
            self._record(record)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        """Nothing to record: the shape is known when the command starts."""

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        """Nothing to record: a failed command was still sent, and recorded when it started."""


class Capture:
    """The records of one run."""

    def __init__(self) -> None:
        self.records: list[Record] = []
        self._lock = threading.Lock()

    def record(self, record: Record) -> None:
        """Keep one record."""
        with self._lock:
            self.records.append(record)

    def listener(self) -> Listener:
        """A command listener feeding this capture."""
        return Listener(self.record)

    def dumps(self) -> str:
        """The capture as JSON Lines in relaxed Extended JSON."""
        options = json_util.RELAXED_JSON_OPTIONS
        return "".join(json_util.dumps(r, json_options=options, sort_keys=False) + "\n" for r in self.records)

    def write(self, path: Path) -> None:
        """Write the capture to ``path``."""
        path.write_text(self.dumps(), encoding="utf-8")


_active: Capture | None = None


def start(capture: Capture | None = None) -> Capture:
    """Make ``capture`` (or a new one) receive the records of every store created from now on."""
    global _active
    _active = capture or Capture()
    return _active


def stop() -> Capture | None:
    """Stop capturing; returns the capture that was active."""
    global _active
    done, _active = _active, None
    return done


def recorder() -> Callable[[Record], None] | None:
    """Where the repository layer reports executed shapes, when capturing."""
    return _active.record if _active is not None else None


def listeners() -> list[monitoring.CommandListener]:
    """The command listeners a new ``MongoClient`` should get, when capturing."""
    return [_active.listener()] if _active is not None else []
