"""Check one HTTP response against the contract: declared status, media type and body schema."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.reliability.sse import Event, parse

URI = "urn:feedchat:contract"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
PROBLEM = "application/problem+json"
DOC_PATHS = {"/openapi.yaml", "/openapi.json"}
EVENT_STREAM = "text/event-stream"


def escape(token: str) -> str:
    """One JSON Pointer reference token (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")


class Contract:
    """An OpenAPI 3.1 document that matches requests to operations and validates responses."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.registry: Registry[Any] = Registry().with_resource(
            URI, Resource.from_contents(document, default_specification=DRAFT202012)
        )
        self.routes: list[tuple[re.Pattern[str], str, str]] = []
        for template, item in document.get("paths", {}).items():
            pattern = re.compile("^" + re.sub(r"\\\{([^}]+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$")
            for method in METHODS:
                if method in item:
                    self.routes.append((pattern, template, method))

    def node(self, pointer: str) -> tuple[Any, str]:
        """The node at ``pointer``, with local ``$ref`` followed; returns the node and its final pointer."""
        node = self.registry.resolver().lookup(URI + "#" + pointer).contents
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#"):
            pointer = node["$ref"][1:]
            node = self.registry.resolver().lookup(URI + node["$ref"]).contents
        return node, pointer

    def errors_at(self, pointer: str, instance: Any) -> list[str]:
        """Validation errors of ``instance`` against the schema at ``pointer`` in the contract."""
        validator = Draft202012Validator({"$ref": URI + "#" + pointer}, registry=self.registry)
        return [f"/{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(instance)]

    def operation(self, method: str, path: str) -> str | None:
        """The pointer of the operation that serves ``method path``, if the contract has one."""
        for pattern, template, verb in self.routes:
            if verb == method.lower() and pattern.match(path):
                return f"/paths/{escape(template)}/{verb}"
        return None

    def violations(self, response: httpx.Response) -> list[str]:
        """What is wrong with ``response`` with respect to the contract; empty when it conforms."""
        request = response.request
        where = f"{request.method} {request.url.path} -> {response.status_code}"
        media = response.headers.get("content-type", "").split(";")[0].strip()
        found: list[str] = []
        if response.status_code >= 400:
            if media != PROBLEM:
                found.append(f"{where}: an error response is {media!r}, not {PROBLEM}")
            if "Traceback" in response.text or 'File "' in response.text:
                found.append(f"{where}: an error response contains a stack trace")
        if request.url.path in DOC_PATHS:
            return found
        op = self.operation(request.method, request.url.path)
        if op is None:
            if response.status_code < 400:
                found.append(f"{where}: no operation in the contract serves this request")
            elif media == PROBLEM:
                found += [f"{where}: {e}" for e in self._body_errors("/components/schemas/Problem", response)]
            return found
        responses, responses_at = self.node(op + "/responses")
        status = str(response.status_code)
        if status not in responses and "default" not in responses:
            return [*found, f"{where}: status {status} is not declared by the contract"]
        declared, declared_at = self.node(f"{responses_at}/{status if status in responses else 'default'}")
        content = declared.get("content") or {}
        if not content:
            if response.content:
                found.append(f"{where}: the contract declares no body, but one was sent")
            return found
        if media not in content:
            return [*found, f"{where}: media type {media!r} is not one of {sorted(content)}"]
        schema_at = f"{declared_at}/content/{escape(media)}/schema"
        return found + [f"{where}: {e}" for e in self._body_errors(schema_at, response)]

    def _body_errors(self, schema_at: str, response: httpx.Response) -> list[str]:
        media = response.headers.get("content-type", "").split(";")[0].strip()
        if media == EVENT_STREAM:
            return self._event_errors(schema_at, response.text)
        if media.startswith("text/"):
            return self.errors_at(schema_at, response.text)
        try:
            body = response.json()
        except json.JSONDecodeError:
            return ["the body is not JSON"]
        return self.errors_at(schema_at, body)

    def _event_errors(self, schema_at: str, text: str) -> list[str]:
        """An event stream's schema describes each event as an ``EventSource`` reads it (OpenAPI 3.2 calls this
        ``itemSchema``); a ``data`` field declared as JSON (``contentMediaType``) is checked against its
        ``contentSchema`` too, which JSON Schema itself only annotates."""
        schema, at = self.node(schema_at)
        data_schema = schema.get("properties", {}).get("data", {})
        found: list[str] = []
        for n, item in enumerate(e for e in parse(text.splitlines()) if isinstance(e, Event)):
            event = {"id": item.id, "event": item.type or "message", "data": item.data}
            found += [f"event {n}{e}" for e in self.errors_at(at, event)]
            if data_schema.get("contentMediaType") == "application/json" and "contentSchema" in data_schema:
                try:
                    payload = json.loads(item.data)
                except json.JSONDecodeError:
                    found.append(f"event {n}: data is not JSON")
                    continue
                found += [f"event {n} data{e}" for e in self.errors_at(f"{at}/properties/data/contentSchema", payload)]
        return found
