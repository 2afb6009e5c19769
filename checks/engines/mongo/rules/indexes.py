"""Indexes: does one serve each query, in the right order, without waste or a missing constraint."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from checks.engines.mongo.audit import Context, View, Violation, Where, check
from checks.engines.mongo.fields import Fields
from checks.engines.mongo.manifest import Index
from checks.engines.mongo.planner import Kind, Plan, analyze, implies, same_collation


def _shapes(view: View) -> Iterator[tuple[str, Plan, Where]]:
    """Every query shape of the collection: named queries and the leading ``$match`` of pipelines."""
    for name, _ in view.queries():
        yield f"query {name!r}", view.query_plan(name), view.query_where(name)
    for name, pipeline in view.pipelines():
        leading = view.pipeline_plan(name)
        if leading is not None:
            yield f"pipeline {name!r}", leading, view.pipeline_where(name, 0)
        elif pipeline.on_request_path and next(iter(pipeline.stages[0])) not in ("$geoNear", "$search"):
            yield f"pipeline {name!r}", _scan_plan(), view.pipeline_where(name, 0)


def _scan_plan() -> Plan:
    """The plan of a pipeline that does not start by filtering or sorting: a collection scan."""
    return Plan(analyze({}, Fields()), [], [])


def _sort_text(sort: list[tuple[str, int]]) -> str:
    return "{" + ", ".join(f"{f}: {d}" for f, d in sort) + "}"


@check("query-indexed")
def query_indexed(ctx: Context) -> Iterator[Violation]:
    """On a large collection every query shape is served by an index (no collection scan)."""
    for view in ctx.views:
        if not view.large:
            continue
        for label, shape_plan, where in _shapes(view):
            if shape_plan.served:
                continue
            reasons = shape_plan.why_not()
            if shape_plan.shape.empty and not shape_plan.sort:
                reasons.append("it has no filter, so it reads every document")
            elif not reasons:
                fields = ", ".join(shape_plan.shape.predicates) or "none"
                reasons.append(f"no usable index starts with a field the filter bounds (filtered fields: {fields})")
            yield Violation(
                f"{label} on {view.name!r} (~{view.coll.documents:,} documents) scans the collection: "
                + "; ".join(reasons),
                where,
            )


@check("esr-order")
def esr_order(ctx: Context) -> Iterator[Violation]:
    """The index that serves a query orders its keys equality, then sort, then range (ESR)."""
    for view in ctx.views:
        for label, shape_plan, where in _shapes(view):
            problem = shape_plan.esr_problem()
            if problem is not None:
                index, reason = problem
                yield Violation(f"{label} is served by index {index.name!r} against the ESR order: {reason}", where)


@check("sort-indexed")
def sort_indexed(ctx: Context) -> Iterator[Violation]:
    """On a large collection every sort is provided by the index order, not done in memory."""
    for view in ctx.views:
        if not view.large:
            continue
        for label, shape_plan, where in _shapes(view):
            if shape_plan.sort_served:
                continue
            sort = shape_plan.sort
            yield Violation(
                f"{label} sorts {_sort_text(sort)} in memory (a blocking SORT stage): "
                + "; ".join(_sort_reasons(view, shape_plan)),
                where,
            )


def _sort_reasons(view: View, shape_plan: Plan) -> list[str]:
    sort_fields = [f for f, _ in shape_plan.sort]
    reasons = [
        f"{f!r} is an array field and a multikey index cannot provide a sort on it"
        for f in sort_fields
        if view.fields.is_multikey(f)
    ]
    for fitted in shape_plan.fits:
        if not set(sort_fields) <= set(fitted.index.fields):
            continue
        if not fitted.usable:
            reasons.append(f"index {fitted.index.name!r} has the sort fields but cannot be used: {fitted.reason}")
        elif fitted.reason:
            reasons.append(f"index {fitted.index.name!r}: {fitted.reason}")
        else:
            order = dict(fitted.index.key)
            same = all(order[f] == d for f, d in shape_plan.sort)
            flipped = all(order[f] == -d for f, d in shape_plan.sort if isinstance(order[f], int))
            if not (same or flipped):
                reasons.append(f"index {fitted.index.name!r} orders the sort fields in other directions")
            else:
                reasons.append(
                    f"in index {fitted.index.name!r} a field without an equality condition comes before the sort fields"
                )
    if not reasons:
        reasons.append("no index has the sort fields right after the equality fields")
    return reasons


def _options(index: Index) -> tuple[Any, ...]:
    collation = index.collation.signature() if index.collation and index.collation.locale != "simple" else ()
    pfe = repr(index.partial_filter_expression) if index.partial_filter_expression is not None else None
    return (index.unique, index.sparse, pfe, index.expire_after_seconds, collation)


def _reversed(key: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [(f, -d if isinstance(d, int) else d) for f, d in key]


@check("redundant-index")
def redundant_index(ctx: Context) -> Iterator[Violation]:
    """No index duplicates another or is a strict prefix of one with the same options."""
    for view in ctx.views:
        indexes = [ix for ix in view.indexes if not ix.hidden]
        for n, index in enumerate(indexes):
            if index.name == "_id_":
                continue
            for m, other in enumerate(indexes):
                if m == n or _options(index) != _options(other):
                    continue
                same = index.key in (other.key, _reversed(other.key))
                if same and m < n:
                    yield Violation(
                        f"index {index.name!r} duplicates {other.name!r} (same key and options)",
                        view.index_where(index.name),
                    )
                    break
                shorter = len(index.key) < len(other.key) and other.is_ordered and index.is_ordered
                prefix = other.key[: len(index.key)]
                if shorter and index.key in (prefix, _reversed(prefix)):
                    yield Violation(
                        f"index {index.name!r} is a prefix of {other.name!r} with the same options: every query it "
                        f"serves, {other.name!r} serves too; drop it",
                        view.index_where(index.name),
                    )
                    break


@check("upsert-unique")
def upsert_unique(ctx: Context) -> Iterator[Violation]:
    """Every upsert key is backed by a unique index, so concurrent upserts cannot insert duplicates."""
    for view in ctx.views:
        for name, query in view.queries():
            if not query.upsert_key:
                continue
            shape = view.query_plan(name).shape
            loose = [f for f in query.upsert_key if not shape.kinds(f) & {Kind.EQ}]
            if loose:
                yield Violation(
                    f"upsert {name!r}: upsertKey field {loose[0]!r} is not an equality condition of its filter",
                    view.query_where(name, "upsertKey"),
                )
                continue
            keys = set(query.upsert_key)
            backed = [
                ix
                for ix in view.indexes
                if ix.unique
                and set(ix.fields) <= keys
                and (
                    ix.partial_filter_expression is None
                    or implies(shape, analyze(ix.partial_filter_expression, view.fields))
                )
                and same_collation(ix.collation, query.collation)
            ]
            if not backed:
                yield Violation(
                    f"upsert {name!r} on {sorted(keys)} has no unique index on those fields: two concurrent "
                    "upserts can both insert",
                    view.query_where(name, "upsertKey"),
                )


def _ttl_usable(view: View, index: Index) -> bool:
    return len(index.key) == 1 and index.fields[0] != "_id" and view.fields.is_date(index.fields[0])


@check("ttl-expiring")
def ttl_expiring(ctx: Context) -> Iterator[Violation]:
    """Every expiring collection (sessions, idempotency keys, short-lived events) has a TTL index."""
    for view in ctx.views:
        if not view.coll.expiring:
            continue
        if not any(ix.expire_after_seconds is not None and len(ix.key) == 1 for ix in view.coll.indexes):
            yield Violation(
                f"collection {view.name!r} is expiring but has no TTL index (expireAfterSeconds on a date field); "
                "its documents are never removed",
                view.collection_where(),
            )


@check("ttl-index-shape")
def ttl_index_shape(ctx: Context) -> Iterator[Violation]:
    """A TTL index is a single-field index on a field the schema declares as a date."""
    for view in ctx.views:
        for index in view.coll.indexes:
            if index.expire_after_seconds is None:
                continue
            if len(index.key) != 1:
                yield Violation(
                    f"TTL index {index.name!r} is compound; MongoDB ignores expireAfterSeconds on compound indexes",
                    view.index_where(index.name, "expireAfterSeconds"),
                )
            elif index.fields[0] == "_id":
                yield Violation(
                    f"TTL index {index.name!r} is on _id, which MongoDB does not expire",
                    view.index_where(index.name, "expireAfterSeconds"),
                )
            elif not _ttl_usable(view, index):
                declared = view.fields.types.get(index.fields[0])
                what = f"declared as {sorted(declared)}" if declared else "not declared in the $jsonSchema"
                yield Violation(
                    f"TTL index {index.name!r} is on {index.fields[0]!r}, {what}; documents whose field is not a "
                    "date never expire: declare it with bsonType 'date'",
                    view.index_where(index.name, "key"),
                )


@check("index-cap")
def index_cap(ctx: Context) -> Iterator[Violation]:
    """A write-heavy collection keeps its index count (``_id`` included) at or under the cap."""
    for view in ctx.views:
        count = len(view.indexes)
        if view.coll.write_heavy and count > ctx.limits.max_indexes:
            yield Violation(
                f"write-heavy collection {view.name!r} has {count} indexes (with _id), more than "
                f"{ctx.limits.max_indexes}: every insert and update writes each of them",
                view.where("indexes"),
            )


@check("parallel-arrays")
def parallel_arrays(ctx: Context) -> Iterator[Violation]:
    """A compound index holds at most one array field (MongoDB cannot index parallel arrays)."""
    for view in ctx.views:
        for index in view.coll.indexes:
            roots = sorted({r for f in index.fields if (r := view.fields.array_root(f)) is not None})
            if len(roots) > 1:
                yield Violation(
                    f"index {index.name!r} covers two array fields ({', '.join(roots)}); MongoDB rejects any "
                    "document where both are arrays (cannot index parallel arrays)",
                    view.index_where(index.name, "key"),
                )
