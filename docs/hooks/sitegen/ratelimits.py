"""The rate limit tables, read from :mod:`feedchat.ratelimit` when the site is built.

The policies, their default limits, what each counts by and whether it fails open or closed when the
shared store is down are declared as data in the service; these tables render that data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from feedchat.ratelimit import DEFAULT_LIMITS, OPERATION_POLICIES, POLICIES, UNAVAILABLE_RETRY_SECONDS

POLICIES_MARKER = "<!-- rate-limit-policies -->"
OPERATIONS_MARKER = "<!-- operation-rate-limits -->"
COUNTED_BY = {"address": "client address", "principal": "caller (`sub`)"}


def store_down(policy: str) -> str:
    """What a request under ``policy`` gets while the store cannot be reached."""
    if POLICIES[policy].fail_open:
        return "passes (fails open)"
    return f"503, `Retry-After: {UNAVAILABLE_RETRY_SECONDS}` (fails closed)"


def policies_markdown() -> str:
    """One row per policy: what it counts by, its default limit, and its store-down rule."""
    out = ["| Policy | Counted per | Default limit | Store down | Purpose |", "|---|---|---|---|---|"]
    for name, policy in POLICIES.items():
        out.append(
            f"| `{name}` | {COUNTED_BY[policy.key]} | `{DEFAULT_LIMITS[name]}` | {store_down(name)} | {policy.purpose} |"
        )
    return "\n".join(out)


def operations_markdown() -> str:
    """One row per authenticated operation: the per-caller policy counted after the address policy."""
    out = ["| Operation | Per-caller policy | Store down |", "|---|---|---|"]
    for operation, policy in OPERATION_POLICIES.items():
        out.append(f"| `{operation}` | `{policy}` | {store_down(policy)} |")
    return "\n".join(out)


RATE_LIMIT_MARKERS: Mapping[str, Callable[[], str]] = {
    POLICIES_MARKER: policies_markdown,
    OPERATIONS_MARKER: operations_markdown,
}
"""The markers of this module and the function that renders each."""
