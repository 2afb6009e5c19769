"""The typed model of one rule definition in ``standards/``.

Rules are immutable records checked by hand-written validation: every ``handbook`` command loads the
registry, and a schema library would cost more start-up time than the lint of a small contract. The
records are named tuples, and slotted classes where a field is a list; not dataclasses, which on
Python 3.11 cost 0.2–0.45 ms each to create (and whose module imports :mod:`inspect`). Errors name the
offending field the way ``standards/…yaml:LINE: field: problem`` reports it.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any, NamedTuple

from checks.findings import Severity
from checks.records import Frozen
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


class Example(NamedTuple):
    """A code or document example (``lang``, ``code``, optional ``note``), in the language the rule's check reads."""

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


class Examples(NamedTuple):
    """The ``bad`` example makes the check fire; the ``good`` example passes it."""

    bad: Example
    good: Example

    @classmethod
    def parse(cls, data: Any, loc: Loc) -> Examples:
        """Validate the pair of examples."""
        d = mapping(data, loc, required=("bad", "good"))
        return cls(bad=Example.parse(d["bad"], (*loc, "bad")), good=Example.parse(d["good"], (*loc, "good")))


class Reference(NamedTuple):
    """An external source (``title``, ``url``): an RFC, a vendor page, a book chapter."""

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


class Enforcement(Frozen):
    """How the rule is enforced: an engine and its key, or human review with a checklist."""

    __slots__ = ("checklist", "engine", "key")
    _FIELDS = ("engine", "key", "checklist")
    __hash__ = None  # type: ignore[assignment]  # it holds a list

    engine: str
    key: str | None
    checklist: list[str]
    """A new list when not given."""

    def __init__(self, engine: str, key: str | None = None, checklist: list[str] | None = None) -> None:
        init = object.__setattr__
        init(self, "engine", engine)
        init(self, "key", key)
        init(self, "checklist", [] if checklist is None else checklist)

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


class SatisfiedBy(NamedTuple):
    """A place in the reference service (or a template) that satisfies the rule.

    A ``file``, and optionally a JSON ``pointer`` or a ``symbol`` in it and a ``note``.
    """

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


class Rule(Frozen):
    """One standard: defined once, rendered to docs and CLI, enforced by a check.

    Rules are shared by every user of the process-wide registry, so they are immutable.
    """

    __slots__ = (
        "area",
        "enforced",
        "examples",
        "id",
        "level",
        "rationale",
        "references",
        "satisfied_by",
        "summary",
        "tags",
        "title",
    )
    __hash__ = None  # type: ignore[assignment]  # it holds lists
    _FIELDS = (
        "id",
        "title",
        "level",
        "area",
        "summary",
        "rationale",
        "examples",
        "references",
        "enforced",
        "satisfied_by",
        "tags",
    )

    id: str
    title: str
    level: Level
    area: Area
    summary: str
    rationale: str
    examples: Examples
    references: list[Reference]
    enforced: Enforcement
    satisfied_by: list[SatisfiedBy]
    tags: list[str]

    def __init__(
        self,
        *,
        id: str,
        title: str,
        level: Level,
        area: Area,
        summary: str,
        rationale: str,
        examples: Examples,
        references: list[Reference] | None = None,
        enforced: Enforcement,
        satisfied_by: list[SatisfiedBy] | None = None,
        tags: list[str] | None = None,
    ) -> None:
        """Keyword arguments only; a list not given is a new empty one."""
        init = object.__setattr__
        init(self, "id", id)
        init(self, "title", title)
        init(self, "level", level)
        init(self, "area", area)
        init(self, "summary", summary)
        init(self, "rationale", rationale)
        init(self, "examples", examples)
        init(self, "references", [] if references is None else references)
        init(self, "enforced", enforced)
        init(self, "satisfied_by", [] if satisfied_by is None else satisfied_by)
        init(self, "tags", [] if tags is None else tags)

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

    @classmethod
    def trusted(cls, data: Any) -> Rule:
        """Build a rule from data that :meth:`parse` has accepted before (a registry snapshot), unchecked.

        Data of another shape raises ``AttributeError``, ``KeyError``, ``TypeError`` or ``ValueError``; the
        values themselves are not checked again. It is four times faster than :meth:`parse`.
        """
        examples, enforced = data["examples"], data["enforced"]
        return cls(
            id=data["id"],
            title=data["title"],
            level=Level(data["level"]),
            area=Area(data["area"]),
            summary=data["summary"],
            rationale=data["rationale"],
            examples=Examples(bad=Example(**examples["bad"]), good=Example(**examples["good"])),
            references=[Reference(**r) for r in data.get("references") or ()],
            enforced=Enforcement(enforced["engine"], enforced.get("key"), list(enforced.get("checklist") or ())),
            satisfied_by=[SatisfiedBy(**s) for s in data.get("satisfied_by") or ()],
            tags=list(data.get("tags") or ()),
        )

    def to_dict(self) -> dict[str, Any]:
        """The rule as JSON-ready data, every field included in declaration order (lists are copies)."""
        enforced = self.enforced
        return {
            "id": self.id,
            "title": self.title,
            "level": self.level,
            "area": self.area,
            "summary": self.summary,
            "rationale": self.rationale,
            "examples": {"bad": self.examples.bad._asdict(), "good": self.examples.good._asdict()},
            "references": [r._asdict() for r in self.references],
            "enforced": {"engine": enforced.engine, "key": enforced.key, "checklist": list(enforced.checklist)},
            "satisfied_by": [s._asdict() for s in self.satisfied_by],
            "tags": list(self.tags),
        }

    @property
    def severity(self) -> Severity:
        """Severity of this rule's findings."""
        return self.level.severity

    @property
    def slug(self) -> str:
        """Path of the rule's page below the site root."""
        return f"rules/{self.id}/"
