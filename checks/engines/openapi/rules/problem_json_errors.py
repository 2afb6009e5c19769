"""API-105: 4xx and 5xx responses are RFC 9457 ``application/problem+json``."""

from __future__ import annotations

from collections.abc import Iterator

from checks.engines.openapi.lint import Violation, check
from checks.engines.openapi.rules._responses import PROBLEM_JSON, error_responses
from checks.engines.openapi.spec import Spec


@check("problem-json-errors")
def problem_json_errors(spec: Spec) -> Iterator[Violation]:
    """Flag error responses without content or with a media type other than problem+json."""
    for op, status, response, where in error_responses(spec):
        content = response.get("content")
        if not isinstance(content, dict) or not content:
            yield Violation(f"{op.label} response {status} has no body; describe it as {PROBLEM_JSON}", where)
            continue
        for media in content:
            if str(media).split(";")[0].strip().lower() != PROBLEM_JSON:
                yield Violation(
                    f"{op.label} response {status} uses {media!r}; errors must use {PROBLEM_JSON} (RFC 9457)",
                    where.child("content", str(media)),
                )
