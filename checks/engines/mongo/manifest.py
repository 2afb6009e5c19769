"""The manifest of a service's MongoDB usage: typed models, loading, and input errors with lines.

A manifest lists each collection with its size, validator, indexes, array fields, named query
shapes and named aggregation pipelines. Anything the audit does not understand (an unknown field,
stage or operator) is an input error naming its place, never silently ignored.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from checks import pointer as jp
from checks.engines.mongo import vocabulary as vocab
from checks.errors import InputError
from checks.sources import Document

SIZE_CLASSES: dict[str, int] = {
    "tiny": 100,
    "small": 5_000,
    "medium": 100_000,
    "large": 10_000_000,
    "huge": 1_000_000_000,
}
"""Size classes a manifest may give instead of a document count, with the count each stands for."""

IndexDirection = Literal[1, -1, "text", "2dsphere", "hashed"]
SortDirection = Literal[1, -1]
Name = Annotated[str, Field(min_length=1)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, strict=False)


def _pairs(value: Any) -> Any:
    """Accept ``{a: 1, b: -1}`` as well as ``[[a, 1], [b, -1]]``; mappings keep their order."""
    if isinstance(value, dict):
        return [[k, v] for k, v in value.items()]
    return value


def _no_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("direction must be 1 or -1 (or an index type), not a boolean")
    return value


class Collation(_Model):
    """A collation: how strings compare (``locale`` ``simple`` is binary comparison)."""

    locale: Name
    strength: Annotated[int, Field(ge=1, le=5)] | None = None
    case_level: bool | None = Field(None, alias="caseLevel")
    case_first: Literal["upper", "lower", "off"] | None = Field(None, alias="caseFirst")
    numeric_ordering: bool | None = Field(None, alias="numericOrdering")
    alternate: Literal["non-ignorable", "shifted"] | None = None
    max_variable: Literal["punct", "space"] | None = Field(None, alias="maxVariable")
    backwards: bool | None = None
    normalization: bool | None = None

    def signature(self) -> tuple[tuple[str, Any], ...]:
        """The settings that decide comparisons, for telling two collations apart."""
        return tuple(sorted((k, v) for k, v in self.model_dump().items() if v is not None))


class Validator(_Model):
    """The collection's validator: a ``$jsonSchema`` and how strictly it is applied."""

    json_schema: dict[str, Any] = Field(alias="$jsonSchema")
    validation_level: Literal["off", "strict", "moderate"] | None = Field(None, alias="validationLevel")
    validation_action: Literal["error", "warn", "errorAndLog"] | None = Field(None, alias="validationAction")


class Index(_Model):
    """One index: its ordered key and options, as passed to ``createIndex``."""

    name: Name
    key: Annotated[list[tuple[Name, IndexDirection]], Field(min_length=1)]
    unique: bool = False
    sparse: bool = False
    partial_filter_expression: dict[str, Any] | None = Field(None, alias="partialFilterExpression")
    expire_after_seconds: Annotated[int, Field(ge=0)] | None = Field(None, alias="expireAfterSeconds")
    collation: Collation | None = None
    hidden: bool = False

    @field_validator("key", mode="before")
    @classmethod
    def _key_pairs(cls, value: Any) -> Any:
        value = _pairs(value)
        if isinstance(value, list):
            for pair in value:
                if isinstance(pair, list | tuple) and len(pair) == 2:
                    _no_bool(pair[1])
        return value

    @field_validator("key")
    @classmethod
    def _distinct_fields(cls, value: list[tuple[str, IndexDirection]]) -> list[tuple[str, IndexDirection]]:
        fields = [f for f, _ in value]
        repeated = sorted({f for f in fields if fields.count(f) > 1})
        if repeated:
            raise ValueError(f"field {repeated[0]!r} appears twice in the key")
        return value

    @cached_property
    def fields(self) -> list[str]:
        """The key's field paths, in order."""
        return [f for f, _ in self.key]

    @cached_property
    def field_set(self) -> frozenset[str]:
        """The key's field paths, for membership tests."""
        return frozenset(self.fields)

    @cached_property
    def special(self) -> bool:
        """True for an index the planner treats apart: partial, sparse, hidden or text."""
        return (
            self.partial_filter_expression is not None
            or self.sparse
            or self.hidden
            or any(d == "text" for _, d in self.key)
        )

    @property
    def is_ordered(self) -> bool:
        """True when every key is ascending or descending (no text, 2dsphere or hashed key)."""
        return all(d in (1, -1) for _, d in self.key)


class ArrayField(_Model):
    """A field known to hold an array; ``maxItems`` absent means it can grow without bound."""

    max_items: Annotated[int, Field(ge=0)] | None = Field(None, alias="maxItems")


class Query(_Model):
    """A named query shape: filter, sort, paging and projection, as the service sends it."""

    op: Literal[
        "find",
        "findOne",
        "count",
        "distinct",
        "updateOne",
        "updateMany",
        "replaceOne",
        "deleteOne",
        "deleteMany",
        "findOneAndUpdate",
        "findOneAndReplace",
        "findOneAndDelete",
    ] = "find"
    filter: dict[str, Any] = Field(default_factory=dict)
    sort: list[tuple[Name, SortDirection]] = Field(default_factory=list)
    limit: Annotated[int, Field(ge=0)] | None = None
    skip: Annotated[int, Field(ge=0)] | None = None
    projection: dict[str, Any] | None = None
    collation: Collation | None = None
    on_request_path: bool = Field(True, alias="onRequestPath")
    upsert_key: list[Name] = Field(default_factory=list, alias="upsertKey")

    @field_validator("sort", mode="before")
    @classmethod
    def _sort_pairs(cls, value: Any) -> Any:
        value = _pairs(value)
        if isinstance(value, list):
            for pair in value:
                if isinstance(pair, list | tuple) and len(pair) == 2:
                    _no_bool(pair[1])
        return value

    @property
    def returns_many(self) -> bool:
        """True for a ``find`` (the other operations return one document, a count, or write)."""
        return self.op == "find"


class Pipeline(_Model):
    """A named aggregation pipeline and its options."""

    stages: Annotated[list[dict[str, Any]], Field(min_length=1)]
    allow_disk_use: bool = Field(False, alias="allowDiskUse")
    allow_disk_use_reason: str | None = Field(None, alias="allowDiskUseReason")
    collation: Collation | None = None
    on_request_path: bool = Field(True, alias="onRequestPath")


class Collection(_Model):
    """One collection and everything the service does with it."""

    name: Name
    documents: Annotated[int, Field(ge=0)]
    write_heavy: bool = Field(False, alias="writeHeavy")
    expiring: bool = False
    validator: Validator | None = None
    indexes: list[Index] = Field(default_factory=list)
    arrays: dict[Name, ArrayField] = Field(default_factory=dict)
    queries: dict[Name, Query] = Field(default_factory=dict)
    pipelines: dict[Name, Pipeline] = Field(default_factory=dict)

    @field_validator("documents", mode="before")
    @classmethod
    def _size_class(cls, value: Any) -> Any:
        if isinstance(value, str):
            if value not in SIZE_CLASSES:
                raise ValueError(f"expected a document count or one of {', '.join(SIZE_CLASSES)}, got {value!r}")
            return SIZE_CLASSES[value]
        if isinstance(value, bool):
            raise ValueError("expected a document count or a size class, not a boolean")
        return value

    @field_validator("arrays", mode="before")
    @classmethod
    def _array_entries(cls, value: Any) -> Any:
        """``tags: {maxItems: 10}``; a bare ``likes:`` (null) means an unbounded array."""
        if isinstance(value, dict):
            return {k: ({} if v is None else v) for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _unique_index_names(self) -> Collection:
        seen: set[str] = set()
        for index in self.indexes:
            if index.name in seen:
                raise ValueError(f"index name {index.name!r} is used twice")
            seen.add(index.name)
        return self


class Manifest(_Model):
    """A service's MongoDB usage: the input of the static audit."""

    version: Literal[1] = 1
    service: str | None = None
    collections: list[Collection]
    _doc: Document | None = PrivateAttr(default=None)

    @property
    def doc(self) -> Document | None:
        """The document the manifest was read from (for line numbers), if any."""
        return self._doc

    def collection(self, name: str) -> Collection | None:
        """The collection called ``name``, if the manifest describes it."""
        return next((c for c in self.collections if c.name == name), None)

    @classmethod
    def load(cls, path: Path | str) -> Manifest:
        """Read and validate a manifest file."""
        return cls.from_document(Document.load(path, what="MongoDB manifest"))

    @classmethod
    def from_text(cls, text: str, *, name: str) -> Manifest:
        """Validate manifest text held in memory."""
        return cls.from_document(Document.from_text(text, name=name))

    @classmethod
    def from_document(cls, doc: Document) -> Manifest:
        """Validate a parsed document as a manifest; errors name their place and line."""
        data = doc.data
        if not isinstance(data, dict):
            raise InputError("not a MongoDB manifest: the top level is not a mapping", file=doc.path, line=1)
        try:
            with _collector_paused():
                manifest = cls.model_validate(data)
        except ValidationError as exc:
            error = exc.errors()[0]
            tokens = _existing(data, [t for t in error["loc"] if isinstance(t, str | int)])
            if error["type"] == "missing":
                message = f"missing required field {error['loc'][-1]!r}"
            elif error["type"] == "extra_forbidden":
                tokens = [*tokens, error["loc"][-1]] if error["loc"][-1] not in tokens else tokens
                message = "unknown field"
            else:
                message = error["msg"].removeprefix("Value error, ")
            raise _error(doc, tokens, message) from None
        _check_names(doc, data)
        for place, tokens in _vocabulary_errors(data):
            raise _error(doc, tokens, place)
        manifest._doc = doc
        return manifest


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a manifest becomes objects.

    Validation allocates many small objects that form no cycles; collector passes in the middle would scan the
    whole growing heap again and again, making the load of a large manifest grow faster than its size.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def place_name(data: Any, tokens: list[str | int]) -> str:
    """``collections[posts].queries.feed.filter``: a pointer spelled the way people name things."""
    out = ""
    node = data
    for token in tokens:
        named = None
        if isinstance(node, list) and isinstance(token, int) and token < len(node):
            item = node[token]
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                named = item["name"]
            out += f"[{named if named is not None else token}]"
            node = item
            continue
        out += f".{token}" if out else str(token)
        node = node.get(token) if isinstance(node, dict) else None
    return out or "manifest"


def _existing(data: Any, tokens: list[str | int]) -> list[str | int]:
    """The longest prefix of ``tokens`` that names real nodes (pydantic adds type tags to union locs)."""
    node = data
    kept: list[str | int] = []
    for token in tokens:
        found = (isinstance(node, dict) and token in node) or (
            isinstance(node, list) and isinstance(token, int) and token < len(node)
        )
        if not found:
            break
        node = node[token]
        kept.append(token)
    return kept


class _Key(str):
    """A last token that only locates the line: the message names the node that holds it."""

    __slots__ = ()


def _error(doc: Document, tokens: list[str | int], message: str) -> InputError:
    line, _ = doc.locate(jp.from_tokens(tokens))
    shown = tokens[:-1] if tokens and isinstance(tokens[-1], _Key) else tokens
    return InputError(f"{place_name(doc.data, shown)}: {message}", file=doc.path, line=line or 1)


def _check_names(doc: Document, data: dict[str, Any]) -> None:
    seen: set[str] = set()
    for i, coll in enumerate(data.get("collections") or []):
        if coll["name"] in seen:
            raise _error(doc, ["collections", i, "name"], f"collection {coll['name']!r} is described twice")
        seen.add(coll["name"])


def _vocabulary_errors(data: dict[str, Any]) -> Iterator[tuple[str, list[str | int]]]:
    """Unknown operators and stages, each with the tokens of the node that holds it."""
    for i, coll in enumerate(data["collections"]):
        base: list[str | int] = ["collections", i]
        for j, index in enumerate(coll.get("indexes") or []):
            pfe = index.get("partialFilterExpression")
            if pfe is not None:
                yield from _filter_errors(pfe, [*base, "indexes", j, "partialFilterExpression"])
        for name, query in (coll.get("queries") or {}).items():
            yield from _filter_errors(query.get("filter") or {}, [*base, "queries", name, "filter"])
        for name, pipeline in (coll.get("pipelines") or {}).items():
            yield from _stage_errors(pipeline["stages"], [*base, "pipelines", name, "stages"])


def _filter_errors(node: Any, at: list[str | int]) -> Iterator[tuple[str, list[str | int]]]:
    if not isinstance(node, dict):
        yield "a filter must be a mapping", at
        return
    for key, value in node.items():
        if key.startswith("$"):
            if key not in vocab.TOP_OPERATORS:
                yield f"unknown operator {key}", [*at, _Key(key)]
            elif key in ("$and", "$or", "$nor"):
                if not isinstance(value, list) or not value:
                    yield f"{key} takes a non-empty list of filters", [*at, _Key(key)]
                    continue
                for n, clause in enumerate(value):
                    yield from _filter_errors(clause, [*at, key, n])
        elif isinstance(value, dict) and any(str(k).startswith("$") for k in value):
            yield from _condition_errors(value, [*at, key])


def _condition_errors(node: dict[str, Any], at: list[str | int]) -> Iterator[tuple[str, list[str | int]]]:
    for op, value in node.items():
        if not str(op).startswith("$"):
            yield f"field {op!r} mixed with operators; use a dotted path instead", [*at, op]
        elif op not in vocab.FIELD_OPERATORS:
            yield f"unknown operator {op}", [*at, _Key(op)]
        elif op == "$not" and isinstance(value, dict):
            yield from _condition_errors(value, [*at, op])
        elif op == "$elemMatch":
            if not isinstance(value, dict):
                yield "$elemMatch takes a mapping", [*at, op]
            elif any(str(k).startswith("$") and k not in vocab.TOP_OPERATORS for k in value):
                yield from _condition_errors(value, [*at, op])
            else:
                yield from _filter_errors(value, [*at, op])
        elif op in ("$in", "$nin", "$all") and not isinstance(value, list):
            yield f"{op} takes a list", [*at, op]


def _stage_errors(stages: list[Any], at: list[str | int]) -> Iterator[tuple[str, list[str | int]]]:
    for n, stage in enumerate(stages):
        here = [*at, n]
        if not isinstance(stage, dict) or len(stage) != 1:
            yield "a stage is a mapping with exactly one key, the stage name", here
            continue
        ((name, body),) = stage.items()
        if name not in vocab.STAGES:
            yield f"unknown pipeline stage {name}", [*here, _Key(name)]
        elif name == "$match":
            yield from _filter_errors(body, [*here, name])
        elif name in ("$lookup", "$unionWith") and isinstance(body, dict) and isinstance(body.get("pipeline"), list):
            yield from _stage_errors(body["pipeline"], [*here, name, "pipeline"])
        elif name == "$facet" and isinstance(body, dict):
            for facet, sub in body.items():
                if isinstance(sub, list):
                    yield from _stage_errors(sub, [*here, name, facet])
        elif name == "$sort" and (not isinstance(body, dict) or not body):
            yield "$sort takes a non-empty mapping of field to direction", [*here, name]
        elif name == "$sort":
            for field, direction in body.items():
                if isinstance(direction, bool) or (direction not in (1, -1) and not _is_meta(direction)):
                    yield f"$sort direction of {field!r} must be 1 or -1", [*here, name, field]
        elif name in ("$limit", "$skip") and (not isinstance(body, int) or isinstance(body, bool) or body < 0):
            yield f"{name} takes a non-negative integer", [*here, name]
        elif name == "$unwind" and not isinstance(body, str | dict):
            yield "$unwind takes a field path or a mapping with 'path'", [*here, name]


def _is_meta(direction: Any) -> bool:
    """``{$meta: "textScore"}``: a sort by text relevance."""
    return isinstance(direction, dict) and set(direction) == {"$meta"}
