"""The deprecation policy: an operation is removed only after it was deprecated and its sunset passed.

An operation announces its end with ``deprecated: true`` and ``x-sunset: YYYY-MM-DD`` (an RFC 3339
full-date, the date the ``Sunset`` header of RFC 8594 carries), set at least
:data:`NOTICE_DAYS` days ahead. Removing it on or after that date is allowed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from checks.engines.breaking.changes import Change
from checks.engines.openapi.spec import Operation

NOTICE_DAYS = 90
POLICY = f"mark it deprecated with x-sunset at least {NOTICE_DAYS} days ahead and remove it after that date"


def sunset_of(node: dict[str, Any]) -> tuple[dt.date | None, str | None]:
    """The operation's ``x-sunset`` date, or ``(None, why not)``."""
    raw = node.get("x-sunset")
    if raw is None:
        return None, "it has no x-sunset date"
    if isinstance(raw, dt.datetime):
        return raw.date(), None
    if isinstance(raw, dt.date):
        return raw, None
    text = str(raw).strip()
    try:
        return dt.date.fromisoformat(text[:10]) if len(text) >= 10 else dt.date.fromisoformat(text), None
    except ValueError:
        return None, f"its x-sunset {text!r} is not an RFC 3339 date"


def removal(op: Operation, today: dt.date) -> Change:
    """The change for an operation that NEW no longer has: allowed only after its sunset."""
    where = op.where
    if op.node.get("deprecated") is not True:
        return Change("operation-removed", "request", f"removed without deprecation; {POLICY}", op.label, old=where)
    sunset, problem = sunset_of(op.node)
    if sunset is None:
        detail = f"removed, but although deprecated {problem}; {POLICY}"
        return Change("operation-removed", "request", detail, op.label, old=where)
    if today < sunset:
        days = (sunset - today).days
        detail = f"removed before its sunset date {sunset.isoformat()} ({days} day{'s' if days != 1 else ''} left)"
        return Change("operation-removed", "request", detail, op.label, old=where)
    detail = f"removed after its sunset date {sunset.isoformat()}"
    return Change("operation-removed-after-sunset", "request", detail, op.label, old=where)


def deprecation(old: Operation, new: Operation, today: dt.date) -> Change | None:
    """The change when an operation becomes deprecated, drops its sunset, or comes back."""
    was, now = old.node.get("deprecated") is True, new.node.get("deprecated") is True
    where = new.where.child("deprecated") if "deprecated" in new.node else new.where
    if now and not was:
        sunset, problem = sunset_of(new.node)
        if sunset is None:
            detail = f"deprecated, but {problem}: add one at least {NOTICE_DAYS} days ahead"
        elif (sunset - today).days < NOTICE_DAYS:
            detail = (
                f"deprecated with sunset {sunset.isoformat()}, only {(sunset - today).days} days ahead; "
                f"the policy gives clients at least {NOTICE_DAYS} days"
            )
        else:
            detail = f"deprecated; it may be removed after {sunset.isoformat()}"
        return Change("operation-deprecated", "request", detail, new.label, new=where)
    if was and not now:
        return Change("operation-reactivated", "request", "no longer deprecated", new.label, new=new.where)
    if was and now and "x-sunset" in old.node and "x-sunset" not in new.node:
        return Change(
            "operation-sunset-removed", "request", "x-sunset removed from a deprecated operation", new.label, new=where
        )
    return None
