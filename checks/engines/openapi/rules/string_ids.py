"""API-114: identifiers are opaque strings, never integers."""

from __future__ import annotations

from collections.abc import Iterator

from checks.engines.openapi.lint import Violation, check
from checks.engines.openapi.rules._schemas import index, parameter_schema, parameters, types_of, words
from checks.engines.openapi.spec import Spec


def is_id_name(name: str) -> bool:
    """``id``, ``post_id``, ``postId``, ``post-id``."""
    parts = words(name)
    return bool(parts) and parts[-1] == "id"


@check("string-ids")
def string_ids(spec: Spec) -> Iterator[Violation]:
    """Flag ID-named properties and path parameters typed integer or number."""
    for prop in index(spec).properties:
        if is_id_name(prop.name) and types_of(prop.schema) & {"integer", "number"}:
            yield Violation(f"property {prop.name!r} is a number; type IDs as opaque strings", prop.where)
    reported: set[str] = set()
    for op in spec.operations():
        for param, where in parameters(spec, op):
            if param.get("in") != "path" or where.pointer in reported:
                continue
            if is_id_name(param["name"]) and types_of(parameter_schema(spec, param, where)) & {"integer", "number"}:
                reported.add(where.pointer)
                yield Violation(
                    f"path parameter {param['name']!r} of {op.label} is a number; type IDs as opaque strings", where
                )
