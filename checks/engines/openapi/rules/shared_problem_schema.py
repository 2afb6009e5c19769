"""API-106: all problem responses share one Problem schema with the RFC 9457 members."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from checks.engines.openapi.lint import Violation, check
from checks.engines.openapi.rules._responses import PROBLEM_JSON, error_responses
from checks.engines.openapi.spec import Spec, Where

RFC9457_MEMBERS = ("type", "title", "status", "detail", "instance")


@check("shared-problem-schema")
def shared_problem_schema(spec: Spec) -> Iterator[Violation]:
    """Flag inline problem schemas, a second shared schema, and a Problem schema missing members."""
    uses: list[tuple[str, tuple[str, str] | None, Where]] = []
    for op, status, response, where in error_responses(spec):
        content = response.get("content")
        media = content.get(PROBLEM_JSON) if isinstance(content, dict) else None
        if not isinstance(media, dict):
            continue
        schema_where = where.child("content", PROBLEM_JSON, "schema")
        target = spec.ref_target(media.get("schema"), schema_where)
        uses.append((f"{op.label} response {status}", target, schema_where))
    targets = Counter(t for _, t, _ in uses if t is not None)
    if not uses:
        return
    shared = targets.most_common(1)[0][0] if targets else None
    for label, target, where in uses:
        if target is None:
            yield Violation(f"{label} defines its problem schema inline; $ref the shared Problem schema", where)
        elif target != shared and shared is not None:
            yield Violation(f"{label} uses {target[1]!r}, but the shared problem schema is {shared[1]!r}", where)
    if shared is None:
        return
    doc = next(d for d in spec.docs.values() if d.path == shared[0])
    schema, schema_where = spec.deref({"$ref": "#" + shared[1]}, Where(doc, shared[1]))
    properties = schema.get("properties") if isinstance(schema, dict) else None
    missing = [m for m in RFC9457_MEMBERS if not isinstance(properties, dict) or m not in properties]
    if missing:
        yield Violation(
            f"shared problem schema {shared[1]!r} lacks RFC 9457 members: {', '.join(missing)}", schema_where
        )
