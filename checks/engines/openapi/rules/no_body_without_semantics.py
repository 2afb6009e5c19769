"""API-122: GET, HEAD and DELETE operations take no request body."""

from __future__ import annotations

from collections.abc import Iterator

from checks.engines.openapi.lint import Violation, check
from checks.engines.openapi.spec import Spec

NO_BODY = frozenset({"get", "head", "delete"})


@check("no-body-without-semantics")
def no_body_without_semantics(spec: Spec) -> Iterator[Violation]:
    """Flag a ``requestBody`` on GET, HEAD or DELETE."""
    for op in spec.operations():
        if op.method in NO_BODY and "requestBody" in op.node:
            yield Violation(
                f"{op.label} has a request body; HTTP gives it no meaning and intermediaries may drop it",
                op.where.child("requestBody"),
            )
