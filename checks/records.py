"""A base for immutable records with slots: what a frozen dataclass gives, without creating one.

On Python 3.11 each dataclass costs 0.2–0.45 ms to create (its methods are compiled with ``exec``) and
the ``dataclasses`` module imports :mod:`inspect`; every ``handbook`` command imports these records.
"""

from __future__ import annotations

from typing import Any, ClassVar


class Frozen:
    """Immutable after ``__init__`` (which sets fields with ``object.__setattr__``); equal when of one class
    with equal compared fields, and hashed by them. A subclass holding lists sets ``__hash__ = None``.
    """

    __slots__ = ()
    _FIELDS: ClassVar[tuple[str, ...]] = ()
    """The field names in declaration order (``__slots__`` is sorted), as ``repr`` shows them."""
    _COMPARED: ClassVar[tuple[str, ...] | None] = None
    """The fields equality and hashing look at; all of ``_FIELDS`` when ``None``."""

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}")

    def _key(self) -> tuple[Any, ...]:
        fields = self._FIELDS if self._COMPARED is None else self._COMPARED
        return tuple(getattr(self, name) for name in fields)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Frozen) and other.__class__ is self.__class__:
            return self._key() == other._key()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._FIELDS)
        return f"{type(self).__qualname__}({shown})"
