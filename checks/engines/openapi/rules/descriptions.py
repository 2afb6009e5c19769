"""API-120: every operation and every parameter has a description."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from checks.engines.openapi.lint import Violation, check
from checks.engines.openapi.spec import Spec, Where


def _described(node: dict[str, Any]) -> bool:
    text = node.get("description")
    return isinstance(text, str) and bool(text.strip())


@check("descriptions")
def descriptions(spec: Spec) -> Iterator[Violation]:
    """Flag operations and parameters (each defined once, wherever it is used) without a description."""
    seen: set[tuple[str, str]] = set()
    for op in spec.operations():
        if not _described(op.node):
            yield Violation(f"{op.label} has no description", op.where)
        item_where = Where(op.where.doc, op.where.pointer.rsplit("/", 1)[0])
        for owner, where in ((op.path_item, item_where), (op.node, op.where)):
            listed = owner.get("parameters")
            if not isinstance(listed, list):
                continue
            for i, raw in enumerate(listed):
                param, at = spec.deref(raw, where.child("parameters", i))
                if not isinstance(param, dict) or (at.doc.path, at.pointer) in seen:
                    continue
                seen.add((at.doc.path, at.pointer))
                if not _described(param):
                    yield Violation(f"parameter {param.get('name')!r} of {op.label} has no description", at)
