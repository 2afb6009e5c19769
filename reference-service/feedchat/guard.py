"""The security gate every API operation passes: rate limits, authentication and function-level authorization.

It runs as an application-wide FastAPI dependency, before the handler and before request validation, and takes
everything it decides from :mod:`feedchat.permissions` and :mod:`feedchat.ratelimit`. Object-level checks
(whose post is this?) stay in the handlers, next to the data.
"""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import APIRouter, Request
from fastapi.routing import APIRoute

from feedchat.auth import Principal, require_principal
from feedchat.permissions import NotDeclared, permissions_of, required
from feedchat.problems import ProblemError, title_of
from feedchat.ratelimit import OPERATION_POLICIES, STATE_KEY, Outcome, RateLimiter, too_many


class UnguardedOperation(RuntimeError):
    """A served operation is missing from the permission or rate limit tables."""


def client_address(request: Request) -> str:
    """The address limits are keyed by (behind a proxy, run uvicorn with ``--proxy-headers``)."""
    return request.client.host if request.client else "unknown"


def _count(request: Request, limiter: RateLimiter, outcomes: list[Outcome], policy: str, key: str) -> None:
    outcome = limiter.hit(policy, key)
    if outcome is None:
        return
    outcomes.append(outcome)
    if not outcome.allowed:
        raise too_many(outcomes, outcome)


def _authenticate(request: Request, limiter: RateLimiter, outcomes: list[Outcome]) -> Principal:
    address = client_address(request)
    if request.headers.get("authorization"):
        spent = limiter.peek("auth-failures", address)
        if spent is not None and not spent.allowed:
            raise too_many([*outcomes, spent], spent)
    try:
        return require_principal(request)
    except ProblemError:
        if request.headers.get("authorization"):
            limiter.hit("auth-failures", address)
        raise


def guard(request: Request) -> None:
    """FastAPI dependency applied to every route: 429, 401 or 403 problems, or the caller on ``request.state``."""
    route = request.scope.get("route")
    limiter: RateLimiter = request.app.state.limiter
    outcomes: list[Outcome] = []
    setattr(request.state, STATE_KEY, outcomes)
    _count(request, limiter, outcomes, "address", client_address(request))
    if not isinstance(route, APIRoute) or not route.include_in_schema:
        return
    try:
        permission = required(route.name)
    except NotDeclared:
        raise ProblemError(403, "This operation is not open to anyone.") from None
    if permission is None:
        return
    principal = _authenticate(request, limiter, outcomes)
    if request.app.state.store.is_banned(principal.sub):
        raise ProblemError(403, "This account is banned from making changes.")
    if permission not in permissions_of(principal.roles):
        raise ProblemError(403, "Your roles do not allow this operation.")
    _count(request, limiter, outcomes, OPERATION_POLICIES[route.name], principal.sub)


def guarded_statuses(route: APIRoute) -> set[int]:
    """The statuses the gate (and the body size limit) can answer for ``route``."""
    statuses = {429}
    if required(route.name) is not None:
        statuses |= {401, 403}
        if OPERATION_POLICIES[route.name] == "moderation":
            statuses.add(503)
    if route.body_field is not None:
        statuses.add(413)
    return statuses


def check_routes(routers: Iterable[APIRouter]) -> None:
    """Refuse to start unless every API operation is in both tables; declare the gate's statuses on each route.

    Call it before the routers are included in the app.
    """
    for router in routers:
        for route in router.routes:
            if not isinstance(route, APIRoute) or not route.include_in_schema:
                continue
            try:
                permission = required(route.name)
            except NotDeclared:
                raise UnguardedOperation(f"{route.name} is not listed in feedchat.permissions.OPERATIONS") from None
            if permission is not None and route.name not in OPERATION_POLICIES:
                raise UnguardedOperation(f"{route.name} has no rate limit policy in feedchat.ratelimit")
            for status in sorted(guarded_statuses(route) - set(route.responses)):
                route.responses[status] = {"description": title_of(status)}
