"""Parameters, dependencies and helpers shared by the routers."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from feedchat.auth import Principal
from feedchat.problems import ProblemError
from feedchat.storage import InvalidCursor, Page, Store, StoredResponse

log = logging.getLogger("feedchat")

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


KEY_LEASE = timedelta(seconds=30)
"""How long a claimed ``Idempotency-Key`` blocks other requests if its request dies without finishing."""
IN_FLIGHT_WAIT_SECONDS = 5.0
"""How long a repeat waits for the request holding the key before answering 409 "in progress"."""
POLL_SECONDS = 0.02


def request_fingerprint(method: str, path: str, body: Any) -> str:
    """SHA-256 of the method, path and canonical JSON body: what "the same request" means for a key."""
    canonical = json.dumps(
        {"method": method, "path": path, "body": body}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def create_once(
    request: Request,
    principal: Principal,
    key: str | None,
    payload: BaseModel,
    make: Callable[[], tuple[BaseModel, str | None]],
) -> Response:
    """Answer a create with 201, honouring an ``Idempotency-Key`` (insert-first, see :func:`claim_or_replay`).

    The first request with a key claims it, creates, and keeps its status, headers and body; a repeat
    of the same request replays them byte for byte; a repeat with another body is a 409. A create that
    fails releases the claim so that a retry can try again.
    """
    if key is None:
        return _created(*make())
    store = store_of(request)
    operation = request.scope["route"].name
    fingerprint = request_fingerprint(request.method, request.url.path, payload.model_dump(mode="json"))
    claimed = claim_or_replay(store, principal.sub, operation, key, fingerprint)
    if isinstance(claimed, Response):
        return claimed
    try:
        response = _created(*make())
    except BaseException:
        try:
            store.release_key(principal.sub, operation, key, claimed)
        except Exception:  # the create's own error matters more; the lease frees the key later
            log.exception("could not release the Idempotency-Key claim of %s/%s", operation, key)
        raise
    kept = StoredResponse(response.status_code, _replayed_headers(response), bytes(response.body).decode())
    if not store.complete_key(principal.sub, operation, key, claimed, kept):
        log.warning("Idempotency-Key claim of %s/%s was lost before its response was kept", operation, key)
    return response


def claim_or_replay(store: Store, subject: str, operation: str, key: str, fingerprint: str) -> str | Response:
    """Claim the key (its token), or the replay of the response kept for it; 409 problems otherwise.

    The insert of a pending record is the atomic step. When it fails, the record decides: another
    fingerprint is a 409; a completed record is replayed; a pending one is polled until it completes,
    for at most :data:`IN_FLIGHT_WAIT_SECONDS`, then 409. A pending record whose lease ran out belongs to
    a request that died: the same request takes it over.
    """
    deadline = time.monotonic() + IN_FLIGHT_WAIT_SECONDS
    while True:
        token = store.claim_key(subject, operation, key, fingerprint, KEY_LEASE)
        if token is not None:
            return token
        record = store.key_record(subject, operation, key)
        if record is not None:
            if record.fingerprint != fingerprint:
                raise ProblemError(409, "This Idempotency-Key was used with a different request.")
            if record.response is not None:
                return _replay(record.response)
            if record.lease_until <= datetime.now(UTC):
                token = store.take_over_key(subject, operation, key, fingerprint, KEY_LEASE)
                if token is not None:
                    return token
        # No record (its claim was just released) or still pending: look again shortly.
        if time.monotonic() >= deadline:
            raise ProblemError(
                409,
                "A request with this Idempotency-Key is still in progress; retry it later.",
                headers={"Retry-After": "1"},
            )
        time.sleep(POLL_SECONDS)


REPLAYED_HEADERS = ("content-type", "location")
"""The headers a replay repeats; others (rate limits, dates) describe the replay itself."""


def _replayed_headers(response: Response) -> dict[str, str]:
    return {name: response.headers[name] for name in REPLAYED_HEADERS if name in response.headers}


def _replay(kept: StoredResponse) -> Response:
    return Response(content=kept.body.encode(), status_code=kept.status, headers=kept.headers)


def _created(model: BaseModel, location: str | None) -> JSONResponse:
    return JSONResponse(
        model.model_dump(mode="json"), status_code=201, headers={"Location": location} if location else None
    )
