"""Aggregation pipelines: filter first, cut early, join on indexes, and keep writes off request paths."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from checks.engines.mongo import vocabulary as vocab
from checks.engines.mongo.audit import Context, View, Violation, check
from checks.engines.mongo.manifest import Pipeline
from checks.engines.mongo.planner import same_collation


def _names(pipeline: Pipeline) -> list[str]:
    return [next(iter(stage)) for stage in pipeline.stages]


def _lead(names: list[str]) -> int:
    """How many stages at the start must come first by their nature (``$geoNear``, ``$search``, …)."""
    return 1 if names and names[0] in vocab.LEADING_STAGES else 0


def _first(names: list[str], wanted: frozenset[str] | set[str]) -> int | None:
    return next((n for n, name in enumerate(names) if name in wanted), None)


@check("match-first")
def match_first(ctx: Context) -> Iterator[Violation]:
    """A pipeline that filters the collection does so in its first stage (after ``$geoNear``/``$search``)."""
    for view in ctx.views:
        for name, pipeline in view.pipelines():
            names = _names(pipeline)
            match = _first(names, {"$match"})
            grouping = _first(names, vocab.GROUPING_STAGES)
            if match is None or (grouping is not None and grouping < match) or match <= _lead(names):
                continue
            yield Violation(
                f"pipeline {name!r} filters with $match at stage {match} after {', '.join(names[:match])}: "
                "move it first so it can use an index and every later stage sees fewer documents",
                view.pipeline_where(name, match),
            )


def _unwind_path(body: Any) -> str | None:
    path = body.get("path") if isinstance(body, dict) else body
    return path[1:] if isinstance(path, str) and path.startswith("$") else None


def _produced(stage: dict[str, Any]) -> set[str]:
    """Fields a fan-out stage adds or replaces."""
    ((op, body),) = stage.items()
    if op in ("$lookup", "$graphLookup") and isinstance(body, dict) and isinstance(body.get("as"), str):
        return {body["as"]}
    if op == "$unwind":
        path = _unwind_path(body)
        return {path} if path else set()
    return set()


@check("sort-limit-early")
def sort_limit_early(ctx: Context) -> Iterator[Violation]:
    """``$sort`` with ``$limit`` comes right after the filter, before joins and unwinds multiply the work."""
    for view in ctx.views:
        for name, pipeline in view.pipelines():
            names = _names(pipeline)
            sort = _first(names, {"$sort"})
            limit = (
                next((n for n in range(sort + 1, len(names)) if names[n] == "$limit"), None)
                if sort is not None
                else None
            )
            if sort is None or limit is None:
                continue
            between = [n for n in range(sort + 1, limit) if names[n] in vocab.FAN_OUT_STAGES]
            if between:
                yield Violation(
                    f"pipeline {name!r} runs {names[between[0]]} between $sort and $limit: put $limit right after "
                    "$sort so the join or unwind runs on the page only",
                    view.pipeline_where(name, between[0]),
                )
                continue
            if _first(names[:sort], vocab.GROUPING_STAGES) is not None:
                continue
            before = [n for n in range(sort) if names[n] in vocab.FAN_OUT_STAGES]
            produced = set().union(*(_produced(pipeline.stages[n]) for n in before)) if before else set()
            keys = list(pipeline.stages[sort]["$sort"])
            if before and not any(k == p or k.startswith(p + ".") for k in keys for p in produced):
                yield Violation(
                    f"pipeline {name!r} sorts and limits after {names[before[0]]}: move $sort and $limit before it "
                    "so only the page is joined",
                    view.pipeline_where(name, sort),
                )


def _lookup_indexed(foreign: View, field: str, collation: Any) -> bool:
    for index in foreign.indexes:
        if index.hidden or index.sparse or index.partial_filter_expression is not None or not index.is_ordered:
            continue
        if index.fields[0] != field:
            continue
        if not same_collation(index.collation, collation) and foreign.fields.may_hold_strings(field):
            continue
        return True
    return False


@check("lookup-indexed")
def lookup_indexed(ctx: Context) -> Iterator[Violation]:
    """Every ``$lookup`` joins on a ``foreignField`` that starts a usable index of the foreign collection."""
    for view in ctx.views:
        for name, pipeline in view.pipelines():
            for n, stage in enumerate(pipeline.stages):
                body = stage.get("$lookup")
                if not isinstance(body, dict) or not isinstance(body.get("foreignField"), str):
                    continue
                source, field = body.get("from"), body["foreignField"]
                foreign = ctx.view(source) if isinstance(source, str) else None
                if foreign is None:
                    yield Violation(
                        f"pipeline {name!r} looks up {source!r}, which the manifest does not describe; its index on "
                        f"{field!r} cannot be verified",
                        view.pipeline_where(name, n),
                    )
                elif not _lookup_indexed(foreign, field, pipeline.collation):
                    yield Violation(
                        f"pipeline {name!r} looks up {source}.{field} but no usable index of {source!r} starts with "
                        f"{field!r}: every input document scans {source!r}",
                        view.pipeline_where(name, n),
                    )


@check("group-after-match")
def group_after_match(ctx: Context) -> Iterator[Violation]:
    """On a large collection a grouping stage follows a ``$match`` that narrows its input."""
    for view in ctx.views:
        if not view.large:
            continue
        for name, pipeline in view.pipelines():
            names = _names(pipeline)
            grouping = _first(names, vocab.GROUPING_STAGES)
            if grouping is None:
                continue
            if _first(names[:grouping], {"$match", *vocab.LEADING_STAGES}) is None:
                yield Violation(
                    f"pipeline {name!r} runs {names[grouping]} over all ~{view.coll.documents:,} documents of "
                    f"{view.name!r}: filter with $match first",
                    view.pipeline_where(name, grouping),
                )


@check("unwind-bounded")
def unwind_bounded(ctx: Context) -> Iterator[Violation]:
    """A pipeline unwinds only bounded arrays before it groups."""
    for view in ctx.views:
        for name, pipeline in view.pipelines():
            names = _names(pipeline)
            grouping = _first(names, vocab.GROUPING_STAGES)
            if grouping is None:
                continue
            for n in range(grouping):
                if names[n] != "$unwind":
                    continue
                path = _unwind_path(pipeline.stages[n]["$unwind"])
                info = view.fields.arrays.get(path or "")
                if info is None or info.max_items is None:
                    state = "is unbounded" if info is not None else "is not declared as a bounded array"
                    yield Violation(
                        f"pipeline {name!r} unwinds {path!r}, which {state}, before {names[grouping]}: the "
                        "documents it fans out into have no upper bound",
                        view.pipeline_where(name, n),
                    )


@check("no-out-on-request")
def no_out_on_request(ctx: Context) -> Iterator[Violation]:
    """``$out`` and ``$merge`` run only in jobs, never on a request path."""
    for view in ctx.views:
        for name, pipeline in view.pipelines():
            if not pipeline.on_request_path:
                continue
            for n, stage in enumerate(pipeline.stages):
                op = next(iter(stage))
                if op in vocab.WRITE_STAGES:
                    yield Violation(
                        f"pipeline {name!r} writes with {op} on a request path: run it as a job "
                        "(set onRequestPath: false if it already is one)",
                        view.pipeline_where(name, n),
                    )


@check("disk-use-reason")
def disk_use_reason(ctx: Context) -> Iterator[Violation]:
    """``allowDiskUse: true`` comes with an ``allowDiskUseReason`` saying why memory is not enough."""
    for view in ctx.views:
        for name, pipeline in view.pipelines():
            if pipeline.allow_disk_use and not (pipeline.allow_disk_use_reason or "").strip():
                yield Violation(
                    f"pipeline {name!r} sets allowDiskUse without an allowDiskUseReason",
                    view.where("pipelines", name, "allowDiskUse", logical=f"{view.name}.pipelines.{name}"),
                )
