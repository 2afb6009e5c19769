"""API-116: a documented 429 tells the client when to retry and what the limit is."""

from __future__ import annotations

from collections.abc import Iterator

from checks.engines.openapi.lint import Violation, check
from checks.engines.openapi.rules._schemas import response_headers, responses
from checks.engines.openapi.spec import Spec

REQUIRED = ("Retry-After", "RateLimit", "RateLimit-Policy")


@check("rate-limit-headers")
def rate_limit_headers(spec: Spec) -> Iterator[Violation]:
    """Flag 429 responses that do not define ``Retry-After``, ``RateLimit`` and ``RateLimit-Policy``."""
    reported: set[tuple[str, str]] = set()
    for op in spec.operations():
        found = responses(spec, op).get("429")
        if found is None:
            continue
        response, where = found
        if (where.doc.path, where.pointer) in reported:
            continue
        reported.add((where.doc.path, where.pointer))
        present = response_headers(spec, response)
        missing = [h for h in REQUIRED if h.lower() not in present]
        if missing:
            yield Violation(f"{op.label} response 429 does not define the headers {', '.join(missing)}", where)
