"""Hand-written validation of parsed YAML and TOML data, with pydantic-style messages.

``handbook`` validates its rule registry and ``[tool.handbook]`` on every run; these few helpers
keep that to microseconds. Each raises :class:`Invalid` with the path (``loc``) of the offending
value, which callers turn into ``file:line: field: problem``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, TypeVar

Loc = tuple[str | int, ...]
T = TypeVar("T")


class Invalid(ValueError):
    """A value that does not validate: ``loc`` is the path to it, ``message`` what is wrong."""

    def __init__(self, loc: Loc, message: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message

    def where(self) -> str:
        """The path as dotted text (``waivers.0.reason``)."""
        return ".".join(str(part) for part in self.loc)


def mapping(
    data: Any, loc: Loc, *, required: tuple[str, ...] = (), optional: tuple[str, ...] = (), extra: bool = False
) -> Mapping[str, Any]:
    """``data`` as a mapping with every ``required`` key and (unless ``extra``) no unknown key."""
    if not isinstance(data, Mapping):
        raise Invalid(loc, "Input should be a valid dictionary")
    for name in required:
        if name not in data:
            raise Invalid((*loc, name), "Field required")
    if not extra:
        for name in data:
            if name not in required and name not in optional:
                raise Invalid((*loc, str(name)), "Extra inputs are not permitted")
    return data


def text(
    value: Any, loc: Loc, *, min_length: int = 0, max_length: int | None = None, pattern: re.Pattern[str] | None = None
) -> str:
    """A string within the given length and matching ``pattern`` (anchored at its start)."""
    if not isinstance(value, str):
        raise Invalid(loc, "Input should be a valid string")
    if len(value) < min_length:
        raise Invalid(loc, f"String should have at least {min_length} character{'s' if min_length != 1 else ''}")
    if max_length is not None and len(value) > max_length:
        raise Invalid(loc, f"String should have at most {max_length} characters")
    if pattern is not None and not pattern.match(value):
        raise Invalid(loc, f"String should match pattern '{pattern.pattern}'")
    return value


def optional_text(value: Any, loc: Loc, **limits: Any) -> str | None:
    """``None``, or a string as :func:`text` checks it."""
    return None if value is None else text(value, loc, **limits)


def choice(value: Any, loc: Loc, choices: tuple[str, ...]) -> str:
    """One of ``choices``."""
    if value not in choices:
        shown = ", ".join(repr(c) for c in choices[:-1]) + f" or {choices[-1]!r}"
        raise Invalid(loc, f"Input should be {shown}")
    return str(value)


def items(value: Any, loc: Loc, item: Callable[[Any, Loc], T]) -> list[T]:
    """A list (missing or ``None`` is empty) whose elements ``item`` validates."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise Invalid(loc, "Input should be a valid list")
    return [item(element, (*loc, index)) for index, element in enumerate(value)]


def paths(value: Any, loc: Loc) -> list[str]:
    """A non-empty list of non-empty strings (file paths or globs)."""
    found = items(value, loc, lambda v, at: text(v, at, min_length=1))
    if not found:
        raise Invalid(loc, "List should have at least 1 item after validation, not 0")
    return found


def iso_date(value: Any, loc: Loc) -> date:
    """A date: a TOML/YAML date, or text in ``YYYY-MM-DD`` form."""
    if isinstance(value, date) and not hasattr(value, "hour"):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise Invalid(loc, "Input should be a valid date in the format YYYY-MM-DD")
