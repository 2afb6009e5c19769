"""What the live checks need to know about each operation of the contract."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from checks.engines.openapi.spec import Operation, Spec, Where

PARAM = re.compile(r"\{([^}/]+)\}")


@dataclass(frozen=True, slots=True)
class Parameter:
    """A parameter with its ``$ref``s followed."""

    name: str
    location: str
    required: bool
    schema: dict[str, Any]
    example: Any = None


@dataclass(frozen=True, slots=True)
class OperationFacts:
    """One operation as the live checks see it."""

    method: str
    path: str
    operation_id: str
    line: int | None
    protected: bool
    roles: tuple[str, ...]
    statuses: frozenset[str]
    deprecated: bool
    parameters: tuple[Parameter, ...] = ()
    body: Any = None
    body_type: str | None = None
    links: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """``createPost (POST /v1/posts)``."""
        return f"{self.operation_id} ({self.method} {self.path})" if self.operation_id else f"{self.method} {self.path}"

    @property
    def rate_limited(self) -> bool:
        """It documents ``429 Too Many Requests``."""
        return "429" in self.statuses

    @property
    def idempotency_key(self) -> Parameter | None:
        """Its ``Idempotency-Key`` header parameter, if it declares one."""
        return next(
            (p for p in self.parameters if p.location == "header" and p.name.lower() == "idempotency-key"), None
        )

    @property
    def limit_maximum(self) -> int | None:
        """The documented maximum of its ``limit`` query parameter."""
        for p in self.parameters:
            if p.location == "query" and p.name == "limit" and isinstance(p.schema.get("maximum"), int):
                return int(p.schema["maximum"])
        return None

    @property
    def path_params(self) -> list[str]:
        """Names of the path template's parameters, in order."""
        return PARAM.findall(self.path)


def operations(spec: Spec) -> list[OperationFacts]:
    """The facts of every operation in ``spec``."""
    return [facts(spec, op) for op in spec.operations()]


def facts(spec: Spec, op: Operation) -> OperationFacts:
    """The facts of one operation."""
    node = op.node
    security = node.get("security", spec.data.get("security", []))
    requirements = [r for r in security if isinstance(r, dict)] if isinstance(security, list) else []
    protected = bool(requirements) and all(r for r in requirements)
    line, _ = op.where.doc.locate(op.where.pointer)
    responses = node.get("responses") if isinstance(node.get("responses"), dict) else {}
    body, body_type = _body(spec, op)
    links = any(
        isinstance(spec.deref(r, op.where)[0], dict) and spec.deref(r, op.where)[0].get("links")
        for r in responses.values()
    )
    return OperationFacts(
        method=op.method.upper(),
        path=op.path,
        operation_id=str(node.get("operationId") or ""),
        line=line,
        protected=protected,
        roles=_roles(spec, node, requirements) if protected else (),
        statuses=frozenset(str(s) for s in responses),
        deprecated=node.get("deprecated") is True,
        parameters=tuple(_parameters(spec, op)),
        body=body,
        body_type=body_type,
        links=bool(links),
    )


def _roles(spec: Spec, node: dict[str, Any], requirements: list[dict[str, Any]]) -> tuple[str, ...]:
    """Roles from ``x-roles`` or, failing that, the scopes of http-scheme requirements (OpenAPI 3.1)."""
    declared = node.get("x-roles")
    if isinstance(declared, list):
        return tuple(str(r) for r in declared)
    schemes = (spec.data.get("components") or {}).get("securitySchemes") or {}
    roles: list[str] = []
    for requirement in requirements:
        for name, scopes in requirement.items():
            scheme = schemes.get(name)
            if isinstance(scheme, dict) and scheme.get("type") == "http" and isinstance(scopes, list):
                if not scopes:
                    return ()
                roles += [str(s) for s in scopes if str(s) not in roles]
    return tuple(roles)


def _parameters(spec: Spec, op: Operation) -> list[Parameter]:
    found: dict[tuple[str, str], Parameter] = {}
    item_where = Where(op.where.doc, op.where.pointer.rsplit("/", 1)[0])
    for owner, where in ((op.path_item, item_where), (op.node, op.where)):
        raw = owner.get("parameters")
        if not isinstance(raw, list):
            continue
        for index, item in enumerate(raw):
            node, at = spec.deref(item, where.child("parameters", index))
            if not isinstance(node, dict) or "name" not in node:
                continue
            schema, _ = spec.deref(node.get("schema") or {}, at.child("schema"))
            schema = schema if isinstance(schema, dict) else {}
            example = node.get("example", _schema_example(spec, schema, at))
            param = Parameter(str(node["name"]), str(node.get("in", "")), bool(node.get("required")), schema, example)
            found[(param.name, param.location)] = param
    return list(found.values())


def _body(spec: Spec, op: Operation) -> tuple[Any, str | None]:
    node, where = spec.deref(op.node.get("requestBody"), op.where.child("requestBody"))
    if not isinstance(node, dict) or not isinstance(node.get("content"), dict):
        return None, None
    content = node["content"]
    media = next((m for m in content if m.split(";")[0].strip().endswith("json")), None)
    if media is None:
        return None, None
    entry = content[media] if isinstance(content[media], dict) else {}
    if "example" in entry:
        return entry["example"], media
    examples = entry.get("examples")
    if isinstance(examples, dict) and examples:
        first, _ = spec.deref(next(iter(examples.values())), where)
        if isinstance(first, dict) and "value" in first:
            return first["value"], media
    schema, at = spec.deref(entry.get("schema") or {}, where.child("content", media, "schema"))
    return _schema_example(spec, schema, at), media


def _schema_example(spec: Spec, schema: Any, where: Any, depth: int = 0) -> Any:
    """A plausible value of ``schema``: its example, else a minimal value built from it."""
    if not isinstance(schema, dict) or depth > 8:
        return None
    if "example" in schema:
        return schema["example"]
    if isinstance(schema.get("examples"), list) and schema["examples"]:
        return schema["examples"][0]
    for key in ("const", "default"):
        if key in schema:
            return schema[key]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    kind = schema.get("type")
    kind = next((k for k in kind if k != "null"), None) if isinstance(kind, list) else kind
    if kind == "object" or "properties" in schema:
        out: dict[str, Any] = {}
        props = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
        for name in schema.get("required", []) or []:
            sub, at = spec.deref(props.get(name, {}), where)
            out[str(name)] = _schema_example(spec, sub, at, depth + 1)
        return out
    if kind == "array":
        return []
    if kind in ("integer", "number"):
        return schema.get("minimum", 1)
    if kind == "boolean":
        return True
    if kind == "string":
        return "x" * max(int(schema.get("minLength", 1) or 1), 1)
    return None
