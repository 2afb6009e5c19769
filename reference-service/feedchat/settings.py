"""Service settings, read from the environment."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from feedchat.bodylimit import MAX_BODY_BYTES
from feedchat.ratelimit import DEFAULT_LIMITS

SERVICE_ROOT = Path(__file__).resolve().parent.parent
"""The ``reference-service`` folder: it holds the contract and the development keys."""


class SettingsError(ValueError):
    """An environment variable with a value the service cannot use."""


@dataclass(frozen=True)
class EventStreamSettings:
    """How the Server-Sent Events streams of chat rooms behave (``streamMessages``)."""

    max_seconds: float = 300.0
    """How long one stream stays open; then it ends and the client reconnects with ``Last-Event-ID``."""
    heartbeat_seconds: float = 15.0
    """The longest silence on an open stream: a comment line keeps proxies from closing it as idle."""
    poll_seconds: float = 0.5
    """How often an open stream reads the store for new messages."""
    gap_seconds: float = 5.0
    """How long a missing sequence number holds the stream back before it is skipped (its insert failed or
    the message was deleted). Clocks of the service's replicas must agree to well within this."""
    retry_ms: int = 1000
    """The ``retry:`` hint: how long clients wait before reconnecting after a stream ends."""
    max_per_client: int = 8
    """Open streams per client address; one more is refused with 429."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> EventStreamSettings:
        """The ``FEEDCHAT_STREAM_*`` variables over the defaults; :class:`SettingsError` for a bad value."""
        default = cls()
        return cls(
            max_seconds=positive_number(env, "FEEDCHAT_STREAM_MAX_SECONDS", default.max_seconds),
            heartbeat_seconds=positive_number(env, "FEEDCHAT_STREAM_HEARTBEAT_SECONDS", default.heartbeat_seconds),
            poll_seconds=positive_number(env, "FEEDCHAT_STREAM_POLL_SECONDS", default.poll_seconds),
            gap_seconds=positive_number(env, "FEEDCHAT_STREAM_GAP_SECONDS", default.gap_seconds),
            retry_ms=int(positive_number(env, "FEEDCHAT_STREAM_RETRY_MS", default.retry_ms, whole=True)),
            max_per_client=int(
                positive_number(env, "FEEDCHAT_STREAM_MAX_PER_CLIENT", default.max_per_client, whole=True)
            ),
        )


def positive_number(env: Mapping[str, str], variable: str, default: float, *, whole: bool = False) -> float:
    """The number in ``env[variable]`` (``default`` when unset); :class:`SettingsError` unless finite and > 0."""
    text = env.get(variable, "").strip()
    if not text:
        return default
    try:
        value = float(int(text)) if whole else float(text)
    except ValueError:
        raise SettingsError(f"{variable}={text!r} is not a {'whole number' if whole else 'number'}") from None
    if not (math.isfinite(value) and value > 0):
        raise SettingsError(f"{variable}={text!r} must be a finite number greater than 0")
    return value


@dataclass(frozen=True)
class Settings:
    """Everything the service needs to start; all fields have working local defaults."""

    mongodb_uri: str | None = None
    """MongoDB connection string; ``None`` selects the embedded in-memory mongomock store."""
    database: str = "feedchat"
    issuer: str = "urn:feedchat:dev-issuer"
    """Expected ``iss`` of bearer tokens."""
    audience: str = "feedchat-api"
    """Expected ``aud`` of bearer tokens."""
    jwks_path: Path | None = None
    """A JWKS file with the token signing keys; ``None`` trusts the development issuer."""
    dev_keys_dir: Path = field(default_factory=lambda: SERVICE_ROOT / ".dev-keys")
    """Where the development issuer keeps its private key (git-ignored, created on first use)."""
    clock_skew_seconds: int = 60
    contract_path: Path = field(default_factory=lambda: SERVICE_ROOT / "openapi.yaml")
    redis_url: str | None = None
    """Redis for the rate limit counters shared by all replicas; ``None`` keeps them in process memory."""
    rate_limits: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_LIMITS))
    """The limit of each policy of :mod:`feedchat.ratelimit`, like ``{"creates": "20/minute"}``."""
    max_body_bytes: int = MAX_BODY_BYTES
    """Larger request bodies are refused with 413."""
    jwks_refresh_seconds: float = 30.0
    """The shortest time between two JWKS re-reads caused by tokens with an unknown ``kid``."""
    streams: EventStreamSettings = field(default_factory=EventStreamSettings)
    """The chat rooms' Server-Sent Events streams."""
    inprocess_pipeline: bool | None = None
    """Run the outbox relay and one fan-out worker inside ``serve``; ``None`` does so on the embedded store only."""

    @property
    def pipeline_in_process(self) -> bool:
        """Whether ``serve`` runs the relay and a worker in its own process (:attr:`inprocess_pipeline`).

        By default it does when ``MONGODB_URI`` is unset: the embedded outbox lives in this process, so no
        ``relay`` process could read it. With a MongoDB server, separate ``relay`` and ``worker`` processes do.
        """
        return self.mongodb_uri is None if self.inprocess_pipeline is None else self.inprocess_pipeline

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Settings from ``MONGODB_URI`` and the ``FEEDCHAT_*`` variables; unset ones keep their defaults.

        A variable that cannot be used is a :class:`SettingsError`.
        """
        env = dict(os.environ if environ is None else environ)
        default = cls()
        jwks = env.get("FEEDCHAT_JWKS_PATH")
        return cls(
            mongodb_uri=env.get("MONGODB_URI") or None,
            database=env.get("FEEDCHAT_DATABASE", default.database),
            issuer=env.get("FEEDCHAT_ISSUER", default.issuer),
            audience=env.get("FEEDCHAT_AUDIENCE", default.audience),
            jwks_path=Path(jwks) if jwks else None,
            dev_keys_dir=Path(env["FEEDCHAT_DEV_KEYS"]) if env.get("FEEDCHAT_DEV_KEYS") else default.dev_keys_dir,
            redis_url=env.get("REDIS_URL") or None,
            rate_limits={**default.rate_limits, **_pairs(env.get("FEEDCHAT_RATE_LIMITS", ""))},
            streams=EventStreamSettings.from_env(env),
            inprocess_pipeline=switch(env, "FEEDCHAT_INPROCESS_PIPELINE"),
        )


SWITCH_VALUES = {
    "1": True,
    "true": True,
    "yes": True,
    "on": True,
    "0": False,
    "false": False,
    "no": False,
    "off": False,
}
"""The spellings of a yes/no variable (case does not matter)."""


def switch(env: Mapping[str, str], variable: str) -> bool | None:
    """The yes/no value of ``env[variable]``, ``None`` when unset or empty; :class:`SettingsError` otherwise."""
    text = env.get(variable, "").strip()
    if not text:
        return None
    try:
        return SWITCH_VALUES[text.lower()]
    except KeyError:
        raise SettingsError(f"{variable}={text!r} must be 1 or 0 (true/false, yes/no, on/off)") from None


def _pairs(text: str) -> dict[str, str]:
    """``"creates=5/minute, writes=30/minute"`` as a mapping."""
    pairs = (item.partition("=") for item in text.split(",") if item.strip())
    return {name.strip(): value.strip() for name, _, value in pairs}
