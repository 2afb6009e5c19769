"""The {{ name }} application: routes implement `openapi.yaml`, which is served as written."""

from __future__ import annotations

import base64
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import yaml
from fastapi import Depends, FastAPI, Header, HTTPException, Query
from fastapi.responses import JSONResponse, Response
from joserfc.jwk import KeySet
from pydantic import BaseModel, ConfigDict, Field

from {{ package }} import auth, problems

CONTRACT = Path(__file__).resolve().parents[2] / "openapi.yaml"


class NewItem(BaseModel):
    """Request body of createItem (closed, bounded)."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)


def create_app(keys: KeySet | None = None, issuer: str | None = None, audience: str | None = None) -> FastAPI:
    """Build the app; keys, issuer and audience default to the environment."""
    app = FastAPI(title="{{ title }}", openapi_url=None, docs_url=None, redoc_url=None)
    app.state.auth = {
        "keys": keys or auth.keys_from_env(),
        "issuer": issuer or os.environ["TOKEN_ISSUER"],
        "audience": audience or os.environ["TOKEN_AUDIENCE"],
    }
    items: dict[str, dict[str, str]] = {}
    created_by_key: dict[tuple[str, str], str] = {}
    problems.install(app)

    @app.get("/openapi.yaml", include_in_schema=False)
    def contract() -> Response:
        return Response(CONTRACT.read_text(encoding="utf-8"), media_type="application/yaml")

    @app.get("/v1/items", name="listItems")
    def list_items(
        limit: Annotated[int, Query(ge=1, le=100)] = 20, cursor: Annotated[str | None, Query(max_length=200)] = None
    ) -> JSONResponse:
        ordered = sorted(items.values(), key=lambda i: (i["created_at"], i["id"]), reverse=True)
        if cursor:
            try:
                after = base64.urlsafe_b64decode(cursor.encode()).decode()
            except ValueError:
                raise HTTPException(status_code=400, detail="cursor is not valid") from None
            ordered = [i for i in ordered if (i["created_at"], i["id"]) < tuple(after.split("|", 1))]
        page = ordered[:limit]
        more = len(ordered) > limit
        token = None
        if more and page:
            last = page[-1]
            token = base64.urlsafe_b64encode(f"{last['created_at']}|{last['id']}".encode()).decode()
        return JSONResponse({"items": page, "next_cursor": token})

    @app.post("/v1/items", name="createItem", status_code=201)
    def create_item(
        body: NewItem,
        caller: Annotated[auth.Principal, Depends(auth.principal)],
        idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=255)] = None,
    ) -> JSONResponse:
        replay = created_by_key.get((caller.subject, idempotency_key or ""))
        if idempotency_key and replay in items:
            return JSONResponse(items[replay], status_code=201)
        item = {
            "id": uuid.uuid4().hex,
            "name": body.name,
            "owner": caller.subject,
            "created_at": datetime.now(UTC).isoformat(),
        }
        items[item["id"]] = item
        if idempotency_key:
            created_by_key[(caller.subject, idempotency_key)] = item["id"]
        return JSONResponse(item, status_code=201)

    @app.get("/v1/items/{item_id}", name="getItem")
    def get_item(item_id: Annotated[str, Field(max_length=64)]) -> JSONResponse:
        if item_id not in items:
            raise HTTPException(status_code=404, detail=f"no item {item_id}")
        return JSONResponse(items[item_id])

    return app


def load_contract() -> dict[str, object]:
    """The contract this service implements."""
    return yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))
