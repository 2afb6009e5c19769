"""API-110: list operations do not page by offset, skip or page number."""

from __future__ import annotations

from collections.abc import Iterator

from checks.engines.openapi.lint import Violation, check
from checks.engines.openapi.rules._schemas import page_schema, parameters
from checks.engines.openapi.spec import Spec

OFFSET_NAMES = frozenset({"offset", "skip", "page", "page_number", "pagenumber", "page-number", "start_index"})


@check("no-offset-pagination")
def no_offset_pagination(spec: Spec) -> Iterator[Violation]:
    """Flag ``offset``/``skip``/``page`` query parameters of list operations."""
    for op in spec.operations():
        if page_schema(spec, op) is None:
            continue
        for param, where in parameters(spec, op):
            if param.get("in") == "query" and str(param["name"]).lower() in OFFSET_NAMES:
                yield Violation(
                    f"{op.label} pages by {param['name']!r}; use an opaque cursor instead of offsets or page numbers",
                    where,
                )
