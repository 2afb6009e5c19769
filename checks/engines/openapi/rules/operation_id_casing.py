"""API-124: operation IDs are lowerCamelCase, so generated clients get natural method names."""

from __future__ import annotations

import re
from collections.abc import Iterator

from checks.engines.openapi.lint import Violation, check
from checks.engines.openapi.spec import Spec

CAMEL = re.compile(r"^[a-z][a-z0-9]*([A-Z][a-z0-9]*)*$")


@check("operation-id-camel-case")
def operation_id_camel_case(spec: Spec) -> Iterator[Violation]:
    """Flag operationIds that are not lowerCamelCase (missing ones are API-103's concern)."""
    for op in spec.operations():
        op_id = op.node.get("operationId")
        if isinstance(op_id, str) and op_id.strip() and not CAMEL.match(op_id):
            yield Violation(
                f"operationId {op_id!r} of {op.label} is not lowerCamelCase (e.g. 'listPosts')",
                op.where.child("operationId"),
            )
