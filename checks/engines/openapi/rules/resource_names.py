"""API-107: path segments are lower-case kebab-case, and collections are named in the plural."""

from __future__ import annotations

import re
from collections.abc import Iterator

from checks.engines.openapi.lint import Violation, check
from checks.engines.openapi.spec import Spec, Where

KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
VERSION = re.compile(r"^v[0-9]+$")
# Plurals without a final "s", and nouns whose plural is the same word.
IRREGULAR = frozenset(
    {"people", "children", "men", "women", "feet", "teeth", "mice", "geese", "data", "criteria", "phenomena"}
    | {"media", "metadata", "info", "information", "feedback", "staff", "software", "equipment", "sheep", "fish"}
)
SINGULAR_ENDINGS = ("ss", "us", "is")


def is_plural(segment: str) -> bool:
    """A plain heuristic: the last word ends in ``s`` (not ``ss``/``us``/``is``) or is a known plural."""
    last = segment.rsplit("-", 1)[-1]
    return last in IRREGULAR or (last.endswith("s") and not last.endswith(SINGULAR_ENDINGS))


@check("resource-names")
def resource_names(spec: Spec) -> Iterator[Violation]:
    """Flag static path segments that are not kebab-case, and singular collection names before an ``{id}``."""
    paths = spec.data.get("paths")
    if not isinstance(paths, dict):
        return
    base = Where(spec.root, "/paths")
    for path in paths:
        segments = [s for s in str(path).split("/") if s]
        for i, segment in enumerate(segments):
            if segment.startswith("{") or VERSION.match(segment):
                continue
            if not KEBAB.match(segment):
                yield Violation(
                    f"path {path!r}: segment {segment!r} is not lower-case kebab-case (e.g. 'chat-rooms')",
                    base.child(str(path)),
                )
            elif i + 1 < len(segments) and segments[i + 1].startswith("{") and not is_plural(segment):
                yield Violation(
                    f"path {path!r}: collection {segment!r} is followed by an ID but is not plural",
                    base.child(str(path)),
                )
