"""API-118: a deprecated operation names its sunset date and announces both on every success response."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from checks.engines.openapi.lint import Violation, check
from checks.engines.openapi.rules._schemas import response_headers, responses
from checks.engines.openapi.spec import Spec

HEADERS = ("Deprecation", "Sunset")


def is_rfc3339_date(value: Any) -> bool:
    """An RFC 3339 ``full-date`` or ``date-time`` (YAML may already have parsed it to a date)."""
    if isinstance(value, dt.date):
        return True
    if not isinstance(value, str):
        return False
    try:
        if "T" in value.upper():
            return dt.datetime.fromisoformat(value.upper().replace("Z", "+00:00")).tzinfo is not None
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10 or "T" in value.upper()


@check("deprecation-headers")
def deprecation_headers(spec: Spec) -> Iterator[Violation]:
    """Flag deprecated operations without a valid ``x-sunset`` or without the headers on their 2xx responses."""
    for op in spec.operations():
        if op.node.get("deprecated") is not True:
            continue
        if "x-sunset" not in op.node:
            yield Violation(f"{op.label} is deprecated but has no `x-sunset` date", op.where.child("deprecated"))
        elif not is_rfc3339_date(op.node["x-sunset"]):
            yield Violation(
                f"{op.label}: `x-sunset` {op.node['x-sunset']!r} is not an RFC 3339 date (e.g. 2026-03-01)",
                op.where.child("x-sunset"),
            )
        for status, (response, where) in responses(spec, op).items():
            if not status.startswith("2"):
                continue
            present = response_headers(spec, response)
            missing = [h for h in HEADERS if h.lower() not in present]
            if missing:
                yield Violation(
                    f"{op.label} is deprecated but its {status} response does not define {', '.join(missing)}",
                    where,
                )
