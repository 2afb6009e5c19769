"""Compare two JSON Schemas by meaning, as a request (what a server accepts) or a response (what it sends).

A request schema may only accept more; a response schema may only promise less.
``$ref``s are followed on both sides, ``allOf`` members are merged into one view, and
documentation keywords are never looked at, so moving a schema to ``components`` or
renaming a component is not a change. Each pair of nodes is compared once per side:
the memo on ``(side, old node id, new node id)`` makes recursive schemas terminate, and
a work queue instead of recursion makes deep ones cost no stack.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from checks.engines.breaking.changes import Change, Changelog
from checks.engines.openapi.spec import Spec, Where

REQUEST = "request"
RESPONSE = "response"

_UPPER = ("maxLength", "maxItems", "maxProperties")
_LOWER = ("minLength", "minItems", "minProperties")


@dataclass
class View:
    """A schema with its ``allOf`` members merged: keywords, properties, required names, alternatives."""

    raw: Any
    node: dict[str, Any]
    where: Where
    props: dict[str, tuple[Any, Where]] = field(default_factory=dict)
    required: set[str] = field(default_factory=set)
    alts: list[tuple[Any, Where]] | None = None
    kind_of_alts: str = "anyOf"


class Schemas:
    """Merged views of one document's schemas, cached by node identity."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self._views: dict[int, View] = {}
        self._empty: dict[str, Any] = {}

    def view(self, value: Any, where: Where) -> View:
        """The merged view of the schema at ``value`` (a ``$ref`` is followed)."""
        node, where = self.spec.deref(value, where)
        if not isinstance(node, dict):  # boolean schema or junk: no constraints to compare
            node = self._empty
        cached = self._views.get(id(node))
        if cached is not None:
            return cached
        view = self._views[id(node)] = View(raw=node, node={}, where=where)
        self._fill(view, node, where)
        return view

    def _fill(self, view: View, node: dict[str, Any], where: Where) -> None:
        for key, value in node.items():
            if key not in ("allOf", "properties", "required", "anyOf", "oneOf"):
                view.node.setdefault(key, value)
        props = node.get("properties")
        if isinstance(props, dict):
            for name, prop in props.items():
                view.props.setdefault(str(name), (prop, where.child("properties", str(name))))
        required = node.get("required")
        if isinstance(required, list):
            view.required.update(str(r) for r in required)
        for keyword in ("oneOf", "anyOf"):
            alts = node.get(keyword)
            if isinstance(alts, list) and view.alts is None:
                view.alts = [(alt, where.child(keyword, i)) for i, alt in enumerate(alts)]
                view.kind_of_alts = keyword
        members = node.get("allOf")
        if isinstance(members, list):
            for i, member in enumerate(members):
                part = self.view(member, where.child("allOf", i))
                if part is view:
                    continue
                for key, value in part.node.items():
                    view.node.setdefault(key, value)
                for name, prop in part.props.items():
                    view.props.setdefault(name, prop)
                view.required |= part.required
                if view.alts is None and part.alts is not None:
                    view.alts, view.kind_of_alts = part.alts, part.kind_of_alts


def _types(view: View) -> tuple[frozenset[str] | None, bool]:
    """Declared types without ``null``, and whether ``null`` is allowed (3.0 ``nullable`` or 3.1 ``"null"``)."""
    raw = view.node.get("type")
    names = {raw} if isinstance(raw, str) else {str(t) for t in raw} if isinstance(raw, list) else None
    nullable = view.node.get("nullable") is True or (names is not None and "null" in names)
    enum = view.node.get("enum")
    if isinstance(enum, list) and None in enum:
        nullable = True
    if names is not None:
        names.discard("null")
    return (frozenset(names) if names is not None else None), nullable


def _accepts(types: frozenset[str], name: str) -> bool:
    return name in types or (name == "integer" and "number" in types)


def _show(values: Any) -> str:
    items = sorted(values, key=str) if isinstance(values, set | frozenset) else list(values)
    return ", ".join(json.dumps(v) if not isinstance(v, str) else v for v in items) or "none"


def _enum(view: View) -> dict[str, Any] | None:
    if "const" in view.node:
        values = [view.node["const"]]
    elif isinstance(view.node.get("enum"), list):
        values = view.node["enum"]
    else:
        return None
    return {json.dumps(v, sort_keys=True): v for v in values if v is not None}


def _upper_bound(node: dict[str, Any]) -> tuple[float, bool] | None:
    bounds: list[tuple[float, bool]] = []
    maximum, exclusive = node.get("maximum"), node.get("exclusiveMaximum")
    if isinstance(maximum, int | float) and not isinstance(maximum, bool):
        bounds.append((maximum, exclusive is True))
    if isinstance(exclusive, int | float) and not isinstance(exclusive, bool):
        bounds.append((exclusive, True))
    return min(bounds, key=lambda b: (b[0], not b[1])) if bounds else None


def _lower_bound(node: dict[str, Any]) -> tuple[float, bool] | None:
    bounds: list[tuple[float, bool]] = []
    minimum, exclusive = node.get("minimum"), node.get("exclusiveMinimum")
    if isinstance(minimum, int | float) and not isinstance(minimum, bool):
        bounds.append((minimum, exclusive is True))
    if isinstance(exclusive, int | float) and not isinstance(exclusive, bool):
        bounds.append((exclusive, True))
    return max(bounds, key=lambda b: (b[0], b[1])) if bounds else None


def _bound_text(bound: tuple[float, bool] | None, upper: bool) -> str:
    if bound is None:
        return "none"
    op = ("<" if bound[1] else "≤") if upper else (">" if bound[1] else "≥")
    return f"{op} {bound[0]:g}"


def _narrower_upper(old: tuple[float, bool] | None, new: tuple[float, bool] | None) -> bool | None:
    """True when ``new`` allows fewer values than ``old``, False when more, None when equal."""
    if old == new:
        return None
    if new is None:
        return False
    if old is None:
        return True
    return new[0] < old[0] or (new[0] == old[0] and new[1])


def _narrower_lower(old: tuple[float, bool] | None, new: tuple[float, bool] | None) -> bool | None:
    if old == new:
        return None
    if new is None:
        return False
    if old is None:
        return True
    return new[0] > old[0] or (new[0] == old[0] and new[1])


def _sub(trail: str, name: str) -> str:
    return f"{trail}.{name}" if trail else name


def _label(value: Any, view: View, index: int) -> str:
    if isinstance(value, dict) and isinstance(value.get("$ref"), str):
        return value["$ref"].rsplit("/", 1)[-1]
    types, _ = _types(view)
    return "|".join(sorted(types)) if types else f"#{index}"


PairKey = tuple[str, int, int]


class SchemaDiff:
    """Compares schemas of an old and a new document and records changes in a :class:`Changelog`.

    Pairs of schemas are compared from a work queue, not by recursion, so depth costs nothing;
    the pairs and the edges between them form a graph from which :meth:`changes_under` finds
    every change an operation reaches, cycles included.
    """

    def __init__(self, old: Spec, new: Spec, log: Changelog) -> None:
        self.old = Schemas(old)
        self.new = Schemas(new)
        self.log = log
        self._edges: dict[PairKey, list[PairKey]] = {}
        self._direct: dict[PairKey, list[int]] = {}
        self._queue: deque[_Pair] = deque()
        self._changed = 0

    def compare(
        self, side: str, old: tuple[Any, Where], new: tuple[Any, Where], *, operation: str, place: str, trail: str = ""
    ) -> PairKey:
        """Queue the comparison of two schemas (once per pair) and return the pair's key.

        ``operation``, ``place`` (the body or parameter) and ``trail`` (the path inside it) name
        the spot in the messages of the changes found there first.
        """
        ov, nv = self.old.view(*old), self.new.view(*new)
        key = (side, id(ov), id(nv))
        if key not in self._edges:
            self._edges[key], self._direct[key] = [], []
            self._queue.append(_Pair(self, key, side, ov, nv, operation, place, trail))
        return key

    def drain(self) -> None:
        """Compare every queued pair (and the pairs they reach), breadth first."""
        while self._queue:
            self._queue.popleft().run()

    def changes_under(self, roots: list[PairKey]) -> list[int]:
        """Indices of every change reachable from the pairs ``roots``."""
        if not self._changed:
            return []
        seen: set[PairKey] = set()
        stack = list(roots)
        found: list[int] = []
        while stack:
            key = stack.pop()
            if key in seen:
                continue
            seen.add(key)
            found += self._direct[key]
            stack += self._edges[key]
        return found


@dataclass
class _Pair:
    """One comparison of two schema views."""

    diff: SchemaDiff
    key: PairKey
    side: str
    ov: View
    nv: View
    operation: str
    place: str
    trail: str

    def add(self, category: str, detail: str, *, new: Where | None = None, old: Where | None = None) -> None:
        where = f"{self.place} `{self.trail}`" if self.trail else self.place
        if new is None and old is None:
            new = self.nv.where
        change = Change(category, self.side, detail, self.operation, where, new=new, old=old)
        self.diff._direct[self.key].append(self.diff.log.add(change))
        self.diff._changed += 1

    def constraint(self, narrower: bool, detail: str) -> None:
        """A constraint changed: narrower breaks requests, wider breaks responses."""
        if self.side == REQUEST:
            self.add("request-constraint-tightened" if narrower else "request-constraint-loosened", detail)
        else:
            self.add("response-constraint-tightened" if narrower else "response-constraint-loosened", detail)

    def recurse(self, old: tuple[Any, Where], new: tuple[Any, Where], trail: str) -> None:
        child = self.diff.compare(self.side, old, new, operation=self.operation, place=self.place, trail=trail)
        self.diff._edges[self.key].append(child)

    def run(self) -> None:
        """Compare the two views, queueing the pairs below them."""
        ov, nv = self.ov, self.nv
        if (ov.alts is None) != (nv.alts is None):  # one side became (or stopped being) a union
            old_alts = ov.alts if ov.alts is not None else [(ov.raw, ov.where)]
            new_alts = nv.alts if nv.alts is not None else [(nv.raw, nv.where)]
            self.alternatives(old_alts, new_alts, nv.kind_of_alts if nv.alts is not None else ov.kind_of_alts)
            return
        self.types()
        self.formats()
        self.enums()
        self.bounds()
        self.discriminator()
        self.properties()
        self.additional()
        if isinstance(ov.node.get("items"), dict | bool) and isinstance(nv.node.get("items"), dict | bool):
            self.recurse(
                (ov.node["items"], ov.where.child("items")),
                (nv.node["items"], nv.where.child("items")),
                self.trail + "[]",
            )
        if ov.alts is not None and nv.alts is not None:
            self.alternatives(ov.alts, nv.alts, nv.kind_of_alts)

    def types(self) -> None:
        (old, old_null), (new, new_null) = _types(self.ov), _types(self.nv)
        request = self.side == REQUEST
        if old != new and not (old is None and self.ov.alts) and not (new is None and self.nv.alts):
            old_all, new_all = old or frozenset({"any"}), new or frozenset({"any"})
            if request:
                lost = [t for t in old_all if t != "any" and new is not None and not _accepts(new_all, t)]
                lost += ["any"] if old is None and new is not None else []
                if lost:
                    self.add("request-type-changed", f"type changed from {_show(old_all)} to {_show(new_all)}")
                else:
                    self.add("request-type-widened", f"type widened from {_show(old_all)} to {_show(new_all)}")
            else:
                gained = [t for t in new_all if t != "any" and old is not None and not _accepts(old_all, t)]
                gained += ["any"] if new is None and old is not None else []
                if gained:
                    self.add("response-type-changed", f"type changed from {_show(old_all)} to {_show(new_all)}")
                else:
                    self.add("response-type-narrowed", f"type narrowed from {_show(old_all)} to {_show(new_all)}")
        if old_null != new_null:
            if request:
                category = "request-became-nullable" if new_null else "request-became-not-nullable"
            else:
                category = "response-became-nullable" if new_null else "response-became-not-nullable"
            self.add(category, "became nullable" if new_null else "is no longer nullable")

    def formats(self) -> None:
        old, new = self.ov.node.get("format"), self.nv.node.get("format")
        if old == new:
            return
        detail = f"format changed from {old or 'none'} to {new or 'none'}"
        if self.side == REQUEST:
            self.add("request-format-changed" if new is not None else "request-constraint-loosened", detail)
        else:
            self.add("response-format-changed" if old is not None else "response-constraint-tightened", detail)

    def enums(self) -> None:
        old, new = _enum(self.ov), _enum(self.nv)
        if old is None and new is None:
            return
        request = self.side == REQUEST
        if old is not None and new is not None:
            removed = [old[k] for k in old if k not in new]
            added = [new[k] for k in new if k not in old]
            if removed:
                self.add(
                    "request-enum-value-removed" if request else "response-enum-value-removed",
                    f"enum value{'s' if len(removed) > 1 else ''} {_show(removed)} removed",
                )
            if added:
                self.add(
                    "request-enum-value-added" if request else "response-enum-value-added",
                    f"enum value{'s' if len(added) > 1 else ''} {_show(added)} added",
                )
        elif new is None:
            self.add(
                "request-enum-value-added" if request else "response-enum-value-added",
                "enum restriction removed: any value of the type is now possible",
            )
        else:
            self.add(
                "request-enum-value-removed" if request else "response-enum-value-removed",
                f"now restricted to the enum {_show(new.values())}",
            )

    def bounds(self) -> None:
        old, new = self.ov.node, self.nv.node
        for keyword in _UPPER:
            o, n = _number(old.get(keyword)), _number(new.get(keyword))
            if o != n:
                narrower = n is not None and (o is None or n < o)
                self.constraint(narrower, f"{keyword} changed from {_fmt(o)} to {_fmt(n)}")
        for keyword in _LOWER:
            o, n = _number(old.get(keyword)) or 0, _number(new.get(keyword)) or 0
            if o != n:
                self.constraint(n > o, f"{keyword} changed from {_fmt(o)} to {_fmt(n)}")
        ou, nu = _upper_bound(old), _upper_bound(new)
        narrower = _narrower_upper(ou, nu)
        if narrower is not None:
            self.constraint(narrower, f"maximum changed from {_bound_text(ou, True)} to {_bound_text(nu, True)}")
        ol, nl = _lower_bound(old), _lower_bound(new)
        narrower = _narrower_lower(ol, nl)
        if narrower is not None:
            self.constraint(narrower, f"minimum changed from {_bound_text(ol, False)} to {_bound_text(nl, False)}")
        op, np_ = old.get("pattern"), new.get("pattern")
        if op != np_:
            self.constraint(np_ is not None, f"pattern changed from {op or 'none'} to {np_ or 'none'}")
        om, nm = _number(old.get("multipleOf")), _number(new.get("multipleOf"))
        if om != nm:
            narrower = nm is not None and (om is None or om % nm != 0)
            self.constraint(narrower, f"multipleOf changed from {_fmt(om)} to {_fmt(nm)}")
        ou_, nu_ = old.get("uniqueItems") is True, new.get("uniqueItems") is True
        if ou_ != nu_:
            self.constraint(nu_, "items must now be unique" if nu_ else "items no longer need to be unique")

    def discriminator(self) -> None:
        old, new = self.ov.node.get("discriminator"), self.nv.node.get("discriminator")
        if isinstance(old, dict) and isinstance(new, dict) and old.get("propertyName") != new.get("propertyName"):
            self.add(
                "discriminator-changed",
                f"discriminator property changed from {old.get('propertyName')} to {new.get('propertyName')}",
            )

    def properties(self) -> None:
        ov, nv = self.ov, self.nv
        request = self.side == REQUEST
        hidden = "readOnly" if request else "writeOnly"  # never sent in this direction
        for name in dict.fromkeys([*ov.props, *nv.props]):
            old, new = ov.props.get(name), nv.props.get(name)
            trail = _sub(self.trail, name)
            if new is None and old is not None:
                if self.diff.old.view(*old).node.get(hidden) is True:
                    continue
                self.add(
                    "request-property-removed" if request else "response-property-removed",
                    f"property `{name}` removed",
                    old=old[1],
                )
            elif old is None and new is not None:
                if self.diff.new.view(*new).node.get(hidden) is True:
                    continue
                if request:
                    required = name in nv.required
                    self.add(
                        "request-property-added-required" if required else "request-property-added-optional",
                        f"{'required' if required else 'optional'} property `{name}` added",
                        new=new[1],
                    )
                else:
                    self.add("response-property-added", f"property `{name}` added", new=new[1])
            elif old is not None and new is not None:
                if (
                    self.diff.old.view(*old).node.get(hidden) is True
                    and self.diff.new.view(*new).node.get(hidden) is True
                ):
                    continue
                was, now = name in ov.required, name in nv.required
                if was != now:
                    state = "required" if now else "optional"
                    category = f"{'request' if request else 'response'}-property-became-{state}"
                    self.add(category, f"property `{name}` became {state}", new=new[1])
                self.recurse(old, new, trail)

    def additional(self) -> None:
        old, new = self.ov.node.get("additionalProperties"), self.nv.node.get("additionalProperties")
        if isinstance(old, dict) and isinstance(new, dict):
            self.recurse(
                (old, self.ov.where.child("additionalProperties")),
                (new, self.nv.where.child("additionalProperties")),
                _sub(self.trail, "*"),
            )
            return
        closed_before, closed_now = old is False, new is False
        if closed_before == closed_now:
            return
        if self.side == REQUEST and closed_now:
            self.add("request-additional-properties-closed", "additionalProperties closed: unknown fields are rejected")
        elif self.side == REQUEST:
            self.add("request-constraint-loosened", "additionalProperties opened: unknown fields are accepted")
        else:
            state = "closed" if closed_now else "opened"
            self.add("response-constraint-tightened", f"additionalProperties {state}")

    def alternatives(self, old: list[tuple[Any, Where]], new: list[tuple[Any, Where]], keyword: str) -> None:
        old_views = [self.diff.old.view(*alt) for alt in old]
        new_views = [self.diff.new.view(*alt) for alt in new]
        old_labels = [_label(alt[0], v, i) for i, (alt, v) in enumerate(zip(old, old_views, strict=True))]
        new_labels = [_label(alt[0], v, i) for i, (alt, v) in enumerate(zip(new, new_views, strict=True))]
        pairs: list[tuple[int, int]] = []
        free = set(range(len(new)))
        for rule in (
            lambda i, j: old_labels[i] == new_labels[j],
            lambda i, j: _types(old_views[i]) == _types(new_views[j]),
        ):
            for i in range(len(old)):
                if any(p[0] == i for p in pairs):
                    continue
                j = next((j for j in sorted(free) if rule(i, j)), None)
                if j is not None:
                    pairs.append((i, j))
                    free.discard(j)
        matched_old = {i for i, _ in pairs}
        request = self.side == REQUEST
        for i in range(len(old)):
            if i not in matched_old:
                self.add(
                    "request-alternative-removed" if request else "response-alternative-removed",
                    f"{keyword} alternative {old_labels[i]} removed",
                    old=old[i][1],
                )
        for j in sorted(free):
            self.add(
                "request-alternative-added" if request else "response-alternative-added",
                f"{keyword} alternative {new_labels[j]} added",
                new=new[j][1],
            )
        for i, j in sorted(pairs):
            self.recurse(old[i], new[j], self.trail)


def _number(value: Any) -> float | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _fmt(value: float | None) -> str:
    return "none" if value is None else f"{value:g}"
