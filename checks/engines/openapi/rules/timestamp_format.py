"""API-113: timestamps are RFC 3339 strings (``format: date-time``), not free text or epoch numbers."""

from __future__ import annotations

from collections.abc import Iterator

from checks.engines.openapi.lint import Violation, check
from checks.engines.openapi.rules._schemas import index, types_of, words
from checks.engines.openapi.spec import Spec

INSTANT_WORDS = frozenset({"created", "updated", "modified", "deleted", "timestamp"})


def timestamp_kind(name: str) -> str | None:
    """``instant`` for names like ``created_at``/``updatedAt``/``timestamp``, ``time`` for ``start_time``; else None."""
    parts = words(name)
    if not parts:
        return None
    if (parts[-1] == "at" and len(parts) > 1) or parts[-1] in INSTANT_WORDS or parts == ("time",):
        return "instant"
    if parts[-1] == "time" and len(parts) > 1:
        return "time"
    return None


@check("timestamp-format")
def timestamp_format(spec: Spec) -> Iterator[Violation]:
    """Flag timestamp-named string properties without ``format: date-time``, and numeric epoch timestamps."""
    for prop in index(spec).properties:
        kind = timestamp_kind(prop.name)
        if kind is None:
            continue
        kinds = types_of(prop.schema)
        fmt = prop.schema.get("format")
        if "string" in kinds and fmt != "date-time" and not (kind == "time" and fmt == "time"):
            yield Violation(f"property {prop.name!r} is a timestamp string; declare `format: date-time`", prop.where)
        elif kind == "instant" and kinds & {"integer", "number"}:
            yield Violation(
                f"property {prop.name!r} is a numeric (epoch) timestamp; use a string with `format: date-time`",
                prop.where,
            )
