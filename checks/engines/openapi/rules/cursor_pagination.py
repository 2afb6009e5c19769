"""API-109: list operations page with a cursor and a bounded ``limit`` that has a default."""

from __future__ import annotations

import re
from collections.abc import Iterator

from checks.engines.openapi.lint import Violation, check
from checks.engines.openapi.rules._schemas import page_schema, parameter_schema, parameters, types_of
from checks.engines.openapi.spec import Spec

MAX_LIMIT = 100
CURSOR = re.compile(
    r"^(cursor|page_?token|after|before|starting_after|ending_before|continuation(_?token)?)$", re.IGNORECASE
)


@check("cursor-pagination")
def cursor_pagination(spec: Spec) -> Iterator[Violation]:
    """Flag list operations without a cursor parameter or without an integer ``limit`` (maximum ≤ 100, default)."""
    for op in spec.operations():
        if page_schema(spec, op) is None:
            continue
        query = {p["name"]: (p, w) for p, w in parameters(spec, op) if p.get("in") == "query"}
        if not any(CURSOR.match(name) for name in query):
            yield Violation(f"{op.label} returns a list but has no cursor query parameter (e.g. `cursor`)", op.where)
        if "limit" not in query:
            yield Violation(f"{op.label} returns a list but declares no `limit` query parameter", op.where)
            continue
        param, where = query["limit"]
        schema = parameter_schema(spec, param, where)
        maximum = schema.get("maximum")
        problems = []
        if "integer" not in types_of(schema):
            problems.append("is not an integer")
        if not isinstance(maximum, int | float) or isinstance(maximum, bool) or maximum > MAX_LIMIT:
            problems.append(f"has no maximum of at most {MAX_LIMIT}")
        if "default" not in schema:
            problems.append("has no default")
        if problems:
            yield Violation(f"{op.label}: `limit` {', '.join(problems)}", where)
