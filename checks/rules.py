"""The typed model of one rule definition in ``standards/``."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from checks.findings import Severity

RULE_ID = re.compile(r"^(API|SEC|DATA|REL|OBS|QUAL)-\d{3}$")
WEB_URL = re.compile(r"^https?://[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:\d+)?(/[^\s]*)?$")
"""An absolute http(s) URL, kept as written (pydantic's URL type would import and build more than the rule needs)."""


class Level(StrEnum):
    """RFC 2119 requirement level."""

    MUST = "MUST"
    SHOULD = "SHOULD"
    MAY = "MAY"

    @property
    def severity(self) -> Severity:
        """MUST → error, SHOULD → warning, MAY → info."""
        return {"MUST": Severity.ERROR, "SHOULD": Severity.WARNING, "MAY": Severity.INFO}[self.value]


class Area(StrEnum):
    """Handbook area; each has one rule ID prefix."""

    API = "api"
    SECURITY = "security"
    DATA = "data"
    RELIABILITY = "reliability"
    OBSERVABILITY = "observability"
    QUALITY = "quality"

    @property
    def prefix(self) -> str:
        """The ID prefix of rules in this area."""
        return {
            "api": "API",
            "security": "SEC",
            "data": "DATA",
            "reliability": "REL",
            "observability": "OBS",
            "quality": "QUAL",
        }[self.value]

    @property
    def title(self) -> str:
        """Human name of the area."""
        return {
            "api": "API contracts",
            "security": "Security",
            "data": "Data and MongoDB",
            "reliability": "Distributed reliability",
            "observability": "Observability",
            "quality": "Engineering quality",
        }[self.value]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Example(_Strict):
    """A code or document example, in the language the rule's check reads."""

    lang: Literal["yaml", "json", "python", "typescript", "toml", "text"]
    code: Annotated[str, Field(min_length=1)]
    note: str | None = None


class Examples(_Strict):
    """The bad example makes the check fire; the good example passes it."""

    bad: Example
    good: Example


class Reference(_Strict):
    """An external source: an RFC, a vendor page, a book chapter."""

    title: Annotated[str, Field(min_length=3)]
    url: Annotated[str, Field(pattern=WEB_URL.pattern)]


class Enforcement(_Strict):
    """How the rule is enforced: an engine and its key, or human review with a checklist."""

    engine: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$")]
    key: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$")] | None = None
    checklist: list[Annotated[str, Field(min_length=3)]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _shape(self) -> Enforcement:
        if self.engine == "review":
            if self.key is not None:
                raise ValueError("a review rule has no engine key")
            if not self.checklist:
                raise ValueError("a review rule needs a non-empty checklist")
        elif self.key is None:
            raise ValueError(f"engine {self.engine!r} needs a key naming the check")
        return self

    @property
    def is_review(self) -> bool:
        """True when no machine judges the rule."""
        return self.engine == "review"


class SatisfiedBy(_Strict):
    """A place in the reference service (or a template) that satisfies the rule."""

    file: Annotated[str, Field(min_length=1)]
    pointer: str | None = None
    symbol: str | None = None
    note: str | None = None


class Rule(_Strict):
    """One standard: defined once, rendered to docs and CLI, enforced by a check."""

    id: str
    title: Annotated[str, Field(min_length=5, max_length=120)]
    level: Level
    area: Area
    summary: Annotated[str, Field(min_length=10)]
    rationale: Annotated[str, Field(min_length=20)]
    examples: Examples
    references: list[Reference] = Field(default_factory=list)
    enforced: Enforcement
    satisfied_by: list[SatisfiedBy] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not RULE_ID.match(value):
            raise ValueError("rule id must look like API-101 (prefix API, SEC, DATA, REL, OBS or QUAL)")
        return value

    @model_validator(mode="after")
    def _prefix_matches_area(self) -> Rule:
        prefix = self.id.split("-", 1)[0]
        if prefix != self.area.prefix:
            raise ValueError(f"rule id prefix {prefix} does not match area {self.area.value!r} ({self.area.prefix})")
        return self

    @property
    def severity(self) -> Severity:
        """Severity of this rule's findings."""
        return self.level.severity

    @property
    def slug(self) -> str:
        """Path of the rule's page below the site root."""
        return f"rules/{self.id}/"
