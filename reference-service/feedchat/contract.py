"""The contract file, served as documentation at ``/openapi.yaml`` and ``/openapi.json``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse


class ContractError(Exception):
    """The contract file is missing or is not a YAML mapping."""


def load_contract(path: Path) -> dict[str, Any]:
    """The parsed OpenAPI document at ``path``."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ContractError(f"{path}: cannot read the OpenAPI contract ({exc.__class__.__name__})") from exc
    if not isinstance(document, dict) or "paths" not in document:
        raise ContractError(f"{path}: not an OpenAPI document")
    return document


def docs_router(path: Path) -> APIRouter:
    """Routes that serve the contract; they are documentation, not operations of the contract."""
    document = load_contract(path)
    text = path.read_text(encoding="utf-8")
    router = APIRouter(include_in_schema=False)

    @router.get("/openapi.yaml", name="contractYaml")
    def contract_yaml() -> Response:
        return Response(text, media_type="application/yaml")

    @router.get("/openapi.json", name="contractJson")
    def contract_json() -> JSONResponse:
        return JSONResponse(document)

    return router
