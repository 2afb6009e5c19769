"""Query shapes: regular expressions, server-side JavaScript, paging, limits and projections."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from checks.engines.mongo.audit import Context, View, Violation, Where, check
from checks.engines.mongo.planner import javascript_in, regex_is_prefix


def _filters(view: View) -> Iterator[tuple[str, Any, Where]]:
    """Every filter of the collection: query filters and each ``$match`` of its pipelines (nested too)."""
    for name, query in view.queries():
        yield f"query {name!r}", query.filter, view.query_where(name, "filter")
    for name, pipeline in view.pipelines():
        for n, stage in enumerate(pipeline.stages):
            for match in _matches(stage):
                yield f"pipeline {name!r}", match, view.pipeline_where(name, n)


def _matches(stage: Any) -> Iterator[Any]:
    ((op, body),) = stage.items()
    if op == "$match":
        yield body
    elif op in ("$lookup", "$unionWith") and isinstance(body, dict):
        for sub in body.get("pipeline") or []:
            yield from _matches(sub)
    elif op == "$facet" and isinstance(body, dict):
        for sub_pipeline in body.values():
            for sub in sub_pipeline or []:
                yield from _matches(sub)


def _regexes(node: Any) -> Iterator[tuple[Any, Any]]:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "$regex" in item:
                yield item["$regex"], item.get("$options")
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


@check("regex-anchored")
def regex_anchored(ctx: Context) -> Iterator[Violation]:
    """Every ``$regex`` in a filter is anchored with ``^`` and case-sensitive, so an index can bound it."""
    for view in ctx.views:
        for label, filter_, where in _filters(view):
            for pattern, options in _regexes(filter_):
                if not regex_is_prefix(pattern, options):
                    yield Violation(
                        f"{label} uses $regex {pattern!r}"
                        + (f" with options {options!r}" if options else "")
                        + ": only a case-sensitive pattern anchored with ^ and a literal prefix can use an index; "
                        "for case-insensitive search use a collation index or a search index",
                        where,
                    )


@check("no-server-js")
def no_server_js(ctx: Context) -> Iterator[Violation]:
    """No ``$where``, ``$function`` or ``$accumulator``: no JavaScript runs on the server."""
    for view in ctx.views:
        for name, query in view.queries():
            for op in sorted(javascript_in(query.filter)):
                yield Violation(f"query {name!r} runs server-side JavaScript ({op})", view.query_where(name, "filter"))
        for name, pipeline in view.pipelines():
            for n, stage in enumerate(pipeline.stages):
                for op in sorted(javascript_in(stage)):
                    yield Violation(
                        f"pipeline {name!r} runs server-side JavaScript ({op})", view.pipeline_where(name, n)
                    )


@check("no-skip")
def no_skip(ctx: Context) -> Iterator[Violation]:
    """No ``skip``/``$skip`` paging: page with a range on the sort key (a cursor) instead."""
    for view in ctx.views:
        for name, query in view.queries():
            if query.skip:
                yield Violation(
                    f"query {name!r} pages with skip {query.skip}: the server still reads every skipped document; "
                    "continue from the last sort key instead",
                    view.query_where(name, "skip"),
                )
        for name, pipeline in view.pipelines():
            for n, stage in enumerate(pipeline.stages):
                if "$skip" in stage:
                    yield Violation(
                        f"pipeline {name!r} pages with $skip: continue from the last sort key instead",
                        view.pipeline_where(name, n),
                    )


def _list_queries(view: View) -> Iterator[str]:
    for name, query in view.queries():
        if query.returns_many and not view.query_plan(name).point:
            yield name


@check("list-limit")
def list_limit(ctx: Context) -> Iterator[Violation]:
    """Every query that can return many documents has a ``limit`` no larger than the cap."""
    for view in ctx.views:
        for name in _list_queries(view):
            limit = view.coll.queries[name].limit
            if not limit:
                yield Violation(
                    f"list query {name!r} has no limit: its result grows with the collection",
                    view.query_where(name),
                )
            elif limit > ctx.limits.max_limit:
                yield Violation(
                    f"list query {name!r} has limit {limit}, above {ctx.limits.max_limit}",
                    view.query_where(name, "limit"),
                )


@check("list-projection")
def list_projection(ctx: Context) -> Iterator[Violation]:
    """Every query that can return many documents names the fields it needs (a projection)."""
    for view in ctx.views:
        for name in _list_queries(view):
            if not view.coll.queries[name].projection:
                yield Violation(
                    f"list query {name!r} has no projection: it ships whole documents to the service",
                    view.query_where(name),
                )
