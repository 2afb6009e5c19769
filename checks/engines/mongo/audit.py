"""The static audit: ``audit(manifest) -> list[Finding]``, one check function per rule key."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Any, NamedTuple

from checks import pointer as jp
from checks.engines.mongo.fields import Fields
from checks.engines.mongo.manifest import Collection, Manifest, Pipeline, Query
from checks.engines.mongo.planner import ID_INDEX, Plan, Shape, analyze, plan
from checks.engines.mongo.vocabulary import LEADING_STAGES
from checks.findings import Finding, Location
from checks.registry import default_registry
from checks.rules import Rule

ENGINE_NAME = "mongo"


@dataclass(frozen=True)
class Limits:
    """Thresholds of the audit (``[tool.handbook.mongo]`` may change them)."""

    large_collection: int = 10_000
    max_indexes: int = 10
    max_limit: int = 1000


@dataclass(frozen=True, slots=True)
class Where:
    """A node of the manifest: its tokens from the root and its logical name (``posts.indexes.byAuthor``)."""

    tokens: tuple[str | int, ...]
    logical: str


class Violation(NamedTuple):
    """What a check reports: a message and the manifest node it is about."""

    message: str
    where: Where


@dataclass
class View:
    """One collection with what the audit derives from it, computed once."""

    coll: Collection
    position: int
    limits: Limits
    _plans: dict[tuple[str, str], Plan | None] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The collection's name."""
        return self.coll.name

    @property
    def base(self) -> tuple[str | int, ...]:
        """Tokens of the collection's node."""
        return ("collections", self.position)

    @cached_property
    def fields(self) -> Fields:
        """Types and arrays of the collection's fields."""
        return Fields.of(self.coll, self.base)

    @cached_property
    def indexes(self) -> list:
        """Declared indexes, with the ``_id`` index every collection has."""
        declared = self.coll.indexes
        if any(ix.fields == ["_id"] for ix in declared):
            return list(declared)
        return [ID_INDEX, *declared]

    @property
    def large(self) -> bool:
        """True when the collection holds more documents than the large-collection threshold."""
        return self.coll.documents > self.limits.large_collection

    def where(self, *tokens: str | int, logical: str | None = None) -> Where:
        """A node below the collection; the logical name defaults to ``name.token.token``."""
        shown = logical or ".".join([self.name, *(str(t) for t in tokens)])
        return Where((*self.base, *tokens), shown)

    def collection_where(self) -> Where:
        """The collection's own node."""
        return Where(self.base, self.name)

    def index_where(self, index_name: str, *tokens: str | int) -> Where:
        """An index's node, named ``coll.indexes.name``."""
        position = next((n for n, ix in enumerate(self.coll.indexes) if ix.name == index_name), None)
        if position is None:
            return self.collection_where()
        return Where((*self.base, "indexes", position, *tokens), f"{self.name}.indexes.{index_name}")

    def query_where(self, name: str, *tokens: str | int) -> Where:
        """A query's node, named ``coll.queries.name``."""
        return Where((*self.base, "queries", name, *tokens), f"{self.name}.queries.{name}")

    def pipeline_where(self, name: str, stage: int | None = None) -> Where:
        """A pipeline's node (or one of its stages), named ``coll.pipelines.name[.stages[n]]``."""
        if stage is None:
            return Where((*self.base, "pipelines", name), f"{self.name}.pipelines.{name}")
        return Where((*self.base, "pipelines", name, "stages", stage), f"{self.name}.pipelines.{name}.stages[{stage}]")

    @cached_property
    def conditions(self) -> dict[str, Shape]:
        """Each partial index's ``partialFilterExpression``, analysed once."""
        return {
            ix.name: analyze(ix.partial_filter_expression, self.fields)
            for ix in self.indexes
            if ix.partial_filter_expression is not None
        }

    def query_plan(self, name: str) -> Plan:
        """How the planner would run the named query."""
        key = ("q", name)
        if key not in self._plans:
            query = self.coll.queries[name]
            shape = analyze(query.filter, self.fields)
            self._plans[key] = plan(
                shape, list(query.sort), query.collation, self.indexes, self.fields, self.conditions
            )
        found = self._plans[key]
        assert found is not None
        return found

    def pipeline_plan(self, name: str) -> Plan | None:
        """The plan of the pipeline's leading ``$match``/``$sort``; None when it starts elsewhere."""
        key = ("p", name)
        if key not in self._plans:
            self._plans[key] = self._leading_plan(self.coll.pipelines[name])
        return self._plans[key]

    def _leading_plan(self, pipeline: Pipeline) -> Plan | None:
        stages = pipeline.stages
        first = next(iter(stages[0]))
        if first in LEADING_STAGES or first not in ("$match", "$sort"):
            return None
        filter_: dict[str, Any] = stages[0]["$match"] if first == "$match" else {}
        sort_at = 1 if first == "$match" else 0
        sort: list[tuple[str, int]] = []
        if sort_at < len(stages) and "$sort" in stages[sort_at]:
            sort = [(k, v) for k, v in stages[sort_at]["$sort"].items() if v in (1, -1)]
        return plan(analyze(filter_, self.fields), sort, pipeline.collation, self.indexes, self.fields, self.conditions)

    def forget_plans(self) -> None:
        """Drop the cached plans once every check has seen this collection."""
        self._plans.clear()

    def queries(self) -> Iterator[tuple[str, Query]]:
        """The collection's named queries."""
        yield from self.coll.queries.items()

    def pipelines(self) -> Iterator[tuple[str, Pipeline]]:
        """The collection's named pipelines."""
        yield from self.coll.pipelines.items()


@dataclass
class Context:
    """The manifest under audit, one :class:`View` per collection.

    Collection-scoped checks see one collection at a time in ``views`` (so each collection's plans
    can be dropped once it is done); every collection stays reachable through :meth:`view`.
    """

    manifest: Manifest
    limits: Limits = field(default_factory=Limits)
    focus: View | None = None
    _all: list[View] | None = None

    @property
    def all_views(self) -> list[View]:
        """Every collection, in manifest order."""
        if self._all is None:
            self._all = [View(c, n, self.limits) for n, c in enumerate(self.manifest.collections)]
        return self._all

    @property
    def views(self) -> list[View]:
        """The collections a check should judge: the focused one, or all."""
        return [self.focus] if self.focus is not None else self.all_views

    def view(self, name: str) -> View | None:
        """The collection called ``name``, if described."""
        return next((v for v in self.all_views if v.name == name), None)

    def narrowed(self, view: View) -> Context:
        """The same audit, focused on one collection."""
        return Context(self.manifest, self.limits, view, self.all_views)


CheckFn = Callable[[Context], Iterator[Violation]]
CHECKS: dict[str, CheckFn] = {}
MANIFEST_WIDE: set[str] = set()


def check(key: str, *, manifest_wide: bool = False) -> Callable[[CheckFn], CheckFn]:
    """Register a check function under the rule key it enforces.

    A check is run once per collection unless ``manifest_wide`` (it compares collections).
    """

    def register(func: CheckFn) -> CheckFn:
        if key in CHECKS:
            raise ValueError(f"duplicate mongo check key {key!r}")
        CHECKS[key] = func
        if manifest_wide:
            MANIFEST_WIDE.add(key)
        return func

    return register


def load_checks() -> dict[str, CheckFn]:
    """Import every module in ``checks.engines.mongo.rules`` so their checks register."""
    _import_rule_modules()
    return CHECKS


@cache
def _import_rule_modules() -> None:
    from checks.engines.mongo import rules

    for info in pkgutil.iter_modules(rules.__path__):
        importlib.import_module(f"{rules.__name__}.{info.name}")


def audit(
    manifest: Manifest,
    rules: dict[str, Rule] | None = None,
    *,
    only: set[str] | None = None,
    limits: Limits | None = None,
) -> list[Finding]:
    """Run every check that has a rule (or only the keys in ``only``) and return located findings."""
    rules = default_registry().for_engine(ENGINE_NAME) if rules is None else rules
    ctx = Context(manifest, limits or Limits())
    active = [
        (key, func, rules[key]) for key, func in load_checks().items() if key in rules and (only is None or key in only)
    ]
    violations: list[tuple[Rule, Violation]] = []
    for key, func, rule in active:
        if key in MANIFEST_WIDE:
            violations.extend((rule, v) for v in func(ctx))
    for view in ctx.all_views:
        narrowed = ctx.narrowed(view)
        for key, func, rule in active:
            if key not in MANIFEST_WIDE:
                violations.extend((rule, v) for v in func(narrowed))
        view.forget_plans()
    return [locate(manifest, rule, violation) for rule, violation in violations]


def locate(manifest: Manifest, rule: Rule, violation: Violation) -> Finding:
    """A finding of ``rule`` at the manifest node the violation names, with its line when known."""
    doc = manifest.doc
    pointer = jp.from_tokens(violation.where.tokens)
    line, column = doc.locate(pointer) if doc is not None else (None, None)
    return Finding(
        rule_id=rule.id,
        severity=rule.severity,
        message=violation.message,
        location=Location(
            file=doc.path if doc is not None else None,
            line=line,
            column=column,
            logical=violation.where.logical,
        ),
        engine=ENGINE_NAME,
        details={"pointer": pointer},
    )
