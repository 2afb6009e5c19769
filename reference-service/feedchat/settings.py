"""Service settings, read from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from feedchat.bodylimit import MAX_BODY_BYTES
from feedchat.ratelimit import DEFAULT_LIMITS

SERVICE_ROOT = Path(__file__).resolve().parent.parent
"""The ``reference-service`` folder: it holds the contract and the development keys."""


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

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Settings from ``MONGODB_URI`` and the ``FEEDCHAT_*`` variables; unset ones keep their defaults."""
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
        )


def _pairs(text: str) -> dict[str, str]:
    """``"creates=5/minute, writes=30/minute"`` as a mapping."""
    pairs = (item.partition("=") for item in text.split(",") if item.strip())
    return {name.strip(): value.strip() for name, _, value in pairs}
