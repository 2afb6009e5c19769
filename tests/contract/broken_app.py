"""A tiny notes service that breaks each live contract check once, on purpose."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse, Response

NOTES: dict[str, dict[str, str]] = {}
PROBLEM = "application/problem+json"


def _problem(status: int, title: str) -> JSONResponse:
    return JSONResponse({"type": "about:blank", "title": title, "status": status}, status, media_type=PROBLEM)


def _caller(authorization: str | None) -> dict[str, Any] | None:
    """The token's claims, read WITHOUT verifying the signature (the authentication flaw)."""
    if not authorization or not authorization.startswith("Bearer "):
        return None
    try:
        payload = authorization.split(" ", 1)[1].split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return None


app = FastAPI()


@app.get("/v1/notes")
def list_notes(limit: int = 20) -> Response:
    """Serves any limit (limit bounds) and never rate-limits although it advertises a quota."""
    items = list(NOTES.values())[:limit]
    return JSONResponse({"items": items}, headers={"RateLimit-Policy": '"reads";q=10;w=60'})


@app.post("/v1/notes", status_code=201)
async def create_note(request: Request, authorization: str | None = Header(None)) -> Response:
    """Ignores Idempotency-Key: every replay creates a new note."""
    caller = _caller(authorization)
    if caller is None:
        return _problem(401, "Unauthorized")
    body = await request.json()
    note = {"id": uuid.uuid4().hex, "text": str(body.get("text", "")), "author": str(caller.get("sub"))}
    NOTES[note["id"]] = note
    return JSONResponse(note, 201)


@app.get("/v1/notes/{note_id}")
def get_note(note_id: str) -> Response:
    """Its 404 is plain JSON, not a problem document."""
    if note_id not in NOTES:
        return JSONResponse({"error": "not found"}, 404)
    return JSONResponse(NOTES[note_id])


@app.delete("/v1/notes/{note_id}", status_code=204)
def delete_note(note_id: str, authorization: str | None = Header(None)) -> Response:
    """Anyone authenticated may delete anyone's note (object-level authorization)."""
    if _caller(authorization) is None:
        return _problem(401, "Unauthorized")
    if NOTES.pop(note_id, None) is None:
        return _problem(404, "Not Found")
    return Response(status_code=204)


@app.post("/v1/notes/{note_id}/pin", status_code=204)
def pin_note(note_id: str, authorization: str | None = Header(None)) -> Response:
    """Any role may pin (function-level authorization)."""
    if _caller(authorization) is None:
        return _problem(401, "Unauthorized")
    if note_id not in NOTES:
        return _problem(404, "Not Found")
    return Response(status_code=204)


@app.get("/v1/legacy")
def legacy() -> Response:
    """Deprecated in the contract, but sends neither Deprecation nor Sunset."""
    return JSONResponse({})
