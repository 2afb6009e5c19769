"""Parameters, dependencies and helpers shared by the routers."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from http import HTTPStatus
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from feedchat.auth import Principal
from feedchat.problems import ProblemError
from feedchat.storage import InvalidCursor, Page, Store, StoredResponse

Limit = Annotated[int, Query(ge=1, le=100, description="The largest number of items to return in one page.")]
Cursor = Annotated[
    str | None,
    Query(
        min_length=1, max_length=512, description="The `next_cursor` of the previous page; omit it for the first page."
    ),
]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="A unique key chosen by the client for this create request.",
    ),
]
DEFAULT_LIMIT = 20


def declared(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` metadata of a route: the error statuses it can answer with."""
    return {status: {"description": HTTPStatus(status).phrase} for status in statuses}


async def json_body(request: Request) -> None:
    """FastAPI dependency of routes with a body: a non-empty body must be ``application/json`` (else 415)."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json" and await request.body():
        raise ProblemError(415, "Send the request body as application/json.")


JsonBody = Depends(json_body)


def store_of(request: Request) -> Store:
    """FastAPI dependency: the application's store."""
    store: Store = request.app.state.store
    return store


def page_of(fetch: Callable[[int, str | None], Page], limit: int, cursor: str | None) -> Page:
    """Run a paged query, turning a foreign cursor into a 400 problem."""
    try:
        return fetch(limit, cursor)
    except InvalidCursor as exc:
        raise ProblemError(400, str(exc)) from exc


def not_found(what: str) -> ProblemError:
    """The 404 problem for a missing ``what``."""
    return ProblemError(404, f"No {what} with this ID.")


def create_once(
    request: Request,
    principal: Principal,
    key: str | None,
    payload: BaseModel,
    make: Callable[[], tuple[BaseModel, str | None]],
) -> JSONResponse:
    """Answer a create with 201, honouring an ``Idempotency-Key``: a repeat replays, a changed body is a 409."""
    store = store_of(request)
    operation = request.scope["route"].name
    fingerprint = hashlib.sha256(
        json.dumps({"path": request.url.path, "body": payload.model_dump(mode="json")}, sort_keys=True).encode()
    ).hexdigest()
    if key is not None:
        kept = store.find_response(principal.sub, operation, key)
        if kept is not None:
            if kept.fingerprint != fingerprint:
                raise ProblemError(409, "This Idempotency-Key was used with a different request.")
            return _created(kept.body, kept.location)
    model, location = make()
    body = model.model_dump(mode="json")
    if key is not None:
        kept = store.keep_response(
            principal.sub, operation, key, StoredResponse(fingerprint, 201, body, location or "")
        )
        body, location = kept.body, kept.location or None
    return _created(body, location)


def _created(body: dict[str, Any], location: str | None) -> JSONResponse:
    return JSONResponse(body, status_code=201, headers={"Location": location} if location else None)
