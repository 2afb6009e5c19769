"""An OpenAPI document with its ``$ref`` targets, loaded from one or more files.

Every ``$ref`` is resolved up front, so an unresolvable one is an input error at
its own line; cycles are legal and are only ever followed with a guard.

Places and operations are named tuples and :class:`Spec` a slotted class, not dataclasses: on
Python 3.11 each dataclass costs 0.2–0.45 ms to create, and start-up is most of a small lint.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

from checks import pointer as jp
from checks.errors import InputError
from checks.sources import Document

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_NO_REFS_BELOW = frozenset({"example", "default", "const", "enum"})


class Where(NamedTuple):
    """A node's place: the document it is in (``doc``) and its JSON ``pointer`` there."""

    doc: Document
    pointer: str

    def child(self, *tokens: str | int) -> Where:
        """The place of a node below this one."""
        return Where(self.doc, jp.join(self.pointer, *tokens))


class Operation(NamedTuple):
    """One HTTP operation: ``method`` on ``path``.

    ``node`` is the operation object, ``where`` its place, ``path_item`` the path item that holds it.
    """

    path: str
    method: str
    node: dict[str, Any]
    where: Where
    path_item: dict[str, Any]

    @property
    def label(self) -> str:
        """``GET /v1/posts``, as people write it."""
        return f"{self.method.upper()} {self.path}"


class Spec:
    """A parsed OpenAPI 3.0/3.1 document and every file its ``$ref``s reach."""

    __slots__ = ("docs", "memo", "root", "version")

    def __init__(
        self,
        root: Document,
        version: str,
        docs: dict[str, Document] | None = None,
        memo: dict[Any, Any] | None = None,
    ) -> None:
        """``docs`` maps each file's resolved path to its document (a new mapping when not given)."""
        self.root = root
        self.version = version
        self.docs: dict[str, Document] = {} if docs is None else docs
        self.memo: dict[Any, Any] | None = memo
        """Results shared by the checks of one lint run (see :meth:`frozen`); ``None`` outside one."""

    @classmethod
    def load(cls, path: Path | str) -> Spec:
        """Read, identify and ref-check an OpenAPI document."""
        return cls.from_document(Document.load(path, what="OpenAPI document"), base=Path(path))

    @classmethod
    def from_document(cls, doc: Document, *, base: Path | None = None) -> Spec:
        """Identify ``doc`` as OpenAPI 3.0/3.1 and resolve its ``$ref``s."""
        data = doc.data
        if not isinstance(data, dict):
            raise InputError("not an OpenAPI document: the top level is not a mapping", file=doc.path, line=1)
        if "swagger" in data:
            raise InputError("Swagger/OpenAPI 2.0 is not supported; convert it to OpenAPI 3.0 or 3.1", file=doc.path)
        raw = data.get("openapi")
        if raw is None:
            raise InputError("not an OpenAPI document: it has no 'openapi' version field", file=doc.path, line=1)
        version = str(raw)
        if not (version.startswith("3.0") or version.startswith("3.1")):
            line, _ = doc.locate("/openapi")
            raise InputError(
                f"unsupported OpenAPI version {version!r}; expected 3.0.x or 3.1.x", file=doc.path, line=line
            )
        key = str((base or Path(doc.path)).resolve())
        spec = cls(root=doc, version=version[:3], docs={key: doc})
        spec._check_refs(doc, key)
        return spec

    @property
    def data(self) -> dict[str, Any]:
        """The root document's data."""
        return self.root.data

    @contextmanager
    def frozen(self) -> Iterator[Spec]:
        """While the document is not changed (a lint run), share derived results between the checks."""
        self.memo = {}
        try:
            yield self
        finally:
            self.memo = None

    def operations(self) -> Iterator[Operation]:
        """Every operation under ``paths``, path-item ``$ref``s followed."""
        if self.memo is not None:
            found = self.memo.get("operations")
            if found is None:
                found = self.memo["operations"] = list(self._operations())
            return iter(found)
        return self._operations()

    def _operations(self) -> Iterator[Operation]:
        paths = self.data.get("paths")
        if not isinstance(paths, dict):
            return
        base = Where(self.root, "/paths")
        for path, item in paths.items():
            node, where = self.deref(item, base.child(str(path)))
            if not isinstance(node, dict):
                continue
            for method in HTTP_METHODS:
                op = node.get(method)
                if isinstance(op, dict):
                    yield Operation(str(path), method, op, where.child(method), node)

    def deref(self, value: Any, where: Where) -> tuple[Any, Where]:
        """Follow a chain of ``$ref``s to the node it ends at (a cycle ends where it repeats)."""
        seen: set[tuple[str, str]] = set()
        while isinstance(value, dict) and isinstance(value.get("$ref"), str):
            doc, pointer = self._target(value["$ref"], where)
            if (doc.path, pointer) in seen:
                break
            seen.add((doc.path, pointer))
            value, where = jp.resolve(doc.data, pointer), Where(doc, pointer)
        return value, where

    def ref_target(self, value: Any, where: Where) -> tuple[str, str] | None:
        """``(file, pointer)`` a ``$ref`` node points at, or None when ``value`` is not a ``$ref``."""
        if isinstance(value, dict) and isinstance(value.get("$ref"), str):
            doc, pointer = self._target(value["$ref"], where)
            return doc.path, pointer
        return None

    def _target(self, ref: str, where: Where) -> tuple[Document, str]:
        file_part, _, fragment = ref.partition("#")
        doc = where.doc if not file_part else self._external(file_part, where)
        return doc, fragment

    def _external(self, file_part: str, where: Where) -> Document:
        if "://" in file_part:
            line, _ = where.doc.locate(where.pointer)
            raise InputError(
                f"$ref {file_part!r} is remote; the lint does not fetch URLs, vendor the file locally",
                file=where.doc.path,
                line=line,
            )
        here = next((k for k, d in self.docs.items() if d is where.doc), where.doc.path)
        target = (Path(here).parent / file_part).resolve()
        key = str(target)
        if key not in self.docs:
            shown = _shown(target, self.root.path)
            if not target.is_file():
                line, _ = where.doc.locate(where.pointer)
                raise InputError(f"$ref file {file_part!r} not found", file=where.doc.path, line=line)
            doc = Document.load(target, display=shown, what="$ref target")
            self.docs[key] = doc
            self._check_refs(doc, key)
        return self.docs[key]

    def _check_refs(self, doc: Document, key: str) -> None:
        """Raise at the first ``$ref`` in ``doc`` that does not resolve.

        First, cheaply: when every ``$ref`` in the text is a plainly written key with a plainly written
        same-document value, and each distinct value resolves, there is nothing to report. Otherwise the
        parsed data is walked to find the first bad ``$ref`` and its place. Hot on multi-megabyte documents:
        a node's place is kept as a (parent, token) chain and spelled as a pointer only for a ``$ref`` not
        seen before, and each distinct ``$ref`` is resolved once.
        """
        if _local_refs_resolve(doc):
            return
        checked: set[str] = set()
        stack: list[tuple[Any, _Place]] = [(doc.data, None)]
        while stack:
            value, place = stack.pop()
            if isinstance(value, dict):
                ref = value.get("$ref")
                if isinstance(ref, str) and ref not in checked:
                    self._resolve_or_fail(ref, Where(doc, _spell(place) + "/$ref"))
                    checked.add(ref)
                for k, v in value.items():
                    if (
                        isinstance(v, dict | list)
                        and k not in _NO_REFS_BELOW
                        and not (isinstance(k, str) and k.startswith("x-"))
                    ):
                        stack.append((v, (place, k)))
            elif isinstance(value, list):
                for i, v in enumerate(value):
                    if isinstance(v, dict | list):
                        stack.append((v, (place, i)))

    def _resolve_or_fail(self, ref: str, where: Where) -> None:
        doc, fragment = self._target(ref, where)
        try:
            jp.resolve(doc.data, fragment)
        except (KeyError, ValueError):
            line, _ = where.doc.locate(where.pointer)
            raise InputError(f"$ref {ref!r} does not resolve", file=where.doc.path, line=line) from None


_ESCAPED_DOLLAR = re.compile(r"\\(?:u0024|x24|U00000024)")
"""A "$" written as an escape in a double-quoted scalar: one scan instead of one per spelling."""
_REF_ENTRY = re.compile(
    r"""\$ref['"]?[ \t]*:[ \t]*(?:"""
    r"""(?:'(?P<single>[^'\r\n]*)'|"(?P<double>[^"\\\r\n]*)"|(?P<plain>[^\s'"#,{}\[\]&*!|>%@`][^\s,{}\[\]#]*))"""
    r"""(?=[ \t]*(?:[,}\r\n]|\Z|[ \t]#))"""
    # a block scalar with strip chomping and one line, as long references are often folded: `$ref: >-`
    r"""|[>|]-[ \t]*\r?\n(?P<indent>[ ]+)(?P<block>\S(?:[^\r\n]*\S)?)"""
    r"""(?=\r?\n(?:\Z|(?!(?P=indent))(?![ \t]*(?:\r?\n|\Z)))|\Z))"""
)
"""A ``$ref`` key and its value, when both are written plainly (no escapes, no continuation lines)."""


def _local_refs_resolve(doc: Document) -> bool:
    """True when the text proves every ``$ref`` of ``doc`` resolves: each occurrence of ``$ref`` is a key
    with a plain same-document value (``#/…``), and each distinct value resolves. False means "look closer",
    not "broken": a ``$ref`` mentioned in a description, an escaped key or value, or a reference to another
    file all send the caller to the walk over the parsed data.
    """
    text = doc.text
    if "\\" in text and _ESCAPED_DOLLAR.search(text):
        return False  # a key spelled with an escaped "$" is a $ref the text scan cannot see
    found = _REF_ENTRY.findall(text)
    if len(found) != text.count("$ref"):
        return False
    for ref in {single or double or plain or block for single, double, plain, _indent, block in found}:
        if not ref.startswith("#"):
            return False
        try:
            jp.resolve(doc.data, ref[1:])
        except (KeyError, ValueError):
            return False
    return True


_Place = tuple[Any, str | int] | None
"""A node's place while walking: ``(parent place, token)``, ``None`` for the root."""


def _spell(place: _Place) -> str:
    """The JSON pointer of a place."""
    tokens: list[str | int] = []
    while place is not None:
        place, token = place
        tokens.append(token)
    return jp.from_tokens(reversed(tokens))


def _shown(target: Path, root_display: str) -> str:
    """Name a referenced file the way the user named the root document: relative when possible."""
    if Path(root_display).is_absolute():
        return str(target)
    try:
        return str(target.relative_to(Path.cwd()))
    except ValueError:
        return str(target)
