"""API-115: creates (POST answering 201) accept an ``Idempotency-Key`` header so clients can retry safely."""

from __future__ import annotations

from collections.abc import Iterator

from checks.engines.openapi.lint import Violation, check
from checks.engines.openapi.rules._schemas import parameters, responses
from checks.engines.openapi.spec import Spec

HEADER = "idempotency-key"


@check("idempotency-key")
def idempotency_key(spec: Spec) -> Iterator[Violation]:
    """Flag POST operations with a 201 response and no ``Idempotency-Key`` header parameter."""
    for op in spec.operations():
        if op.method != "post" or "201" not in responses(spec, op):
            continue
        if not any(p.get("in") == "header" and str(p["name"]).lower() == HEADER for p, _ in parameters(spec, op)):
            yield Violation(f"{op.label} creates a resource but accepts no `Idempotency-Key` header", op.where)
