"""RFC 9457 problem details: every error the service sends is ``application/problem+json``."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

PROBLEM_JSON = "application/problem+json"
MAX_INSTANCE_LENGTH = 2048
"""The ``maxLength`` of ``instance`` in the contract's ``Problem`` schema."""
TITLES = {413: "Content Too Large", 422: "Unprocessable Content"}
"""Status phrases that RFC 9110 renamed since Python's ``http.HTTPStatus`` was written."""

log = logging.getLogger("feedchat")


class ProblemResponse(JSONResponse):
    """A JSON response with the problem details media type."""

    media_type = PROBLEM_JSON


class ProblemError(Exception):
    """Raised by handlers to answer with a problem; ``detail`` is safe to show to the client."""

    def __init__(self, status: int, detail: str, *, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = dict(headers or {})


def problem(
    request: Request,
    status: int,
    detail: str | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> ProblemResponse:
    """A problem response for ``request``: ``type`` is ``about:blank`` and ``title`` the status phrase."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title_of(status),
        "status": status,
    }
    if detail:
        body["detail"] = detail
    body["instance"] = instance_of(request.url.path)
    body.update(extra or {})
    return ProblemResponse(body, status_code=status, headers=dict(headers or {}))


def instance_of(path: str) -> str:
    """The percent-encoded ``path`` as the ``instance`` member, cut to the contract's 2048 characters.

    A long path of multi-byte characters grows up to nine times when encoded; the cut never splits a ``%XX``.
    """
    encoded = quote(path)
    if len(encoded) <= MAX_INSTANCE_LENGTH:
        return encoded
    cut = encoded[:MAX_INSTANCE_LENGTH]
    escape = cut.rfind("%", MAX_INSTANCE_LENGTH - 2)
    return cut[:escape] if escape != -1 else cut


def title_of(status: int) -> str:
    """The RFC 9110 reason phrase of ``status``."""
    return TITLES.get(status) or HTTPStatus(status).phrase


def _pointer(parts: Sequence[int | str]) -> str:
    """An RFC 6901 JSON Pointer to ``parts``."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def validation_errors(errors: Sequence[Any]) -> list[dict[str, str]]:
    """FastAPI's validation errors as the contract's ``errors`` member; input values are not echoed."""
    out: list[dict[str, str]] = []
    for error in errors[:100]:
        loc = list(error.get("loc", ()))
        where = str(loc[0]) if loc else "body"
        if where not in {"body", "query", "path", "header"}:
            where = "body"
        out.append(
            {"location": where, "pointer": _pointer(loc[1:]), "message": str(error.get("msg", "invalid"))[:2000]}
        )
    return out


async def _on_problem(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, ProblemError)
    return problem(request, exc.status, exc.detail, headers=exc.headers)


async def _on_validation(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return problem(request, 400, "The request body is not valid JSON.")
    return problem(request, 422, "The request is invalid.", extra={"errors": validation_errors(errors)})


def allowed_methods(request: Request) -> list[str]:
    """The methods some route serves at the request's path (Starlette's 405 names only the first route's)."""
    allowed = []
    for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"):
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return allowed


async def _on_http(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request)) or headers.get("Allow", "")
    phrase = title_of(exc.status_code)
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != phrase else None
    if exc.status_code == 404 and detail is None:
        detail = "There is no resource at this path."
    if exc.status_code == 405 and detail is None:
        detail = f"This resource does not support {request.method}."
    return problem(request, exc.status_code, detail, headers=headers)


async def _on_unhandled(request: Request, exc: Exception) -> ProblemResponse:
    log.error("unhandled error in %s %s", request.method, request.url.path, exc_info=exc)
    return problem(request, 500, "The server could not complete the request.")


def install(app: FastAPI) -> None:
    """Route every kind of error through the problem handlers above."""
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(Exception, _on_unhandled)
