"""API-123: operations that need credentials document the 401 they answer without them."""

from __future__ import annotations

from collections.abc import Iterator

from checks.engines.openapi.lint import Violation, check
from checks.engines.openapi.rules._schemas import is_secured, responses
from checks.engines.openapi.spec import Spec


@check("unauthorized-documented")
def unauthorized_documented(spec: Spec) -> Iterator[Violation]:
    """Flag secured operations without a 401 (or 4XX) response."""
    for op in spec.operations():
        if not is_secured(spec, op):
            continue
        found = responses(spec, op)
        if "401" not in found and "4XX" not in found:
            yield Violation(f"{op.label} requires credentials but does not document a 401 response", op.where)
