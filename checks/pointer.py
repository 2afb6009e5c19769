"""RFC 6901 JSON pointers: build, split and resolve them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

_MISSING = object()


def escape(token: str | int) -> str:
    """Escape one reference token (``~`` → ``~0``, ``/`` → ``~1``)."""
    text = str(token)
    if "~" not in text and "/" not in text:  # nearly every token: skip building two copies
        return text
    return text.replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    """Undo :func:`escape`."""
    return token.replace("~1", "/").replace("~0", "~")


def join(base: str, *tokens: str | int) -> str:
    """Append tokens to a pointer: ``join("/paths", "/v1/posts")`` → ``/paths/~1v1~1posts``."""
    if len(tokens) == 1:
        return base + "/" + escape(tokens[0])
    return base + "".join("/" + escape(t) for t in tokens)


def split(pointer: str) -> list[str]:
    """Split a pointer into unescaped tokens; ``""`` is the whole document."""
    if pointer in ("", "#"):
        return []
    if pointer.startswith("#"):
        pointer = pointer[1:]
    if not pointer.startswith("/"):
        raise ValueError(f"JSON pointer must start with '/': {pointer!r}")
    return [unescape(t) for t in pointer[1:].split("/")]


def from_tokens(tokens: Iterable[str | int]) -> str:
    """Build a pointer from raw tokens."""
    return "".join("/" + escape(t) for t in tokens)


def resolve(document: Any, pointer: str, default: Any = _MISSING) -> Any:
    """Return the value at ``pointer``; raise ``KeyError`` (or return ``default``) if absent."""
    node = document
    for token in split(pointer):
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            if default is _MISSING:
                raise KeyError(pointer)
            return default
    return node
