"""What a collection's ``$jsonSchema`` and ``arrays`` say about its fields: BSON types and arrays."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from checks.engines.mongo.manifest import Collection

_JSON_TO_BSON = {"integer": "int", "number": "double", "boolean": "bool"}


@dataclass(frozen=True, slots=True)
class ArrayInfo:
    """An array field: its bound (None when unbounded) and the manifest node that declares it."""

    path: str
    max_items: int | None
    tokens: tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class SchemaProperty:
    """A property of the ``$jsonSchema``: its dotted path, name and manifest node."""

    path: str
    name: str
    tokens: tuple[str | int, ...]


@dataclass
class Fields:
    """Field facts of one collection: declared types, arrays, and schema property names."""

    types: dict[str, set[str]] = field(default_factory=dict)
    arrays: dict[str, ArrayInfo] = field(default_factory=dict)
    properties: list[SchemaProperty] = field(default_factory=list)

    @classmethod
    def of(cls, coll: Collection, base: tuple[str | int, ...]) -> Fields:
        """Read the facts from the collection's validator and its ``arrays`` list."""
        out = cls()
        if coll.validator is not None:
            schema_at = (*base, "validator", "$jsonSchema")
            out._walk(coll.validator.json_schema, "", schema_at)
        for path, info in coll.arrays.items():
            out.arrays[path] = ArrayInfo(path, info.max_items, (*base, "arrays", path))
        return out

    def _walk(self, schema: Any, path: str, at: tuple[str | int, ...]) -> None:
        if not isinstance(schema, dict):
            return
        kinds = _kinds(schema)
        if path:
            self.types.setdefault(path, set()).update(kinds - {"array"})
            if "array" in kinds:
                bound = schema.get("maxItems")
                self.arrays.setdefault(path, ArrayInfo(path, bound if isinstance(bound, int) else None, at))
                items = schema.get("items")
                if isinstance(items, dict):
                    self.types[path].update(_kinds(items) - {"array"})
                    self._properties(items, path, (*at, "items"))
        self._properties(schema, path, at)

    def _properties(self, schema: dict[str, Any], path: str, at: tuple[str | int, ...]) -> None:
        props = schema.get("properties")
        if not isinstance(props, dict):
            return
        for name, sub in props.items():
            child = f"{path}.{name}" if path else str(name)
            where = (*at, "properties", name)
            self.properties.append(SchemaProperty(child, str(name), where))
            self._walk(sub, child, where)

    def array_root(self, path: str) -> str | None:
        """The outermost array on ``path`` (itself or a parent), or None when the path is not multikey."""
        parts = path.split(".")
        for n in range(1, len(parts) + 1):
            prefix = ".".join(parts[:n])
            if prefix in self.arrays:
                return prefix
        return None

    def is_multikey(self, path: str) -> bool:
        """True when ``path`` runs through an array, so an index on it is multikey."""
        return self.array_root(path) is not None

    def may_hold_strings(self, path: str) -> bool:
        """False only when the schema declares the field and none of its types is a string."""
        declared = self.types.get(path)
        return not declared or "string" in declared

    def is_date(self, path: str) -> bool:
        """True when the schema declares the field as a BSON date (and nothing else)."""
        return self.types.get(path) == {"date"}

    def iter_arrays(self) -> Iterator[ArrayInfo]:
        """Every array field, in declaration order."""
        yield from self.arrays.values()


def _kinds(schema: dict[str, Any]) -> set[str]:
    out: set[str] = set()
    for key in ("bsonType", "type"):
        value = schema.get(key)
        values = value if isinstance(value, list) else [value] if value is not None else []
        out.update(_JSON_TO_BSON.get(str(v), str(v)) for v in values)
    return out
