"""API-101: the document validates against the official OpenAPI 3.0 / 3.1 JSON Schema."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs

from checks import pointer as jp
from checks.engines.openapi.lint import Violation, check
from checks.engines.openapi.spec import Spec, Where

MAX_ERRORS = 50


@cache
def _validator(version: str) -> Any:
    # Find the schema files without importing openapi_spec_validator, whose import costs ~0.2 s per run.
    package = importlib.util.find_spec("openapi_spec_validator")
    if package is None or not package.submodule_search_locations:
        raise RuntimeError("openapi-spec-validator is not installed")
    folder = Path(package.submodule_search_locations[0]) / "resources" / "schemas" / f"v{version}"
    schema = json.loads((folder / "schema.json").read_text(encoding="utf-8"))
    return jsonschema_rs.validator_for(schema)


@check("valid-openapi")
def valid_openapi(spec: Spec) -> Iterator[Violation]:
    """Report each place where the document breaks the OpenAPI schema of its version."""
    errors = sorted(_validator(spec.version).iter_errors(spec.data), key=lambda e: list(map(str, e.instance_path)))
    seen: set[str] = set()
    for error in errors[:MAX_ERRORS]:
        pointer = jp.from_tokens(error.instance_path)
        message = error.message
        if len(message) > 160:
            shown = pointer or "the document"
            message = f"{shown} is not a valid {_what(error.schema_path)} in OpenAPI {spec.version}"
        text = f"not valid OpenAPI {spec.version}: {message}" if not message.startswith("/") else message
        if (pointer, text) in seen:
            continue
        seen.add((pointer, text))
        yield Violation(text, Where(spec.root, pointer))


def _what(schema_path: list[str | int]) -> str:
    """Name the OpenAPI object a failing schema path is about (``…/definitions/Response/…`` → ``Response``)."""
    tokens = [str(t) for t in schema_path]
    for marker in ("definitions", "$defs"):
        if marker in tokens:
            index = len(tokens) - 1 - tokens[::-1].index(marker)
            if index + 1 < len(tokens):
                return tokens[index + 1].replace("-", " ")
    return "node"
