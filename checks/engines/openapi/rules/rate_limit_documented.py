"""API-117: write operations, and operations marked ``x-rate-limited: true``, document the 429 they can return."""

from __future__ import annotations

from collections.abc import Iterator

from checks.engines.openapi.lint import Violation, check
from checks.engines.openapi.rules._schemas import WRITE_METHODS, responses
from checks.engines.openapi.spec import Spec


@check("rate-limit-documented")
def rate_limit_documented(spec: Spec) -> Iterator[Violation]:
    """Flag writes (POST, PUT, PATCH, DELETE) and ``x-rate-limited: true`` operations without a 429 response.

    ``x-rate-limited: false`` on an operation opts it out explicitly.
    """
    for op in spec.operations():
        marked = op.node.get("x-rate-limited")
        if marked is False or (marked is not True and op.method not in WRITE_METHODS):
            continue
        found = responses(spec, op)
        if "429" not in found and "4XX" not in found:
            yield Violation(f"{op.label} is rate limited but does not document a 429 response", op.where)
