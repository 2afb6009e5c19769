"""API-108: property names and path/query/cookie parameter names share one casing style across the document."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from functools import lru_cache

from checks.engines.openapi.lint import Violation, check
from checks.engines.openapi.rules._schemas import index, parameters
from checks.engines.openapi.spec import Spec, Where

STYLES = {
    "snake_case": re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$"),
    "camelCase": re.compile(r"^[a-z][a-z0-9]*([A-Z][a-z0-9]*)+$"),
    "kebab-case": re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)+$"),
    "PascalCase": re.compile(r"^[A-Z][a-z0-9]+([A-Z][a-z0-9]*)*$"),
}
NEUTRAL = re.compile(r"^[a-z][a-z0-9]*$")
IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


@lru_cache(maxsize=8192)
def style_of(name: str) -> str | None:
    """The casing style of a multi-word name; None for one lower-case word (it fits every style) or a non-identifier."""
    bare = name.lstrip("_$@")
    if NEUTRAL.match(bare) or not IDENTIFIER.match(bare):
        return None
    return next((style for style, pattern in STYLES.items() if pattern.match(bare)), "mixed")


@check("name-casing")
def name_casing(spec: Spec) -> Iterator[Violation]:
    """Find the document's dominant style (snake_case or camelCase) and flag names written in another."""
    names: list[tuple[str, str, str, Where]] = []
    for prop in index(spec).properties:
        style = style_of(prop.name)
        if style is not None:
            names.append(("property", prop.name, style, prop.where))
    for op in spec.operations():
        for param, where in parameters(spec, op):
            if param.get("in") in ("path", "query", "cookie"):
                style = style_of(param["name"])
                if style is not None:
                    names.append((f"{param['in']} parameter", param["name"], style, where))
    counts = Counter(style for _, _, style, _ in names if style in ("snake_case", "camelCase"))
    if not counts:
        return
    dominant = "snake_case" if counts["snake_case"] >= counts["camelCase"] else "camelCase"
    reported: set[tuple[str, str]] = set()
    for kind, name, style, where in names:
        if style != dominant and (where.doc.path, where.pointer) not in reported:
            reported.add((where.doc.path, where.pointer))
            yield Violation(
                f"{kind} {name!r} is {style}, but this document names things in {dominant} "
                f"({counts[dominant]} names); use one style",
                where,
            )
