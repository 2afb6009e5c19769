"""Capture audit: every query and pipeline a service actually executed is a declared, index-served shape.

A capture is JSON Lines in MongoDB Extended JSON, one record per executed operation, from either
source the reference service records:

- the repository layer: ``{"source": "repository", "collection", "shape", "op", "filter", "sort", ...}``
  or ``{"source": "repository", "collection", "shape", "op": "aggregate", "pipeline"}``;
- pymongo command monitoring: ``{"source": "command", "command": "find"|"aggregate"|"update"|"delete"|
  "findAndModify"|"count"|"distinct"|"insert", "collection", "filter", "sort", "multi", "pipeline"}``.

A record matches a declared shape when it runs on the same collection, with a compatible operation, a
filter of the same structure (the same fields and operators; values may differ) and the same sort. Each
matched shape must then be served by an index, judged by the static audit's planner.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bson import json_util
from bson.errors import InvalidBSON

from checks.engines.mongo.audit import Limits, View, Violation, Where, locate
from checks.engines.mongo.manifest import Manifest
from checks.errors import InputError
from checks.findings import Finding, Location
from checks.rules import Rule

KEY = "capture-declared"
COMMAND_OPS: dict[str, set[str]] = {
    "find": {"find", "findOne"},
    "update": {"updateOne", "updateMany", "replaceOne"},
    "delete": {"deleteOne", "deleteMany"},
    "findAndModify": {"findOneAndUpdate", "findOneAndReplace", "findOneAndDelete"},
    "count": {"count"},
    "distinct": {"distinct"},
    "aggregate": {"count"},
}
MULTI = {"updateMany", "deleteMany"}
COUNT_GROUP = {"$group": {"_id": 1, "n": {"$sum": 1}}}
"""The stage pymongo's ``count_documents`` appends to its ``$match``."""


@dataclass(frozen=True)
class Executed:
    """One captured record and the line it was on."""

    line: int
    record: dict[str, Any]

    @property
    def collection(self) -> str:
        """The collection the operation ran on."""
        return str(self.record.get("collection", ""))


def load_capture(path: Path) -> list[Executed]:
    """Read a capture file; a malformed line is an input error naming the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("capture file not found", file=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read capture file: {exc.__class__.__name__}", file=str(path)) from None
    return parse_capture(text, name=str(path))


def parse_capture(text: str, *, name: str) -> list[Executed]:
    """Parse capture text (JSON Lines, Extended JSON)."""
    out: list[Executed] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json_util.loads(line)
        except (ValueError, InvalidBSON) as exc:
            raise InputError(f"not a JSON capture record: {exc}", file=name, line=number) from None
        if not isinstance(record, dict) or not isinstance(record.get("collection"), str):
            raise InputError("a capture record is an object with a 'collection'", file=name, line=number)
        if record.get("source") not in ("repository", "command"):
            raise InputError("a capture record's 'source' is 'repository' or 'command'", file=name, line=number)
        out.append(Executed(number, record))
    return out


def skeleton(node: Any) -> Any:
    """The structure of a filter: fields and operators kept, values replaced by ``?``; order of fields ignored."""
    if isinstance(node, Mapping):
        items: list[tuple[str, Any]] = []
        for key, value in node.items():
            if key in ("$and", "$or", "$nor") and isinstance(value, list):
                items.append((key, tuple(sorted(repr(skeleton(v)) for v in value))))
            elif key.startswith("$") and key not in ("$not", "$elemMatch"):
                items.append((key, "?"))
            elif isinstance(value, Mapping) and value and all(str(k).startswith("$") for k in value):
                items.append((key, skeleton(value)))
            else:
                items.append((key, "?"))
        return tuple(sorted(items))
    return "?"


def _stages_skeleton(stages: list[Any]) -> tuple[Any, ...]:
    out: list[Any] = []
    for stage in stages:
        if isinstance(stage, Mapping) and len(stage) == 1:
            ((name, body),) = stage.items()
            out.append((name, skeleton(body) if name == "$match" else repr(_freeze(body))))
        else:
            out.append(repr(stage))
    return tuple(out)


def _freeze(node: Any) -> Any:
    if isinstance(node, Mapping):
        return tuple((k, _freeze(v)) for k, v in node.items())
    if isinstance(node, list | tuple):
        return tuple(_freeze(v) for v in node)
    return node


def _sort_of(value: Any) -> list[tuple[str, int]]:
    if isinstance(value, Mapping):
        return [(str(k), int(v)) for k, v in value.items()]
    return [(str(p[0]), int(p[1])) for p in value or []]


@dataclass
class _Matcher:
    manifest: Manifest

    def collection(self, name: str) -> tuple[int, Any] | None:
        return next(((n, c) for n, c in enumerate(self.manifest.collections) if c.name == name), None)

    def match(self, executed: Executed) -> tuple[str, str] | str:
        """``(kind, name)`` of the declared shape the record ran, or why none matches."""
        record = executed.record
        found = self.collection(executed.collection)
        if found is None:
            return f"collection {executed.collection!r} is not in the manifest"
        _, coll = found
        if record["source"] == "repository":
            return self._named(record, coll)
        command = record.get("command")
        if command == "insert":
            return ("insert", "")
        if command == "aggregate":
            return self._aggregate(record.get("pipeline") or [], coll)
        allowed = COMMAND_OPS.get(str(command))
        if allowed is None:
            return f"command {command!r} is not a data command the audit knows"
        filter_ = skeleton(record.get("filter") or {})
        sort = _sort_of(record.get("sort"))
        multi = record.get("multi")
        for name, query in coll.queries.items():
            if query.op not in allowed or skeleton(query.filter) != filter_:
                continue
            if command in ("update", "delete") and (query.op in MULTI) != bool(multi):
                continue
            if command in ("find", "findAndModify") and list(query.sort) != sort:
                continue
            return ("queries", name)
        return f"{command} on {coll.name!r} with filter {_shown(record.get('filter'))} matches no declared shape"

    def _aggregate(self, stages: list[Any], coll: Any) -> tuple[str, str] | str:
        shape = _stages_skeleton(stages)
        for name, pipeline in coll.pipelines.items():
            if _stages_skeleton(pipeline.stages) == shape:
                return ("pipelines", name)
        if len(stages) >= 1 and "$match" in stages[0] and stages[1:] in ([COUNT_GROUP], [{"$skip": 0}, COUNT_GROUP]):
            match = skeleton(stages[0]["$match"])
            for name, query in coll.queries.items():
                if query.op == "count" and skeleton(query.filter) == match:
                    return ("queries", name)
        return f"aggregate on {coll.name!r} {_shown(stages)} matches no declared pipeline"

    def _named(self, record: dict[str, Any], coll: Any) -> tuple[str, str] | str:
        name = str(record.get("shape"))
        if record.get("op") == "aggregate":
            pipeline = coll.pipelines.get(name)
            if pipeline is None:
                return f"pipeline {coll.name}.{name} is not declared"
            if _stages_skeleton(pipeline.stages) != _stages_skeleton(record.get("pipeline") or []):
                return f"pipeline {coll.name}.{name} ran stages that differ from the declared ones"
            return ("pipelines", name)
        query = coll.queries.get(name)
        if query is None:
            return f"query {coll.name}.{name} is not declared"
        if skeleton(query.filter) != skeleton(record.get("filter") or {}):
            return f"query {coll.name}.{name} ran filter {_shown(record.get('filter'))}, unlike the declared shape"
        if list(query.sort) != _sort_of(record.get("sort")):
            return f"query {coll.name}.{name} ran another sort than the declared one"
        return ("queries", name)


def _shown(value: Any) -> str:
    text = json_util.dumps(value, json_options=json_util.RELAXED_JSON_OPTIONS)
    return text if len(text) <= 160 else text[:157] + "..."


def capture_violations(manifest: Manifest, executed: list[Executed]) -> Iterator[tuple[Executed | None, Violation]]:
    """Records that match no declared shape, and declared shapes that ran without an index serving them."""
    matcher = _Matcher(manifest)
    ran: dict[tuple[str, str, str], Executed] = {}
    for item in executed:
        result = matcher.match(item)
        if isinstance(result, str):
            yield item, Violation(f"executed operation is not declared: {result}", Where((), item.collection))
        elif result[0] != "insert":
            ran.setdefault((item.collection, *result), item)
    for (coll_name, kind, name), item in ran.items():
        position, coll = matcher.collection(coll_name) or (0, None)
        view = View(coll, position, Limits())
        plan = view.query_plan(name) if kind == "queries" else view.pipeline_plan(name)
        if plan is None or not plan.served:
            label = "query" if kind == "queries" else "pipeline"
            yield (
                None,
                Violation(
                    f"{label} {name!r} of {coll_name!r} ran (capture line {item.line}) but no index serves it",
                    Where(("collections", position, kind, name), f"{coll_name}.{kind}.{name}"),
                ),
            )


def capture_audit(manifest: Manifest, executed: list[Executed], rule: Rule, *, capture_name: str) -> list[Finding]:
    """Findings of ``rule``: undeclared operations at their capture line, unserved shapes in the manifest."""
    findings: list[Finding] = []
    for item, violation in capture_violations(manifest, executed):
        if item is None:
            findings.append(locate(manifest, rule, violation))
            continue
        findings.append(
            Finding(
                rule_id=rule.id,
                severity=rule.severity,
                message=violation.message,
                location=Location(file=capture_name, line=item.line, logical=violation.where.logical),
                engine="mongo",
            )
        )
    return findings
