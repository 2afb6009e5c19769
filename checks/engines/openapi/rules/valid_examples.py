"""API-119: every example validates against the schema it illustrates.

Examples on schemas, media types, parameters and headers are validated with jsonschema-rs. The document
is registered as a schema resource, so ``$ref``s resolve exactly as in the document; OpenAPI 3.0 schemas
(``nullable``, draft-04 style bounds) are first translated to JSON Schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from checks import pointer as jp
from checks.engines.openapi.lint import Violation, check
from checks.engines.openapi.rules._schemas import index
from checks.engines.openapi.spec import Spec, Where

MAX_PER_DOCUMENT = 200


class _Validators:
    """One validator per schema location, over a registry holding every file of the document."""

    def __init__(self, spec: Spec) -> None:
        import jsonschema_rs  # a compiled extension: imported only for documents that have examples

        self.rs = jsonschema_rs
        self.spec = spec
        self.draft = jsonschema_rs.Draft4 if spec.version == "3.0" else jsonschema_rs.Draft202012
        self.uris = {doc.path: Path(key).as_uri() for key, doc in spec.docs.items()}
        resources = [
            (self.uris[doc.path], _from_oas30(doc.data) if spec.version == "3.0" else doc.data)
            for doc in spec.docs.values()
        ]
        self.registry = jsonschema_rs.Registry(resources, draft=self.draft)
        self.cache: dict[tuple[str, str], Any] = {}

    def errors(self, value: Any, schema_where: Where) -> list[tuple[list[str | int], str]]:
        key = (schema_where.doc.path, schema_where.pointer)
        if key not in self.cache:
            ref = {"$ref": f"{self.uris[schema_where.doc.path]}#{schema_where.pointer}"}
            cls = self.rs.Draft4Validator if self.spec.version == "3.0" else self.rs.Draft202012Validator
            try:
                self.cache[key] = cls(ref, registry=self.registry, validate_formats=True)
            except (ValueError, self.rs.ReferencingError):
                self.cache[key] = None  # a schema the validator cannot compile is API-101's concern
        validator = self.cache[key]
        if validator is None:
            return []
        return [(list(e.instance_path), e.message) for e in validator.iter_errors(value)]


def _from_oas30(data: Any) -> Any:
    """OpenAPI 3.0 schemas as JSON Schema: ``nullable: true`` admits null.

    Only the nodes on the way to a ``nullable`` schema are copied; the rest of the document is shared.
    """
    memo: dict[int, Any] = {}

    def convert(node: Any) -> Any:
        if id(node) in memo:
            return memo[id(node)]
        out = node
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("example", "enum") or not isinstance(value, dict | list):
                    continue
                new = convert(value)
                if new is not value:
                    if out is node:
                        out = dict(node)
                    out[key] = new
            if node.get("nullable") is True and isinstance(node.get("type"), str):
                out = dict(out) if out is node else out
                out["type"] = [node["type"], "null"]
                if isinstance(node.get("enum"), list) and None not in node["enum"]:
                    out["enum"] = [*node["enum"], None]
        elif isinstance(node, list):
            for index, value in enumerate(node):
                if isinstance(value, dict | list):
                    new = convert(value)
                    if new is not value:
                        if out is node:
                            out = list(node)
                        out[index] = new
        memo[id(node)] = out
        return out

    return convert(data)


def _examples(spec: Spec, holder: dict[str, Any], where: Where, *, schema_level: bool) -> Iterator[tuple[Any, Where]]:
    """Each example value a node carries, with its place."""
    if "example" in holder:
        yield holder["example"], where.child("example")
    examples = holder.get("examples")
    if schema_level and isinstance(examples, list):
        yield from ((value, where.child("examples", i)) for i, value in enumerate(examples))
    elif not schema_level and isinstance(examples, dict):
        for name, raw in examples.items():
            node, at = spec.deref(raw, where.child("examples", str(name)))
            if isinstance(node, dict) and "value" in node:
                yield node["value"], at.child("value")


@check("valid-examples")
def valid_examples(spec: Spec) -> Iterator[Violation]:
    """Flag examples that their schema rejects (at most the first error of each example)."""
    found = index(spec)
    targets: list[tuple[Any, Where, Where]] = []
    for holder, where in found.exemplified:  # media types, parameters, headers
        _, schema_where = spec.deref(holder["schema"], where.child("schema"))
        targets.extend((value, at, schema_where) for value, at in _examples(spec, holder, where, schema_level=False))
    for schema in found.schemas:
        if "example" in schema.node or "examples" in schema.node:
            targets.extend(
                (value, at, schema.where) for value, at in _examples(spec, schema.node, schema.where, schema_level=True)
            )
    if not targets:
        return
    validators = _Validators(spec)
    reported = 0
    for value, at, schema_where in targets:
        errors = validators.errors(value, schema_where)
        if errors:
            reported += 1
            path, message = errors[0]
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            shown = jp.from_tokens(path) or "(root)"
            yield Violation(
                f"example does not match its schema {schema_where.pointer}: {shown}: {message}{more}",
                at.child(*path),
            )
            if reported >= MAX_PER_DOCUMENT:
                return
