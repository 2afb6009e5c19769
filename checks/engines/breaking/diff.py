"""The pure core: ``diff(old, new) -> list[Change]`` between two OpenAPI documents.

Operations are matched by method and path template with path parameter names
normalised (``/v1/posts/{id}`` is ``/v1/posts/{postId}``); parameters by location and
name (path parameters by position); bodies and responses by media type and status.
Schemas are compared by :mod:`checks.engines.breaking.schemas`. The categories and
how they are classified are listed in :mod:`checks.engines.breaking.changes`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from checks.engines.breaking import policy
from checks.engines.breaking.changes import Change, Changelog
from checks.engines.breaking.schemas import REQUEST, RESPONSE, PairKey, SchemaDiff
from checks.engines.openapi.spec import Operation, Spec, Where

_TEMPLATE = re.compile(r"\{[^}/]*\}")


def diff(old: Spec, new: Spec, *, today: dt.date | None = None) -> list[Change]:
    """Every change in meaning from ``old`` to ``new``; ``today`` decides whether a sunset has passed."""
    return _Differ(old, new, today or dt.date.today()).run()


def template_key(method: str, path: str) -> tuple[str, str]:
    """``("get", "/v1/posts/{}")``: the key two versions of an operation share."""
    return method, _TEMPLATE.sub("{}", path)


def _operations(spec: Spec) -> dict[tuple[str, str], Operation]:
    return {template_key(op.method, op.path): op for op in spec.operations()}


def _media(content: Any) -> dict[str, str]:
    """Media type (lower case, no parameters) → the key it has in ``content``."""
    if not isinstance(content, dict):
        return {}
    return {str(k).split(";", 1)[0].strip().lower(): str(k) for k in content}


def _requirements(security: Any) -> list[dict[str, frozenset[str]]]:
    """Security alternatives, each a map of scheme name to scopes; ``[{}]`` means anonymous."""
    if not isinstance(security, list) or not security:
        return [{}]
    out: list[dict[str, frozenset[str]]] = []
    for requirement in security:
        if isinstance(requirement, dict):
            out.append(
                {str(k): frozenset(map(str, v)) if isinstance(v, list) else frozenset() for k, v in requirement.items()}
            )
    return out or [{}]


def _easier(new: dict[str, frozenset[str]], old: dict[str, frozenset[str]]) -> bool:
    """True when a client able to satisfy ``old`` also satisfies ``new``."""
    return all(name in old and scopes <= old[name] for name, scopes in new.items())


class _Differ:
    def __init__(self, old: Spec, new: Spec, today: dt.date) -> None:
        self.old, self.new, self.today = old, new, today
        self.log = Changelog()
        self.schemas = SchemaDiff(old, new, self.log)
        self._roots: list[PairKey] = []

    def run(self) -> list[Change]:
        old_ops, new_ops = _operations(self.old), _operations(self.new)
        for key in sorted(old_ops.keys() | new_ops.keys()):
            before, after = old_ops.get(key), new_ops.get(key)
            if after is None and before is not None:
                self._mark([self.log.add(policy.removal(before, self.today))], before.label)
            elif before is None and after is not None:
                change = Change("operation-added", REQUEST, "added", after.label, new=after.where)
                self._mark([self.log.add(change)], after.label)
            elif before is not None and after is not None:
                self._mark(self._operation(before, after), after.label)
        return self.log.changes

    def _mark(self, indices: list[int], label: str) -> None:
        self.log.seen_by(indices, label)

    def _add(self, found: list[int], change: Change) -> None:
        found.append(self.log.add(change))

    def _operation(self, old: Operation, new: Operation) -> list[int]:
        found: list[int] = []
        self._roots = []
        change = policy.deprecation(old, new, self.today)
        if change is not None:
            self._add(found, change)
        self._security(found, old, new)
        self._parameters(found, old, new)
        self._request_body(found, old, new)
        self._responses(found, old, new)
        self.schemas.drain()
        return found + self.schemas.changes_under(self._roots)

    def _security(self, found: list[int], old: Operation, new: Operation) -> None:
        old_sec = old.node["security"] if "security" in old.node else self.old.data.get("security")
        new_sec = new.node["security"] if "security" in new.node else self.new.data.get("security")
        before, after = _requirements(old_sec), _requirements(new_sec)
        where = new.where.child("security") if "security" in new.node else new.where
        for requirement in before:
            if any(_easier(candidate, requirement) for candidate in after):
                continue
            same = next((c for c in after if c.keys() == requirement.keys()), None)
            if same is not None:
                added = sorted(set().union(*(same[n] - requirement[n] for n in same)))
                detail = f"security scope{'s' if len(added) > 1 else ''} {', '.join(added)} now required"
                self._add(found, Change("security-scope-added", REQUEST, detail, new.label, new=where))
            else:
                shown = " or ".join(" + ".join(sorted(c)) or "anonymous" for c in after)
                detail = f"security requirement added: callers now need {shown}"
                self._add(found, Change("security-requirement-added", REQUEST, detail, new.label, new=where))
            return
        if {frozenset(r.items()) for r in before} != {frozenset(r.items()) for r in after}:
            detail = "security relaxed: every former caller is still accepted"
            self._add(found, Change("security-relaxed", REQUEST, detail, new.label, new=where))

    def _params(self, spec: Spec, op: Operation) -> dict[tuple[str, str], tuple[dict[str, Any], Where]]:
        names = [m.group(0)[1:-1] for m in _TEMPLATE.finditer(op.path)]
        out: dict[tuple[str, str], tuple[dict[str, Any], Where]] = {}
        item_where = Where(op.where.doc, op.where.pointer.rsplit("/", 1)[0])
        for source, where in ((op.path_item, item_where), (op.node, op.where)):
            params = source.get("parameters")
            if not isinstance(params, list):
                continue
            for i, raw in enumerate(params):
                node, at = spec.deref(raw, where.child("parameters", i))
                if not isinstance(node, dict):
                    continue
                place, name = str(node.get("in", "")), str(node.get("name", ""))
                if place == "path":
                    key = (place, str(names.index(name)) if name in names else name)
                else:
                    key = (place, name.lower() if place == "header" else name)
                out[key] = (node, at)
        return out

    def _parameters(self, found: list[int], old: Operation, new: Operation) -> None:
        before, after = self._params(self.old, old), self._params(self.new, new)
        label = new.label
        for key in dict.fromkeys([*before, *after]):
            o, n = before.get(key), after.get(key)
            place = key[0]
            if n is None and o is not None:
                detail = f"{place} parameter {o[0].get('name')} removed"
                self._add(found, Change("request-parameter-removed", REQUEST, detail, label, old=o[1]))
                continue
            if o is None and n is not None:
                required = n[0].get("required") is True
                category = "request-parameter-added-required" if required else "request-parameter-added-optional"
                detail = f"{'required' if required else 'optional'} {place} parameter {n[0].get('name')} added"
                self._add(found, Change(category, REQUEST, detail, label, new=n[1]))
                continue
            assert o is not None and n is not None
            name = str(n[0].get("name"))
            was, now = o[0].get("required") is True, n[0].get("required") is True
            if was != now:
                state = "required" if now else "optional"
                detail = f"{place} parameter {name} became {state}"
                self._add(found, Change(f"request-parameter-became-{state}", REQUEST, detail, label, new=n[1]))
            keywords = ("style", "explode", "allowReserved")
            for keyword, was_value, now_value in zip(keywords, _serialization(o[0]), _serialization(n[0]), strict=True):
                if was_value != now_value:
                    detail = f"{place} parameter {name}: {keyword} changed from {was_value} to {now_value}"
                    category = "request-parameter-serialization-changed"
                    self._add(found, Change(category, REQUEST, detail, label, new=n[1]))
            if n[0].get("deprecated") is True and o[0].get("deprecated") is not True:
                detail = f"{place} parameter {name} deprecated"
                self._add(found, Change("request-parameter-deprecated", REQUEST, detail, label, new=n[1]))
            old_schema, new_schema = _param_schema(o), _param_schema(n)
            if old_schema is not None and new_schema is not None:
                self._roots.append(
                    self.schemas.compare(
                        REQUEST, old_schema, new_schema, operation=label, place=f"{place} parameter {name}"
                    )
                )

    def _request_body(self, found: list[int], old: Operation, new: Operation) -> None:
        label = new.label
        o = (
            self.old.deref(old.node["requestBody"], old.where.child("requestBody"))
            if "requestBody" in old.node
            else None
        )
        n = (
            self.new.deref(new.node["requestBody"], new.where.child("requestBody"))
            if "requestBody" in new.node
            else None
        )
        if o is None and n is None:
            return
        if n is None and o is not None:
            self._add(found, Change("request-body-removed", REQUEST, "request body removed", label, old=o[1]))
            return
        assert n is not None
        new_body, new_where = n if isinstance(n[0], dict) else ({}, n[1])
        required = new_body.get("required") is True
        if o is None:
            category = "request-body-added-required" if required else "request-body-added-optional"
            detail = f"{'required' if required else 'optional'} request body added"
            self._add(found, Change(category, REQUEST, detail, label, new=new_where))
            return
        old_body, old_where = o if isinstance(o[0], dict) else ({}, o[1])
        if (old_body.get("required") is True) != required:
            state = "required" if required else "optional"
            self._add(
                found,
                Change(f"request-body-became-{state}", REQUEST, f"request body became {state}", label, new=new_where),
            )
        self._content(found, REQUEST, (old_body, old_where), (new_body, new_where), label, "request body")

    def _content(
        self,
        found: list[int],
        side: str,
        old: tuple[dict[str, Any], Where],
        new: tuple[dict[str, Any], Where],
        label: str,
        place: str,
    ) -> None:
        """Compare the ``content`` maps of two bodies (request bodies, responses or parameters)."""
        old_content, new_content = old[0].get("content"), new[0].get("content")
        before, after = _media(old_content), _media(new_content)
        for media in dict.fromkeys([*before, *after]):
            if media not in after:
                where = old[1].child("content", before[media])
                detail = f"{place} media type {media} removed"
                self._add(found, Change(f"{side}-media-type-removed", side, detail, label, old=where))
            elif media not in before:
                where = new[1].child("content", after[media])
                detail = f"{place} media type {media} added"
                self._add(found, Change(f"{side}-media-type-added", side, detail, label, new=where))
            else:
                assert isinstance(old_content, dict) and isinstance(new_content, dict)
                o_media, n_media = old_content[before[media]], new_content[after[media]]
                if (
                    isinstance(o_media, dict)
                    and isinstance(n_media, dict)
                    and "schema" in o_media
                    and "schema" in n_media
                ):
                    o_at = old[1].child("content", before[media], "schema")
                    n_at = new[1].child("content", after[media], "schema")
                    self._roots.append(
                        self.schemas.compare(
                            side,
                            (o_media["schema"], o_at),
                            (n_media["schema"], n_at),
                            operation=label,
                            place=f"{place} ({media})",
                        )
                    )

    def _responses(self, found: list[int], old: Operation, new: Operation) -> None:
        label = new.label
        before, after = old.node.get("responses"), new.node.get("responses")
        before = {str(k): v for k, v in before.items()} if isinstance(before, dict) else {}
        after = {str(k): v for k, v in after.items()} if isinstance(after, dict) else {}
        old_base, new_base = old.where.child("responses"), new.where.child("responses")
        for status in dict.fromkeys([*before, *after]):
            if status not in after:
                success = status.startswith("2")
                category = "response-status-removed" if success else "response-error-status-removed"
                detail = f"response {status} removed"
                self._add(found, Change(category, RESPONSE, detail, label, old=old_base.child(status)))
                continue
            if status not in before:
                detail = f"response {status} added"
                self._add(found, Change("response-status-added", RESPONSE, detail, label, new=new_base.child(status)))
                continue
            o_node, o_at = self.old.deref(before[status], old_base.child(status))
            n_node, n_at = self.new.deref(after[status], new_base.child(status))
            if not isinstance(o_node, dict) or not isinstance(n_node, dict):
                continue
            self._content(found, RESPONSE, (o_node, o_at), (n_node, n_at), label, f"response {status}")
            self._headers(found, (o_node, o_at), (n_node, n_at), label, status)

    def _headers(
        self,
        found: list[int],
        old: tuple[dict[str, Any], Where],
        new: tuple[dict[str, Any], Where],
        label: str,
        status: str,
    ) -> None:
        before, after = old[0].get("headers"), new[0].get("headers")
        before = {str(k).lower(): str(k) for k in before} if isinstance(before, dict) else {}
        after_map = {str(k).lower(): str(k) for k in after} if isinstance(after, dict) else {}
        for name, shown in before.items():
            if name not in after_map:
                detail = f"response {status} header {shown} removed"
                self._add(
                    found,
                    Change("response-header-removed", RESPONSE, detail, label, old=old[1].child("headers", shown)),
                )
                continue
            o_node, o_at = self.old.deref(old[0]["headers"][shown], old[1].child("headers", shown))
            n_node, n_at = self.new.deref(new[0]["headers"][after_map[name]], new[1].child("headers", after_map[name]))
            if isinstance(o_node, dict) and isinstance(n_node, dict) and "schema" in o_node and "schema" in n_node:
                self._roots.append(
                    self.schemas.compare(
                        RESPONSE,
                        (o_node["schema"], o_at.child("schema")),
                        (n_node["schema"], n_at.child("schema")),
                        operation=label,
                        place=f"response {status} header {shown}",
                    )
                )


def _serialization(param: dict[str, Any]) -> tuple[str, bool, bool]:
    """``(style, explode, allowReserved)`` with the defaults of OpenAPI 3.x filled in."""
    style = str(param.get("style") or ("form" if param.get("in") in ("query", "cookie") else "simple"))
    explode = param.get("explode")
    return style, bool(explode) if explode is not None else style == "form", param.get("allowReserved") is True


def _param_schema(param: tuple[dict[str, Any], Where]) -> tuple[Any, Where] | None:
    node, where = param
    if "schema" in node:
        return node["schema"], where.child("schema")
    content = node.get("content")
    if isinstance(content, dict) and content:
        media = next(iter(content))
        inner = content[media]
        if isinstance(inner, dict) and "schema" in inner:
            return inner["schema"], where.child("content", media, "schema")
    return None
