"""The typed model of one rule definition in ``standards/``.

Rules are plain frozen dataclasses checked by hand-written validation: every ``handbook`` command
loads the registry, and a schema library would cost more start-up time than the lint of a small
contract. Errors name the offending field the way ``standards/…yaml:LINE: field: problem`` reports it.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from checks.findings import Severity
from checks.validate import Invalid, Loc, choice, items, mapping, optional_text, text

RULE_ID = re.compile(r"^(API|SEC|DATA|REL|OBS|QUAL)-\d{3}$")
WEB_URL = re.compile(r"^https?://[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:\d+)?(/[^\s]*)?$")
"""An absolute http(s) URL, kept as written."""
ENGINE_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
LANGS = ("yaml", "json", "python", "typescript", "toml", "text")


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


@dataclass(frozen=True)
class Example:
    """A code or document example, in the language the rule's check reads."""

    lang: str
    code: str
    note: str | None = None

    @classmethod
    def parse(cls, data: Any, loc: Loc) -> Example:
        """Validate one example."""
        d = mapping(data, loc, required=("lang", "code"), optional=("note",))
        return cls(
            lang=choice(d["lang"], (*loc, "lang"), LANGS),
            code=text(d["code"], (*loc, "code"), min_length=1),
            note=optional_text(d.get("note"), (*loc, "note")),
        )


@dataclass(frozen=True)
class Examples:
    """The bad example makes the check fire; the good example passes it."""

    bad: Example
    good: Example

    @classmethod
    def parse(cls, data: Any, loc: Loc) -> Examples:
        """Validate the pair of examples."""
        d = mapping(data, loc, required=("bad", "good"))
        return cls(bad=Example.parse(d["bad"], (*loc, "bad")), good=Example.parse(d["good"], (*loc, "good")))


@dataclass(frozen=True)
class Reference:
    """An external source: an RFC, a vendor page, a book chapter."""

    title: str
    url: str

    @classmethod
    def parse(cls, data: Any, loc: Loc) -> Reference:
        """Validate one reference."""
        d = mapping(data, loc, required=("title", "url"))
        return cls(
            title=text(d["title"], (*loc, "title"), min_length=3),
            url=text(d["url"], (*loc, "url"), pattern=WEB_URL),
        )


@dataclass(frozen=True)
class Enforcement:
    """How the rule is enforced: an engine and its key, or human review with a checklist."""

    engine: str
    key: str | None = None
    checklist: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, data: Any, loc: Loc) -> Enforcement:
        """Validate the enforcement and its shape (a key for engines, a checklist for review)."""
        d = mapping(data, loc, required=("engine",), optional=("key", "checklist"))
        engine = text(d["engine"], (*loc, "engine"), pattern=ENGINE_NAME)
        key = optional_text(d.get("key"), (*loc, "key"), pattern=ENGINE_NAME)
        checklist = items(d.get("checklist"), (*loc, "checklist"), lambda v, at: text(v, at, min_length=3))
        if engine == "review":
            if key is not None:
                raise Invalid(loc, "a review rule has no engine key")
            if not checklist:
                raise Invalid(loc, "a review rule needs a non-empty checklist")
        elif key is None:
            raise Invalid(loc, f"engine {engine!r} needs a key naming the check")
        return cls(engine=engine, key=key, checklist=checklist)

    @property
    def is_review(self) -> bool:
        """True when no machine judges the rule."""
        return self.engine == "review"


@dataclass(frozen=True)
class SatisfiedBy:
    """A place in the reference service (or a template) that satisfies the rule."""

    file: str
    pointer: str | None = None
    symbol: str | None = None
    note: str | None = None

    @classmethod
    def parse(cls, data: Any, loc: Loc) -> SatisfiedBy:
        """Validate one reference-code location."""
        d = mapping(data, loc, required=("file",), optional=("pointer", "symbol", "note"))
        return cls(
            file=text(d["file"], (*loc, "file"), min_length=1),
            pointer=optional_text(d.get("pointer"), (*loc, "pointer")),
            symbol=optional_text(d.get("symbol"), (*loc, "symbol")),
            note=optional_text(d.get("note"), (*loc, "note")),
        )


@dataclass(frozen=True, kw_only=True)
class Rule:
    """One standard: defined once, rendered to docs and CLI, enforced by a check."""

    id: str
    title: str
    level: Level
    area: Area
    summary: str
    rationale: str
    examples: Examples
    references: list[Reference] = field(default_factory=list)
    enforced: Enforcement
    satisfied_by: list[SatisfiedBy] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, data: Any) -> Rule:
        """Validate a rule definition (as parsed from YAML); :class:`~checks.validate.Invalid` names the first problem."""
        d = mapping(
            data,
            (),
            required=("id", "title", "level", "area", "summary", "rationale", "examples", "enforced"),
            optional=("references", "satisfied_by", "tags"),
        )
        rule_id = text(d["id"], ("id",))
        if not RULE_ID.match(rule_id):
            raise Invalid(("id",), "rule id must look like API-101 (prefix API, SEC, DATA, REL, OBS or QUAL)")
        area = Area(choice(d["area"], ("area",), tuple(a.value for a in Area)))
        prefix = rule_id.split("-", 1)[0]
        if prefix != area.prefix:
            raise Invalid((), f"rule id prefix {prefix} does not match area {area.value!r} ({area.prefix})")
        return cls(
            id=rule_id,
            title=text(d["title"], ("title",), min_length=5, max_length=120),
            level=Level(choice(d["level"], ("level",), tuple(lv.value for lv in Level))),
            area=area,
            summary=text(d["summary"], ("summary",), min_length=10),
            rationale=text(d["rationale"], ("rationale",), min_length=20),
            examples=Examples.parse(d["examples"], ("examples",)),
            enforced=Enforcement.parse(d["enforced"], ("enforced",)),
            references=items(d.get("references"), ("references",), Reference.parse),
            satisfied_by=items(d.get("satisfied_by"), ("satisfied_by",), SatisfiedBy.parse),
            tags=items(d.get("tags"), ("tags",), text),
        )

    def to_dict(self) -> dict[str, Any]:
        """The rule as JSON-ready data, every field included."""
        return asdict(self)

    @property
    def severity(self) -> Severity:
        """Severity of this rule's findings."""
        return self.level.severity

    @property
    def slug(self) -> str:
        """Path of the rule's page below the site root."""
        return f"rules/{self.id}/"
