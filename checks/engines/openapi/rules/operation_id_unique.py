"""API-103: every operation has an ``operationId`` that no other operation uses."""

from __future__ import annotations

from collections.abc import Iterator

from checks.engines.openapi.lint import Violation, check
from checks.engines.openapi.spec import Spec


@check("operation-id-unique")
def operation_id_unique(spec: Spec) -> Iterator[Violation]:
    """Flag operations without an operationId and every repeat of one."""
    first: dict[str, str] = {}
    for op in spec.operations():
        op_id = op.node.get("operationId")
        if not isinstance(op_id, str) or not op_id.strip():
            yield Violation(f"{op.label} has no operationId", op.where)
            continue
        if op_id in first:
            yield Violation(
                f"operationId {op_id!r} of {op.label} is already used by {first[op_id]}", op.where.child("operationId")
            )
        else:
            first[op_id] = op.label
