"""Read YAML and JSON documents with clear errors and lazy line lookup.

Parsing uses a Rust-backed YAML parser for speed; line and column numbers are
found only when a finding needs them, by composing the YAML node tree once.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ryaml
import yaml

from checks import pointer as jp
from checks.errors import InputError

MAX_BYTES = 64 * 1024 * 1024


def read_text(path: Path, *, what: str = "file") -> str:
    """Read a UTF-8 text file or raise :class:`InputError` saying why not."""
    shown = str(path)
    if not path.exists():
        raise InputError(f"{what} not found", file=shown)
    if path.is_dir():
        raise InputError(f"{what} is a directory, expected a file", file=shown)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {what}: {exc.strerror}", file=shown) from None
    if len(raw) > MAX_BYTES:
        raise InputError(f"{what} is larger than {MAX_BYTES // (1024 * 1024)} MiB", file=shown)
    if b"\x00" in raw[:8192]:
        raise InputError(f"{what} is binary, expected YAML or JSON text", file=shown)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError("not UTF-8 text", file=shown, line=line) from None


def parse_text(text: str, *, name: str) -> Any:
    """Parse YAML or JSON text; raise :class:`InputError` with the line of a syntax error."""
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON: {exc.msg}", file=name, line=exc.lineno) from None
    with contextlib.suppress(Exception):  # ryaml's error type is private; PyYAML explains errors below
        return ryaml.loads(text)
    try:
        return yaml.load(text, Loader=yaml.CSafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "malformed YAML"
        raise InputError(f"invalid YAML: {problem}", file=name, line=line) from None
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {exc}", file=name) from None


@dataclass
class Document:
    """A parsed YAML/JSON document that can tell where a JSON pointer sits."""

    path: str
    text: str
    data: Any
    _root: yaml.Node | None = field(default=None, repr=False)
    _composed: bool = field(default=False, repr=False)

    @classmethod
    def load(cls, path: Path | str, *, display: str | None = None, what: str = "file") -> Document:
        """Read and parse ``path``; ``display`` is the name used in messages."""
        p = Path(path)
        shown = display or str(path)
        text = read_text(p, what=what) if display is None else _read_as(p, shown, what)
        return cls(path=shown, text=text, data=parse_text(text, name=shown))

    @classmethod
    def from_text(cls, text: str, *, name: str) -> Document:
        """Parse in-memory text (used for rule examples and git revisions)."""
        return cls(path=name, text=text, data=parse_text(text, name=name))

    def locate(self, pointer: str) -> tuple[int | None, int | None]:
        """Return the 1-based (line, column) of the node at ``pointer``, or its nearest parent."""
        root = self._compose()
        if root is None:
            return None, None
        node: yaml.Node = root
        key_node: yaml.Node | None = None
        try:
            tokens = jp.split(pointer)
        except ValueError:
            return None, None
        for token in tokens:
            nxt = _child(node, token)
            if nxt is None:
                break
            key_node, node = nxt
        mark = (key_node if key_node is not None else node).start_mark
        return mark.line + 1, mark.column + 1

    def _compose(self) -> yaml.Node | None:
        if not self._composed:
            self._composed = True
            try:
                self._root = yaml.compose(self.text, Loader=yaml.CSafeLoader)
            except yaml.YAMLError:
                self._root = None
        return self._root


def _read_as(path: Path, shown: str, what: str) -> str:
    try:
        return read_text(path, what=what)
    except InputError as exc:
        raise InputError(exc.message, file=shown, line=exc.line) from None


def _child(node: yaml.Node, token: str) -> tuple[yaml.Node | None, yaml.Node] | None:
    """Return (key node, value node) of ``token`` under ``node``."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == token:
                return key, value
        return None
    if isinstance(node, yaml.SequenceNode) and token.isdigit():
        index = int(token)
        if index < len(node.value):
            return None, node.value[index]
    return None
