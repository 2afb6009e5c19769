"""The role→permission matrix and the operation→permission table, read from the reference service's code.

Both tables come from :mod:`feedchat.permissions` (``ROLE_PERMISSIONS``, ``OPERATIONS``) and the service's
routers when the site is built, so the page cannot drift from what the service enforces.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from fastapi.routing import APIRoute
from feedchat.permissions import OPERATIONS, ROLE_PERMISSIONS, Permission, operation_roles
from feedchat.ratelimit import OPERATION_POLICIES
from feedchat.routes import ROUTERS

ROLE_MATRIX_MARKER = "<!-- role-matrix -->"
OPERATION_MARKER = "<!-- operation-permissions -->"
GRANTED = "✓"
NOT_GRANTED = "—"


def role_matrix_markdown() -> str:
    """One row per permission, one column per role (least privileged first); ✓ where the role grants it."""
    roles = list(ROLE_PERMISSIONS)
    out = [
        "| Permission | " + " | ".join(f"`{role}`" for role in roles) + " |",
        "|---|" + "---|" * len(roles),
    ]
    for permission in Permission:
        cells = [GRANTED if permission in ROLE_PERMISSIONS[role] else NOT_GRANTED for role in roles]
        out.append(f"| `{permission.value}` | " + " | ".join(cells) + " |")
    return "\n".join(out)


def routes_by_operation() -> dict[str, tuple[str, str]]:
    """Each served operation's method and path, from the service's routers."""
    found: dict[str, tuple[str, str]] = {}
    for router in ROUTERS:
        for route in router.routes:
            if isinstance(route, APIRoute) and route.include_in_schema:
                found[route.name] = (", ".join(sorted(route.methods)), route.path)
    return found


def operation_permissions_markdown() -> str:
    """One row per operation of ``OPERATIONS``: its route, the permission it needs and the roles that hold it."""
    routes = routes_by_operation()
    out = [
        "| Operation | Route | Permission | Roles allowed | Per-caller rate limit |",
        "|---|---|---|---|---|",
    ]
    for operation, permission in OPERATIONS.items():
        method, path = routes.get(operation, ("", ""))
        route = f"`{method} {path}`" if path else "not served"
        if permission is None:
            needs, roles, limit = "public", "anyone, no token", NOT_GRANTED
        else:
            needs = f"`{permission.value}`"
            roles = ", ".join(operation_roles(operation))
            policy = OPERATION_POLICIES.get(operation)
            limit = f"`{policy}`" if policy else NOT_GRANTED
        out.append(f"| `{operation}` | {route} | {needs} | {roles} | {limit} |")
    return "\n".join(out)


ROLE_MARKERS: Mapping[str, Callable[[], str]] = {
    ROLE_MATRIX_MARKER: role_matrix_markdown,
    OPERATION_MARKER: operation_permissions_markdown,
}
"""The markers of this module and the function that renders each."""
