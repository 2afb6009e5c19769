"""Helpers shared by the schema, parameter and operation rules.

The whole-document schema walk is done once per :class:`Spec` and shared by every rule that needs it,
so adding a rule does not add a pass over a multi-megabyte document. Its records are named tuples and a
slotted class, not dataclasses, which cost 0.2–0.45 ms each to create on Python 3.11 (start-up time).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any, NamedTuple, TypeVar

from checks import pointer as jp
from checks.engines.openapi.spec import Operation, Spec, Where

_SKIP = frozenset({"example", "examples", "default", "const", "enum"})
_SCHEMA_MAPS = ("properties", "patternProperties", "dependentSchemas", "$defs", "definitions")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SCHEMA_ONES = (
    "items",
    "additionalProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
    "additionalItems",
)
_CHILD_ORDER = (*_SCHEMA_MAPS, *_SCHEMA_LISTS, *_SCHEMA_ONES)
_CHILD_KEYS = frozenset(_CHILD_ORDER)
_RANK = {name: rank for rank, name in enumerate(_CHILD_ORDER)}
BODY_MEDIA = re.compile(r"^(application/([\w.-]+\+)?json|application/x-www-form-urlencoded|multipart/form-data)$")
JSON_MEDIA = re.compile(r"^application/([\w.-]+\+)?json$")
WRITE_METHODS = frozenset({"post", "put", "patch", "delete"})


class SchemaNode(NamedTuple):
    """One schema (``node``), ``$ref``s already followed to it, and its place (``where``)."""

    node: dict[str, Any]
    where: Where


class Property(NamedTuple):
    """A property of an object schema: its ``name``, its ``schema`` with ``$ref``s followed, and ``where`` it is."""

    name: str
    schema: dict[str, Any]
    where: Where


class Index:
    """Every schema of the document, its properties, and the nodes that carry examples."""

    __slots__ = ("exemplified", "properties", "schemas")

    def __init__(
        self,
        schemas: list[SchemaNode] | None = None,
        properties: list[Property] | None = None,
        exemplified: list[tuple[dict[str, Any], Where]] | None = None,
    ) -> None:
        self.schemas: list[SchemaNode] = [] if schemas is None else schemas
        self.properties: list[Property] = [] if properties is None else properties
        self.exemplified: list[tuple[dict[str, Any], Where]] = [] if exemplified is None else exemplified


_CACHE: dict[int, tuple[Spec, Index]] = {}


def index(spec: Spec) -> Index:
    """The schema index of ``spec``, built on first use."""
    hit = _CACHE.get(id(spec))
    if hit is not None and hit[0] is spec:
        return hit[1]
    built = _build(spec)
    if len(_CACHE) >= 4:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[id(spec)] = (spec, built)
    return built


def _build(spec: Spec) -> Index:
    found = Index()
    seen: set[tuple[str, str]] = set()
    roots: list[tuple[Any, Where]] = []
    components = spec.data.get("components")
    schemas = components.get("schemas") if isinstance(components, dict) else None
    if isinstance(schemas, dict):
        base = Where(spec.root, "/components/schemas")
        roots.extend((value, base.child(str(name))) for name, value in schemas.items())
    stack: list[tuple[Any, str]] = [(spec.data, "")]
    while stack:  # every `schema` member outside components.schemas, and every node with examples
        value, pointer = stack.pop()
        if isinstance(value, dict):
            if "schema" in value and isinstance(value["schema"], dict):
                roots.append((value["schema"], Where(spec.root, pointer + "/schema")))
                if "example" in value or "examples" in value:
                    found.exemplified.append((value, Where(spec.root, pointer)))
            for key, child in value.items():
                if key == "schemas" and pointer == "/components":
                    continue
                if (
                    isinstance(child, dict | list)
                    and key not in _SKIP
                    and key != "schema"
                    and not str(key).startswith("x-")
                ):
                    stack.append((child, pointer + "/" + jp.escape(key)))
        elif isinstance(value, list):
            for i, child in enumerate(value):
                if isinstance(child, dict | list):
                    stack.append((child, f"{pointer}/{i}"))
    for value, where in roots:
        _walk(spec, value, where, seen, found)
    return found


def _walk(spec: Spec, value: Any, where: Where, seen: set[tuple[str, str]], found: Index) -> None:
    # Hot on multi-megabyte documents: pointers are built as strings, and Where objects only for what is kept.
    stack: list[tuple[Any, Where]] = [(value, where)]
    while stack:
        raw, at = stack.pop()
        if isinstance(raw, dict) and "$ref" in raw:
            raw, at = spec.deref(raw, at)
        if not isinstance(raw, dict):
            continue
        key = (at.doc.path, at.pointer)
        if key in seen:
            continue
        seen.add(key)
        doc, base = at.doc, at.pointer
        found.schemas.append(SchemaNode(raw, at))
        present = _CHILD_KEYS.intersection(raw)
        if not present:  # most schemas are leaves: skip the twenty lookups
            continue
        for name in sorted(present, key=_RANK.__getitem__):
            child = raw[name]
            if name in _SCHEMA_MAPS:
                if isinstance(child, dict):
                    prefix = f"{base}/{name}/"
                    for member, sub in child.items():
                        sub_at = Where(doc, prefix + _escape(member))
                        if name == "properties":
                            resolved = spec.deref(sub, sub_at)[0] if isinstance(sub, dict) and "$ref" in sub else sub
                            if isinstance(resolved, dict):
                                found.properties.append(Property(str(member), resolved, sub_at))
                        if isinstance(sub, dict):
                            stack.append((sub, sub_at))
            elif name in _SCHEMA_LISTS:
                if isinstance(child, list):
                    stack.extend((sub, Where(doc, f"{base}/{name}/{i}")) for i, sub in enumerate(child))
            elif isinstance(child, dict):
                stack.append((child, Where(doc, f"{base}/{name}")))
            elif isinstance(child, list) and name == "items":
                stack.extend((item, Where(doc, f"{base}/items/{i}")) for i, item in enumerate(child))


def _escape(token: object) -> str:
    text = str(token)
    return jp.escape(text) if "~" in text or "/" in text else text


def types_of(schema: dict[str, Any]) -> set[str]:
    """The JSON types a schema names (``type: [string, "null"]`` → both; none when it names none)."""
    declared = schema.get("type")
    if isinstance(declared, str):
        return {declared}
    if isinstance(declared, list):
        return {t for t in declared if isinstance(t, str)}
    return set()


_T = TypeVar("_T")


def _per_operation(spec: Spec, op: Operation, compute: Callable[[Spec, Operation], _T]) -> _T:
    """``compute(spec, op)``, computed once per operation within a lint run (when the spec carries a memo)."""
    if spec.memo is None:
        return compute(spec, op)
    key = (compute.__name__, op.where.doc.path, op.where.pointer)
    found = spec.memo.get(key)
    if found is None:
        found = spec.memo[key] = compute(spec, op)
    return found


def parameters(spec: Spec, op: Operation) -> list[tuple[dict[str, Any], Where]]:
    """The operation's effective parameters: path-item ones, overridden by the operation's own by name and place.

    Within a lint run the list is computed once per operation and shared: do not change it.
    """
    return _per_operation(spec, op, _parameters)


def _parameters(spec: Spec, op: Operation) -> list[tuple[dict[str, Any], Where]]:
    chosen: dict[tuple[str, str], tuple[dict[str, Any], Where]] = {}
    item_where = Where(op.where.doc, op.where.pointer.rsplit("/", 1)[0])
    for owner, where in ((op.path_item, item_where), (op.node, op.where)):
        listed = owner.get("parameters")
        if not isinstance(listed, list):
            continue
        for i, raw in enumerate(listed):
            node, _ = spec.deref(raw, where.child("parameters", i))
            if isinstance(node, dict) and isinstance(node.get("name"), str):
                chosen[(node["name"], str(node.get("in")))] = (node, where.child("parameters", i))
    return list(chosen.values())


def parameter_schema(spec: Spec, param: dict[str, Any], where: Where) -> dict[str, Any]:
    """A parameter's schema with ``$ref``s followed (empty when it has none)."""
    schema, _ = spec.deref(param.get("schema"), where.child("schema"))
    return schema if isinstance(schema, dict) else {}


def responses(spec: Spec, op: Operation) -> dict[str, tuple[dict[str, Any], Where]]:
    """The operation's responses by status, ``$ref``s followed.

    Within a lint run the mapping is computed once per operation and shared: do not change it.
    """
    return _per_operation(spec, op, _responses)


def _responses(spec: Spec, op: Operation) -> dict[str, tuple[dict[str, Any], Where]]:
    found: dict[str, tuple[dict[str, Any], Where]] = {}
    declared = op.node.get("responses")
    if isinstance(declared, dict):
        for status, raw in declared.items():
            node, where = spec.deref(raw, op.where.child("responses", str(status)))
            if isinstance(node, dict):
                found[str(status).upper()] = (node, where)
    return found


def response_headers(spec: Spec, response: dict[str, Any]) -> set[str]:
    """Lower-cased names of the headers a response defines."""
    headers = response.get("headers")
    return {str(name).lower() for name in headers} if isinstance(headers, dict) else set()


def effective_security(spec: Spec, op: Operation) -> list[Any] | None:
    """The operation's security requirements (its own, else the document's)."""
    security = op.node.get("security", spec.data.get("security"))
    return security if isinstance(security, list) else None


def is_secured(spec: Spec, op: Operation) -> bool:
    """True when every way of calling the operation needs credentials."""
    security = effective_security(spec, op)
    return bool(security) and all(isinstance(r, dict) and r for r in security)


ITEM_ARRAYS = frozenset({"items", "data", "results", "entries", "records", "values", "elements"})
CURSOR_MEMBERS = re.compile(r"(^|_)(next|cursor|has_more)|nextCursor|hasMore|nextPage|continuation", re.IGNORECASE)


def page_schema(spec: Spec, op: Operation) -> tuple[dict[str, Any], Where] | None:
    """The JSON schema of a GET's 200 response when it is a list page: an array, or an object holding one."""
    if op.method != "get" or op.path.rstrip("/").endswith("}"):
        return None
    response = responses(spec, op).get("200")
    if response is None:
        return None
    content = response[0].get("content")
    if not isinstance(content, dict):
        return None
    for media, media_node in content.items():
        if not JSON_MEDIA.match(str(media).split(";")[0].strip().lower()) or not isinstance(media_node, dict):
            continue
        schema, where = spec.deref(media_node.get("schema"), response[1].child("content", str(media), "schema"))
        if not isinstance(schema, dict):
            continue
        if "array" in types_of(schema):
            return schema, where
        props = schema.get("properties")
        if not isinstance(props, dict):
            continue
        arrays = [
            name
            for name, raw in props.items()
            if "array" in types_of(spec.deref(raw, where.child("properties", str(name)))[0] or {})
        ]
        if any(a in ITEM_ARRAYS for a in arrays) or (arrays and any(CURSOR_MEMBERS.search(str(p)) for p in props)):
            return schema, where
    return None


def request_schemas(spec: Spec, media: re.Pattern[str] = BODY_MEDIA) -> Iterator[tuple[Operation, Any, Where]]:
    """The schema of each request body of each operation, for the media types ``media`` matches."""
    for op in spec.operations():
        body, where = spec.deref(op.node.get("requestBody"), op.where.child("requestBody"))
        if not isinstance(body, dict) or not isinstance(body.get("content"), dict):
            continue
        for name, media_node in body["content"].items():
            if (
                isinstance(media_node, dict)
                and "schema" in media_node
                and media.match(str(name).split(";")[0].strip().lower())
            ):
                yield op, media_node["schema"], where.child("content", str(name), "schema")


Visit = Callable[[dict[str, Any], Where, bool], None]


def walk_request(spec: Spec, raw: Any, where: Where, visit: Visit, seen: set[tuple[str, str, bool]]) -> None:
    """Call ``visit(schema, where, whole)`` on every schema a request can send, skipping ``readOnly`` properties.

    ``whole`` is False for ``allOf`` members, which describe only part of the object the client sends.
    """
    stack: list[tuple[Any, Where, bool]] = [(raw, where, True)]
    while stack:
        value, at, whole = stack.pop()
        node, at = spec.deref(value, at)
        if not isinstance(node, dict) or node.get("readOnly") is True:
            continue
        key = (at.doc.path, at.pointer, whole)
        if key in seen:
            continue
        seen.add(key)
        visit(node, at, whole)
        props = node.get("properties")
        if isinstance(props, dict):
            stack.extend((child, at.child("properties", str(name)), True) for name, child in props.items())
        for name in ("anyOf", "oneOf", "prefixItems"):
            members = node.get(name)
            if isinstance(members, list):
                stack.extend((child, at.child(name, i), True) for i, child in enumerate(members))
        members = node.get("allOf")
        if isinstance(members, list):
            stack.extend((child, at.child("allOf", i), False) for i, child in enumerate(members))
        for name in ("items", "additionalProperties"):
            child = node.get(name)
            if isinstance(child, dict):
                stack.append((child, at.child(name), True))


@lru_cache(maxsize=8192)
def words(name: str) -> tuple[str, ...]:
    """Split ``created_at``, ``createdAt`` or ``created-at`` into lower-case words."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name.strip("_$@"))
    return tuple(w.lower() for w in re.split(r"[\s_.-]+", spaced) if w)
