"""Live mode: compare a manifest with what a running MongoDB deployment reports.

The core, :func:`live_audit`, is pure: it takes the manifest and a :class:`Snapshot` — per collection
the ``listCollections`` entry, the ``listIndexes`` documents, the ``$indexStats`` documents and the
``explain`` output (``executionStats`` verbosity) of each declared shape — and returns findings.
:func:`read_snapshot` is the edge that asks a server for those documents with pymongo.

A snapshot written as data (rule examples, test fixtures) is a mapping::

    collections:
      posts:
        options: {validator: {...}, validationLevel: strict, validationAction: error}   # listCollections
        indexes: [{v: 2, key: {_id: 1}, name: _id_}, ...]                             # listIndexes
        indexStats: [{name: ..., key: ..., accesses: {ops: 0, since: ...}}, ...]      # $indexStats
        explain: {queries.feed: {...}, pipelines.backlog: {...}}                      # explain output

A collection missing from ``collections`` does not exist on the server.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from checks.engines.mongo.audit import Violation, Where, locate
from checks.engines.mongo.manifest import Collection, Index, Manifest
from checks.errors import InputError
from checks.findings import Finding
from checks.rules import Rule

OPTIONS = ("unique", "sparse", "partialFilterExpression", "expireAfterSeconds", "collation", "hidden")
"""``listIndexes`` fields that change what an index does (``v``, ``key`` and ``name`` are compared apart)."""


@dataclass(frozen=True)
class Thresholds:
    """When an explain or an index statistic is worth a finding."""

    max_examined_ratio: float = 10.0
    """Documents (or keys) examined per document returned above which a plan is wasteful."""
    min_examined: int = 1000
    """Ratios are judged only when at least this many documents or keys were examined."""
    min_stats_days: float = 7.0
    """``$indexStats`` counters younger than this (a restart resets them) prove nothing about use."""


@dataclass
class CollectionState:
    """What the server reports about one collection."""

    options: dict[str, Any] = field(default_factory=dict)
    indexes: list[dict[str, Any]] = field(default_factory=list)
    index_stats: list[dict[str, Any]] = field(default_factory=list)
    explains: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class Snapshot:
    """What the server reports about the manifest's collections, taken at ``taken``."""

    collections: dict[str, CollectionState]
    taken: datetime = field(default_factory=lambda: datetime.now(UTC))

    @classmethod
    def from_data(cls, data: Any, *, name: str = "snapshot") -> Snapshot:
        """A snapshot from its data form (see the module docstring)."""
        if not isinstance(data, Mapping) or not isinstance(data.get("collections"), Mapping):
            raise InputError(f"{name}: a snapshot is a mapping with 'collections' by name")
        states: dict[str, CollectionState] = {}
        for coll, entry in data["collections"].items():
            if not isinstance(entry, Mapping):
                raise InputError(f"{name}: collections.{coll} must be a mapping")
            unknown = set(entry) - {"options", "indexes", "indexStats", "explain"}
            if unknown:
                raise InputError(f"{name}: collections.{coll}: unknown field {sorted(unknown)[0]!r}")
            states[str(coll)] = CollectionState(
                options=dict(entry.get("options") or {}),
                indexes=list(entry.get("indexes") or []),
                index_stats=list(entry.get("indexStats") or []),
                explains=dict(entry.get("explain") or {}),
            )
        taken = data.get("taken")
        if not isinstance(taken, datetime):
            return cls(states)
        return cls(states, taken if taken.tzinfo else taken.replace(tzinfo=UTC))


Context = tuple[Manifest, Snapshot, Thresholds]
LiveCheck = Callable[[Manifest, Snapshot, Thresholds], Iterator[Violation]]
LIVE_CHECKS: dict[str, LiveCheck] = {}


def live_check(key: str) -> Callable[[LiveCheck], LiveCheck]:
    """Register a live check under the rule key it enforces."""

    def register(func: LiveCheck) -> LiveCheck:
        LIVE_CHECKS[key] = func
        return func

    return register


def _where(manifest: Manifest, coll: str, *tokens: str | int, logical: str | None = None) -> Where:
    position = next((n for n, c in enumerate(manifest.collections) if c.name == coll), 0)
    shown = logical or ".".join([coll, *(str(t) for t in tokens)])
    return Where(("collections", position, *tokens), shown)


def declared_spec(index: Index) -> tuple[list[tuple[str, Any]], dict[str, Any]]:
    """A manifest index as ``listIndexes`` would show it: key pairs and the options that are set."""
    options: dict[str, Any] = {}
    if index.unique:
        options["unique"] = True
    if index.sparse:
        options["sparse"] = True
    if index.partial_filter_expression is not None:
        options["partialFilterExpression"] = index.partial_filter_expression
    if index.expire_after_seconds is not None:
        options["expireAfterSeconds"] = index.expire_after_seconds
    if index.collation is not None and index.collation.locale != "simple":
        options["collation"] = index.collation.model_dump(by_alias=True, exclude_none=True)
    if index.hidden:
        options["hidden"] = True
    return [(f, d) for f, d in index.key], options


def server_spec(doc: Mapping[str, Any]) -> tuple[list[tuple[str, Any]], dict[str, Any]]:
    """A ``listIndexes`` document as key pairs and the options that are set.

    Of a collation only the fields the manifest can state are kept (the server fills in every default).
    """
    key = [(str(f), _direction(d)) for f, d in dict(doc.get("key") or {}).items()]
    options = {k: doc[k] for k in OPTIONS if doc.get(k) is not None and doc.get(k) is not False}
    if "expireAfterSeconds" in options:
        options["expireAfterSeconds"] = int(options["expireAfterSeconds"])
    if "collation" in options:
        collation = dict(options["collation"])
        if collation.get("locale") == "simple":
            del options["collation"]
        else:
            options["collation"] = {"locale": collation["locale"], "strength": collation.get("strength", 3)}
    return key, options


def _direction(value: Any) -> Any:
    if isinstance(value, str):
        return value
    number = float(value)
    return 1 if number > 0 else -1


def _collation_view(declared: dict[str, Any]) -> dict[str, Any]:
    if "collation" in declared:
        collation = declared["collation"]
        declared = {**declared, "collation": {"locale": collation["locale"], "strength": collation.get("strength", 3)}}
    return declared


@live_check("live-drift")
def live_drift(manifest: Manifest, snapshot: Snapshot, thresholds: Thresholds) -> Iterator[Violation]:
    """The deployment has each declared collection, validator and index exactly as declared, and no other index."""
    for coll in manifest.collections:
        state = snapshot.collections.get(coll.name)
        if state is None:
            yield Violation(f"collection {coll.name!r} does not exist on the server", _where(manifest, coll.name))
            continue
        yield from _validator_drift(manifest, coll, state)
        present = {str(doc.get("name")): doc for doc in state.indexes}
        for position, index in enumerate(coll.indexes):
            where = _where(manifest, coll.name, "indexes", position, logical=f"{coll.name}.indexes.{index.name}")
            doc = present.get(index.name)
            if doc is None:
                yield Violation(f"index {index.name!r} of {coll.name!r} is declared but missing on the server", where)
                continue
            want_key, want_options = declared_spec(index)
            have_key, have_options = server_spec(doc)
            if have_key != want_key:
                yield Violation(
                    f"index {index.name!r} of {coll.name!r} has key {_show(have_key)} on the server, "
                    f"{_show(want_key)} in the manifest",
                    where,
                )
            elif have_options != _collation_view(want_options):
                yield Violation(
                    f"index {index.name!r} of {coll.name!r} has options {have_options} on the server, "
                    f"{want_options} in the manifest",
                    where,
                )
        declared = {ix.name for ix in coll.indexes} | {"_id_"}
        for name in sorted(set(present) - declared):
            yield Violation(
                f"index {name!r} of {coll.name!r} exists on the server but not in the manifest "
                f"(key {_show(server_spec(present[name])[0])})",
                _where(manifest, coll.name, "indexes", logical=f"{coll.name}.indexes.{name}"),
            )


def _validator_drift(manifest: Manifest, coll: Collection, state: CollectionState) -> Iterator[Violation]:
    where = _where(manifest, coll.name, "validator", logical=f"{coll.name}.validator")
    have = state.options.get("validator")
    if coll.validator is None:
        return
    if not have:
        yield Violation(f"collection {coll.name!r} has no validator on the server", where)
        return
    if have.get("$jsonSchema") != coll.validator.json_schema:
        yield Violation(f"the $jsonSchema of {coll.name!r} on the server differs from the manifest", where)
    for option, declared in (
        ("validationLevel", coll.validator.validation_level or "strict"),
        ("validationAction", coll.validator.validation_action or "error"),
    ):
        actual = state.options.get(option, "strict" if option == "validationLevel" else "error")
        if actual != declared:
            yield Violation(
                f"{option} of {coll.name!r} is {actual!r} on the server, {declared!r} in the manifest", where
            )


def _show(pairs: list[tuple[str, Any]]) -> str:
    return "{" + ", ".join(f"{f}: {d}" for f, d in pairs) + "}"


@live_check("unused-index")
def unused_index(manifest: Manifest, snapshot: Snapshot, thresholds: Thresholds) -> Iterator[Violation]:
    """``$indexStats`` shows no access since its counters started; unique and TTL indexes are exempt."""
    for coll in manifest.collections:
        state = snapshot.collections.get(coll.name)
        if state is None:
            continue
        ops: dict[str, int] = {}
        since: dict[str, datetime] = {}
        for doc in state.index_stats:
            name = str(doc.get("name"))
            accesses = doc.get("accesses") or {}
            ops[name] = ops.get(name, 0) + int(accesses.get("ops", 0))
            started = accesses.get("since")
            if isinstance(started, datetime):
                started = started if started.tzinfo else started.replace(tzinfo=UTC)
                since[name] = max(since.get(name, started), started)
        by_name = {str(d.get("name")): d for d in state.indexes}
        for name, count in sorted(ops.items()):
            doc = by_name.get(name) or {}
            if count or name == "_id_" or doc.get("unique") or doc.get("expireAfterSeconds") is not None:
                continue
            started = since.get(name)
            if started is None or snapshot.taken - started < timedelta(days=thresholds.min_stats_days):
                continue
            days = (snapshot.taken - started).days
            yield Violation(
                f"index {name!r} of {coll.name!r} has had no accesses in {days} days of $indexStats on this member: "
                "hide it, watch every member, then drop it",
                _where(manifest, coll.name, "indexes", logical=f"{coll.name}.indexes.{name}"),
            )


@dataclass(frozen=True)
class ExplainSummary:
    """What an explain says about one run of a shape."""

    stages: list[str]
    indexes: list[str]
    returned: int
    keys_examined: int
    docs_examined: int


def summarize(explain: Mapping[str, Any]) -> ExplainSummary:
    """Plan stages, indexes used and counters of a find or aggregate explain (classic or SBE, MongoDB 6-8)."""
    planners: list[Mapping[str, Any]] = []
    stats: list[Mapping[str, Any]] = []
    if "queryPlanner" in explain:
        planners.append(explain["queryPlanner"])
        stats.append(explain.get("executionStats") or {})
    for stage in explain.get("stages") or []:
        cursor = stage.get("$cursor") if isinstance(stage, Mapping) else None
        if isinstance(cursor, Mapping):
            planners.append(cursor.get("queryPlanner") or {})
            stats.append(cursor.get("executionStats") or {})
    if not planners:
        raise InputError("not an explain document: no queryPlanner, at the top or in a $cursor stage")
    names: list[str] = []
    indexes: list[str] = []
    for planner in planners:
        winning = planner.get("winningPlan") or {}
        for node in _plan_nodes(winning.get("queryPlan", winning)):
            names.append(str(node["stage"]))
            if "indexName" in node:
                indexes.append(str(node["indexName"]))
    return ExplainSummary(
        stages=names,
        indexes=indexes,
        returned=sum(int(s.get("nReturned", 0)) for s in stats),
        keys_examined=sum(int(s.get("totalKeysExamined", 0)) for s in stats),
        docs_examined=sum(int(s.get("totalDocsExamined", 0)) for s in stats),
    )


def _plan_nodes(node: Any) -> Iterator[Mapping[str, Any]]:
    """Every stage of a plan tree (``inputStage``, ``inputStages``, ``shards``/``winningPlan`` of sharded plans)."""
    stack = [node]
    while stack:
        item = stack.pop()
        if not isinstance(item, Mapping):
            continue
        if "stage" in item:
            yield item
        for key in ("inputStage", "queryPlan", "winningPlan", "outerStage", "innerStage"):
            if key in item:
                stack.append(item[key])
        for key in ("inputStages", "shards"):
            stack.extend(item.get(key) or [])


@live_check("explain-plan")
def explain_plan(manifest: Manifest, snapshot: Snapshot, thresholds: Thresholds) -> Iterator[Violation]:
    """Each declared shape's explain has no COLLSCAN, no in-memory SORT, and examines few documents per result."""
    for coll in manifest.collections:
        state = snapshot.collections.get(coll.name)
        if state is None:
            continue
        for label, explain in sorted(state.explains.items()):
            kind, _, name = label.partition(".")
            if kind not in ("queries", "pipelines") or not name:
                raise InputError(f"explain of {coll.name}: name {label!r} is not queries.NAME or pipelines.NAME")
            where = _where(manifest, coll.name, kind, name, logical=f"{coll.name}.{label}")
            summary = summarize(explain)
            what = f"{'query' if kind == 'queries' else 'pipeline'} {name!r} of {coll.name!r}"
            if "COLLSCAN" in summary.stages:
                yield Violation(f"{what} runs a COLLSCAN on the server: no index bounds it", where)
            if "SORT" in summary.stages:
                yield Violation(f"{what} sorts in memory on the server (a blocking SORT stage)", where)
            examined = max(summary.docs_examined, summary.keys_examined)
            ratio = examined / max(summary.returned, 1)
            grouped = "GROUP" in summary.stages  # returns aggregates, not the documents it reads
            if not grouped and examined >= thresholds.min_examined and ratio > thresholds.max_examined_ratio:
                yield Violation(
                    f"{what} examined {summary.keys_examined} keys and {summary.docs_examined} documents to return "
                    f"{summary.returned} ({ratio:.0f} per result): the index does not fit the filter",
                    where,
                )


def live_audit(
    manifest: Manifest,
    snapshot: Snapshot,
    rules: Mapping[str, Rule],
    *,
    only: set[str] | None = None,
    thresholds: Thresholds | None = None,
) -> list[Finding]:
    """Run every live check that has a rule (or only the keys in ``only``)."""
    thresholds = thresholds or Thresholds()
    findings: list[Finding] = []
    for key, func in LIVE_CHECKS.items():
        if key in rules and (only is None or key in only):
            findings.extend(locate(manifest, rules[key], v) for v in func(manifest, snapshot, thresholds))
    return findings
