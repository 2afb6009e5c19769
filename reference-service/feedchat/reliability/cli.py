"""``python -m feedchat worker|relay|dlq|streams``: run consumers and the relay, handle dead letters, trim the stream."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading

import click
import pymongo.errors
import redis

from feedchat.reliability import dlq as dead
from feedchat.reliability.fanout import fan_out
from feedchat.reliability.outbox import Outbox
from feedchat.reliability.relay import Relay
from feedchat.reliability.retry import RetryPolicy
from feedchat.reliability.streams import STREAM, StreamSettings, connect, trim_acknowledged
from feedchat.reliability.workers import Worker
from feedchat.settings import SettingsError
from feedchat.storage import Store


def _stop_on_signals() -> threading.Event:
    """An event set by SIGTERM or SIGINT: loops stop reading and finish the message in hand."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def _settings() -> StreamSettings:
    """:meth:`StreamSettings.from_env`, a bad variable reported in one line."""
    try:
        return StreamSettings.from_env()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc


def _remote(settings: StreamSettings) -> redis.Redis:
    if settings.redis_url is None:
        raise click.ClickException("set REDIS_URL: the embedded fakeredis server lives inside one process only")
    return connect(settings.redis_url)


@click.command()
@click.option("--name", default=lambda: f"{socket.gethostname()}-{os.getpid()}", help="Consumer name in the group.")
def worker(name: str) -> None:
    """Fan posts out to followers' feeds and notifications until SIGTERM."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    settings = _settings()
    client = _remote(settings)
    consumer = Worker(
        client,
        fan_out,
        name=name,
        policy=RetryPolicy(max_attempts=settings.max_attempts),
        reclaim_idle_ms=settings.reclaim_idle_ms,
        dedupe_ttl_seconds=settings.dedupe_ttl_seconds,
        batch=settings.batch,
    )
    stop = _stop_on_signals()
    click.echo(f"worker {name} started: SIGTERM or SIGINT stops it after the message in hand")
    try:
        consumer.run(stop)
    except redis.RedisError as exc:
        raise click.ClickException(f"redis: {exc}") from exc
    click.echo(
        f"worker {name} stopped: applied={consumer.applied} duplicates={consumer.duplicates} dead={consumer.dead}"
    )


@click.command()
def relay() -> None:
    """Publish the outbox of the MongoDB at MONGODB_URI to the stream at REDIS_URL until SIGTERM.

    Every FEEDCHAT_EVENTS_TRIM_INTERVAL_SECONDS it also trims the stream's acknowledged entries older than
    FEEDCHAT_EVENTS_RETENTION_SECONDS (see ``streams trim``).
    """
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    uri = os.environ.get("MONGODB_URI")
    if not uri:
        raise click.ClickException("set MONGODB_URI: the embedded mongomock outbox lives inside the API process only")
    settings = _settings()
    client = _remote(settings)
    try:
        store = Store.connect(uri, os.environ.get("FEEDCHAT_DATABASE", "feedchat"), migrate=False)
    except pymongo.errors.PyMongoError as exc:
        raise click.ClickException(f"mongodb: {exc}") from exc
    publisher = Relay(
        Outbox(store), client, retention_ms=settings.retention_ms, trim_every=settings.trim_interval_seconds
    )
    publisher.run(_stop_on_signals())
    click.echo(f"relay stopped: published={publisher.published} trimmed={publisher.trimmed}")


@click.group(name="dlq")
def dlq() -> None:
    """Inspect and redrive the dead-letter stream (REDIS_URL)."""


@dlq.command(name="list")
@click.option("--count", default=100, show_default=True, type=click.IntRange(1, 10_000))
def dlq_list(count: int) -> None:
    """One line per dead letter: ID, type, event ID, attempts, last error."""
    for letter in dead.list_dead(_remote(_settings()), count):
        click.echo(letter.summary())


@dlq.command(name="show")
@click.argument("entry_id")
def dlq_show(entry_id: str) -> None:
    """The payload and every attempt of one dead letter."""
    try:
        letter = dead.show(_remote(_settings()), entry_id)
    except dead.NoSuchDeadLetter as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(letter.summary())
    click.echo(f"payload: {letter.fields.get('payload', '')}")
    for number, attempt in enumerate(letter.attempts, 1):
        click.echo(f"  attempt {number} at {attempt['at']:.3f} by {attempt['consumer']}: {attempt['error']}")


@dlq.command(name="redrive")
@click.argument("entry_id", required=False)
@click.option("--all", "everything", is_flag=True, help="Redrive every dead letter.")
def dlq_redrive(entry_id: str | None, everything: bool) -> None:
    """Publish a dead letter (or all) again with its original event ID; consumers apply it at most once."""
    if bool(entry_id) == everything:
        raise click.UsageError("give one dead-letter ID or --all")
    try:
        moved = dead.redrive(_remote(_settings()), [entry_id] if entry_id else None)
    except dead.NoSuchDeadLetter as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"redrove {len(moved)} dead letter(s)")


@click.group(name="streams")
def streams() -> None:
    """Look after the event stream (REDIS_URL)."""


@streams.command(name="trim")
@click.option(
    "--retention",
    type=click.FloatRange(min=0),
    default=None,
    help="Keep entries younger than this many seconds [default: FEEDCHAT_EVENTS_RETENTION_SECONDS, or 7 days].",
)
@click.option("--exact", is_flag=True, help="Trim exactly (MINID without ~): slower, removes every trimmable entry.")
def streams_trim(retention: float | None, exact: bool) -> None:
    """Trim the event stream's entries that every group acknowledged and that are older than the retention.

    Pending and undelivered entries stay, and so does everything after them. The dead-letter stream is
    never trimmed: dead letters stay until they are redriven or deleted by a person.
    """
    settings = _settings()
    seconds = settings.retention_seconds if retention is None else retention
    try:
        gone = trim_acknowledged(_remote(settings), STREAM, int(seconds * 1000), approximate=not exact)
    except redis.RedisError as exc:
        raise click.ClickException(f"redis: {exc}") from exc
    click.echo(f"trimmed {gone} entries of {STREAM} (retention {seconds:g} s)")


COMMANDS = (worker, relay, dlq, streams)
"""The commands ``python -m feedchat`` adds from this package."""


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Feedchat reliability commands."""


for _command in COMMANDS:
    main.add_command(_command)
