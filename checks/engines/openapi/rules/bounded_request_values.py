"""API-112: strings and arrays a client sends have an upper bound (``maxLength``, ``maxItems``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from checks.engines.openapi.lint import Violation, check
from checks.engines.openapi.rules._schemas import request_schemas, types_of, walk_request
from checks.engines.openapi.spec import Spec, Where

# Formats whose valid values are short by definition; a validator enforcing the format bounds them.
BOUNDED_FORMATS = frozenset({"date-time", "date", "time", "uuid", "ipv4", "ipv6", "binary", "int32", "int64"})


def unbounded(schema: dict[str, Any]) -> str | None:
    """What is missing from a string or array schema, or None when it is bounded (or not one)."""
    if "enum" in schema or "const" in schema:
        return None
    kinds = types_of(schema)
    if "string" in kinds and "maxLength" not in schema and schema.get("format") not in BOUNDED_FORMATS:
        return "a string without maxLength"
    if "array" in kinds and "maxItems" not in schema:
        return "an array without maxItems"
    return None


@check("bounded-request-values")
def bounded_request_values(spec: Spec) -> Iterator[Violation]:
    """Flag request body properties and parameters that are unbounded strings or arrays."""
    seen: set[tuple[str, str, bool]] = set()
    found: list[Violation] = []

    def visit(node: dict[str, Any], at: Where, whole: bool) -> None:
        missing = unbounded(node)
        if missing:
            found.append(Violation(f"{label}: {missing}; bound what clients may send", at))

    label = ""
    for op, raw, where in request_schemas(spec):
        label = f"request body of {op.label}"
        walk_request(spec, raw, where, visit, seen)
    for op in spec.operations():
        for owner, owner_where in ((op.path_item, _item_where(op.where)), (op.node, op.where)):
            listed = owner.get("parameters")
            if not isinstance(listed, list):
                continue
            for i, param_raw in enumerate(listed):
                param, at = spec.deref(param_raw, owner_where.child("parameters", i))
                if isinstance(param, dict) and "schema" in param:
                    label = f"parameter {param.get('name')!r} of {op.label}"
                    walk_request(spec, param["schema"], at.child("schema"), visit, seen)
    yield from found


def _item_where(where: Where) -> Where:
    return Where(where.doc, where.pointer.rsplit("/", 1)[0])
