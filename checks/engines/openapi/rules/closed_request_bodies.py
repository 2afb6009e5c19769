"""API-111: request body objects are closed: unknown properties are rejected, not silently dropped."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from checks.engines.openapi.lint import Violation, check
from checks.engines.openapi.rules._schemas import JSON_MEDIA, request_schemas, types_of, walk_request
from checks.engines.openapi.spec import Spec, Where


def is_closed(schema: dict[str, Any]) -> bool:
    """``additionalProperties: false``, ``unevaluatedProperties: false``, or a typed map of extra members."""
    extra = schema.get("additionalProperties")
    return extra is False or schema.get("unevaluatedProperties") is False or (isinstance(extra, dict) and bool(extra))


@check("closed-request-bodies")
def closed_request_bodies(spec: Spec) -> Iterator[Violation]:
    """Flag object schemas of JSON request bodies that accept properties they do not declare."""
    seen: set[tuple[str, str, bool]] = set()
    found: list[Violation] = []
    for op, raw, where in request_schemas(spec, JSON_MEDIA):

        def visit(node: dict[str, Any], at: Where, whole: bool, label: str = op.label) -> None:
            if not whole or not ("object" in types_of(node) or "properties" in node):
                return
            if is_closed(node):
                return
            members = node.get("allOf")
            if isinstance(members, list) and any(
                isinstance(m, dict) and is_closed(spec.deref(m, at)[0] or {}) for m in members
            ):
                return
            found.append(
                Violation(
                    f"request body of {label}: object schema accepts undeclared properties; "
                    "add `additionalProperties: false` (or `unevaluatedProperties: false` with allOf)",
                    at,
                )
            )

        walk_request(spec, raw, where, visit, seen)
    yield from found
