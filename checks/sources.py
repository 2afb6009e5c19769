"""Read YAML and JSON documents with clear errors and lazy line lookup.

Parsing uses a Rust-backed YAML parser for speed. Line and column numbers are
found only when a finding needs them: JSON by a tokenizer, block-style YAML by
an indentation index built lazily along each pointer and checked against the
parsed data. Whatever those cannot answer exactly (flow collections, anchors,
unusual line breaks, any disagreement with the data) is answered by composing
the YAML node tree once, which is the reference both must agree with.
"""

from __future__ import annotations

import bisect
import contextlib
import gc
import json
import operator
import re
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from itertools import accumulate, repeat
from json.decoder import scanstring
from json.scanner import make_scanner
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import ryaml

from checks import pointer as jp
from checks.errors import InputError

if TYPE_CHECKING:
    import yaml

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


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a large tree of objects without cycles is built.

    Parsing a multi-megabyte document (or linting it) allocates hundreds of thousands of dicts, lists and
    strings; every few thousand allocations the collector would walk the whole growing heap again, which
    costs more than the parse itself. Those objects form no reference cycles, so nothing is lost by waiting.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        # What was built is all in the youngest generation now, and the next collections would walk it
        # generation by generation. Moving it straight to the oldest one (freeze, then unfreeze: two list
        # splices) leaves it to the rare full collections, as if it had aged there.
        gc.freeze()
        gc.unfreeze()
        if enabled:
            gc.enable()


def parse_text(text: str, *, name: str) -> Any:
    """Parse YAML or JSON text; raise :class:`InputError` with the line of a syntax error."""
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            with collector_paused():
                return json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON: {exc.msg}", file=name, line=exc.lineno) from None
    with contextlib.suppress(Exception), collector_paused():  # ryaml's error type is private; PyYAML explains below
        return ryaml.loads(text)
    import yaml  # PyYAML only to explain what ryaml refused: most runs never need it

    try:
        return yaml.load(text, Loader=yaml.CSafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "malformed YAML"
        raise InputError(f"invalid YAML: {problem}", file=name, line=line) from None
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {exc}", file=name) from None


class Document:
    """A parsed YAML/JSON document that can tell where a JSON pointer sits."""

    __slots__ = ("_composed", "_index", "_indexed", "_line_starts", "_line_table", "_root", "data", "path", "text")

    def __init__(self, path: str, text: str, data: Any) -> None:
        self.path = path
        self.text = text
        self.data = data
        self._root: yaml.Node | None = None
        self._composed = False
        self._index: _JsonIndex | _YamlIndex | None = None
        self._indexed = False
        self._line_starts: list[int] | None = None
        self._line_table: _Lines | None = None

    def __repr__(self) -> str:
        return f"Document(path={self.path!r})"

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
        """Return the 1-based (line, column) of the node at ``pointer``, or its nearest parent.

        A mapping member is found at its key, a sequence item and the root at the node itself.
        """
        try:
            tokens = jp.split(pointer)
        except ValueError:
            return None, None
        index = self._fast_index()
        if index is not None:
            try:
                return self._line_column(index.offset(tokens))
            except _Unsupported:
                pass
        return self._compose_locate(tokens)

    def locate_many(self, pointers: Iterable[str]) -> dict[str, tuple[int | None, int | None]]:
        """:meth:`locate` for many pointers at once: the same answers, found in one sorted walk that visits
        each shared prefix once (the findings of one run share most of their pointers' beginnings)."""
        out: dict[str, tuple[int | None, int | None]] = {}
        paths: list[tuple[str, ...]] = []
        named: list[str] = []
        for pointer in dict.fromkeys(pointers):
            try:
                paths.append(tuple(jp.split(pointer)))
                named.append(pointer)
            except ValueError:
                out[pointer] = (None, None)
        index = self._fast_index()
        offsets = _walk_many(index, paths) if index is not None else [None] * len(paths)
        for pointer, tokens, offset in zip(named, paths, offsets, strict=True):
            out[pointer] = self._line_column(offset) if offset is not None else self._compose_locate(list(tokens))
        return out

    def _fast_index(self) -> _JsonIndex | _YamlIndex | None:
        if not self._indexed:
            self._indexed = True
            with contextlib.suppress(_Unsupported):
                self._index = (
                    _JsonIndex(self.text)
                    if _looks_like_json(self.text)
                    else _YamlIndex(self.text, self.data, self._lines)
                )
        return self._index

    def _starts(self) -> list[int]:
        """Offset of the start of each line (lines end at ``\\n``), one entry per line."""
        if self._line_starts is None:
            if _has_any(self.text, _OTHER_SPLITS):
                self._line_starts = [0, *(m.end() for m in _NEWLINE.finditer(self.text))]
            else:  # str.splitlines breaks only at \n and \r\n here, and runs in C
                self._line_starts = _starts_of(self.text, list(map(len, self.text.splitlines(keepends=True))))
        return self._line_starts

    def _lines(self) -> _Lines:
        """The line table of the YAML index, built once (with the line starts, when they are not known yet)."""
        if self._line_table is None:
            self._line_table = _Lines(self.text, self._line_starts, self._starts)
            self._line_starts = self._line_table.starts
        return self._line_table

    def _line_column(self, offset: int) -> tuple[int, int]:
        starts = self._starts()
        line = bisect.bisect_right(starts, offset)
        return line, offset - starts[line - 1] + 1

    def _compose_locate(self, tokens: list[str]) -> tuple[int | None, int | None]:
        root = self._compose()
        if root is None:
            return None, None
        node: yaml.Node = root
        key_node: yaml.Node | None = None
        for token in tokens:
            nxt = _child(node, token)
            if nxt is None:
                break
            key_node, node = nxt
        mark = (key_node if key_node is not None else node).start_mark
        return mark.line + 1, mark.column + 1

    def _compose(self) -> yaml.Node | None:
        import yaml

        if not self._composed:
            self._composed = True
            try:
                self._root = yaml.compose(self.text, Loader=_node_loader())
            except yaml.YAMLError:
                self._root = None
        return self._root


def _read_as(path: Path, shown: str, what: str) -> str:
    try:
        return read_text(path, what=what)
    except InputError as exc:
        raise InputError(exc.message, file=shown, line=exc.line) from None


@cache
def _node_loader() -> type:
    """libyaml's composer without tag resolution: positions need no tags, and resolving is most of its time.

    Built on first use, so that a run which never falls back to the composer never imports PyYAML.
    """
    from yaml._yaml import CParser

    class NodeLoader(CParser):  # type: ignore[misc]
        def resolve(self, kind: type, value: Any, implicit: Any) -> str:
            return ""

        def descend_resolver(self, current_node: Any, current_index: Any) -> None:
            return None

        def ascend_resolver(self) -> None:
            return None

    return NodeLoader


def _child(node: yaml.Node, token: str) -> tuple[yaml.Node | None, yaml.Node] | None:
    """Return (key node, value node) of ``token`` under ``node``."""
    import yaml

    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == token:
                return key, value
        return None
    if isinstance(node, yaml.SequenceNode):
        index = _index(token)
        if index is not None and index < len(node.value):
            return None, node.value[index]
    return None


def _index(token: str) -> int | None:
    """The sequence index a pointer token names, read as the composer path always has (``isdigit``)."""
    if not token.isdigit():
        return None
    try:
        return int(token)
    except ValueError:  # digits such as '²' that int() refuses
        return None


class _Unsupported(Exception):
    """The fast index cannot answer exactly; the composer must."""


_NEWLINE = re.compile("\n")
# Characters other than \n and \r\n at which str.splitlines also breaks.
_OTHER_SPLITS = re.compile("\r(?!\n)|[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
# Line breaks other than \n and \r\n (YAML also counts these), and a BOM: the composer counts lines differently.
_ODD_BREAKS = re.compile("\r(?!\n)|[\x85\u2028\u2029\ufeff]")
_LONE_CR = re.compile("\r(?!\n)")


def _has_any(text: str, pattern: re.Pattern[str]) -> bool:
    """``pattern.search(text)`` for :data:`_OTHER_SPLITS` and :data:`_ODD_BREAKS`, without a regex pass over
    a large text that has none of their characters (substring tests run in C at memory speed)."""
    if "\r" in text and _LONE_CR.search(text):
        return True
    chars = "\x85\u2028\u2029\ufeff" if pattern is _ODD_BREAKS else "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
    if text.isascii():
        chars = "".join(c for c in chars if c.isascii())
    return any(c in text for c in chars)


def _looks_like_json(text: str) -> bool:
    """Same test :func:`parse_text` uses to pick the JSON parser."""
    return text.lstrip().startswith(("{", "["))


_YamlState = tuple[Any, Any, "int | None", "_Region"]


def _walk(index: _JsonIndex | _YamlIndex, tokens: list[str]) -> int:
    """Offset of the node at ``tokens``, or of its nearest parent; ``_Unsupported`` when the index cannot tell."""
    state: Any = index.start()
    for token in tokens:
        nxt = index.step(state, token)
        if nxt is None:
            break
        state = nxt
    return index.mark(state)


def _walk_many(index: _JsonIndex | _YamlIndex, paths: list[tuple[str, ...]]) -> list[int | None]:
    """:func:`_walk` for many token paths; ``None`` where the index cannot tell.

    The paths are merged into a tree of their tokens, which is walked depth first: a prefix shared by
    many pointers (``/paths/~1v1~1posts/get`` under every finding of one operation) is stepped once,
    and a node is always reached after its parent.
    """
    out: list[int | None] = [None] * len(paths)
    tree: dict[str | None, Any] = {}
    for i, tokens in enumerate(paths):
        node = tree
        for token in tokens:
            node = node.setdefault(token, {})
        node.setdefault(None, []).append(i)  # None: the paths that end here
    # state: where the walk is; going: False once it stopped (the mark stays), state None once the index cannot tell.
    stack: list[tuple[dict[str | None, Any], Any, bool]] = [(tree, index.start(), True)]
    while stack:
        node, state, going = stack.pop()
        for token, below in node.items():
            if token is None:
                if state is not None:
                    with contextlib.suppress(_Unsupported):
                        mark = index.mark(state)
                        for i in below:
                            out[i] = mark
            elif not going:
                stack.append((below, state, False))
            else:
                try:
                    nxt = index.step(state, token)
                except _Unsupported:
                    stack.append((below, None, False))
                else:
                    stack.append((below, nxt, True) if nxt is not None else (below, state, False))
    return out


# --- JSON: a tokenizer that indexes one container at a time, skipping values with the C scanner.

_JSON_WS = re.compile(r"[ \t\n\r]*")
_SCAN = make_scanner(json.JSONDecoder())


class _JsonIndex:
    """Offsets of keys and values in JSON text, indexed lazily per object or array."""

    def __init__(self, text: str) -> None:
        if _has_any(text, _ODD_BREAKS):
            raise _Unsupported
        self.text = text
        self.root = _JSON_WS.match(text).end()  # type: ignore[union-attr]
        if text[self.root : self.root + 1] not in ("{", "["):
            raise _Unsupported
        self._objects: dict[int, dict[str, tuple[int, int]]] = {}
        self._arrays: dict[int, list[int]] = {}

    def offset(self, tokens: list[str]) -> int:
        """Offset of the node at ``tokens`` (a member's key), or of its nearest parent."""
        return _walk(self, tokens)

    def start(self) -> tuple[int, int]:
        """The walk's state at the root: (offset of the node, offset it is found at)."""
        return self.root, self.root

    def step(self, state: tuple[int, int], token: str) -> tuple[int, int] | None:
        """The state one token down, or ``None`` where the walk stops."""
        pos = state[0]
        opener = self.text[pos]
        if opener == "{":
            hit = self._members(pos).get(token)
            return None if hit is None else (hit[1], hit[0])
        if opener == "[":
            items = self._items(pos)
            index = _index(token)
            return None if index is None or index >= len(items) else (items[index], items[index])
        return None

    @staticmethod
    def mark(state: tuple[int, int]) -> int:
        """The offset a walk that ended in ``state`` answers."""
        return state[1]

    def _members(self, start: int) -> dict[str, tuple[int, int]]:
        """Key → (offset of its opening quote, offset of its value) for the object at ``start``."""
        members = self._objects.get(start)
        if members is None:
            members = {}
            for key_pos, value_pos in self._entries(start, "}"):
                if self.text[key_pos] != '"':
                    raise _Unsupported
                key, end = scanstring(self.text, key_pos + 1)
                if self.text[end:value_pos].strip() != ":":
                    raise _Unsupported
                members.setdefault(key, (key_pos, value_pos))
            self._objects[start] = members
        return members

    def _items(self, start: int) -> list[int]:
        """Offsets of the items of the array at ``start``."""
        items = self._arrays.get(start)
        if items is None:
            items = [value_pos for value_pos, _ in self._entries(start, "]")]
            self._arrays[start] = items
        return items

    def _entries(self, start: int, closer: str) -> list[tuple[int, int]]:
        """(entry start, value start) of each member or item; for arrays both are the item."""
        text, out = self.text, []
        pos = _JSON_WS.match(text, start + 1).end()  # type: ignore[union-attr]
        if text[pos : pos + 1] == closer:
            return out
        try:
            while True:
                entry = value = pos
                if closer == "}":
                    _, end = scanstring(text, pos + 1)
                    colon = _JSON_WS.match(text, end).end()  # type: ignore[union-attr]
                    if text[colon : colon + 1] != ":":
                        raise _Unsupported
                    value = _JSON_WS.match(text, colon + 1).end()  # type: ignore[union-attr]
                _, end = _SCAN(text, value)
                out.append((entry, value))
                pos = _JSON_WS.match(text, end).end()  # type: ignore[union-attr]
                sep = text[pos : pos + 1]
                if sep == closer:
                    return out
                if sep != ",":
                    raise _Unsupported
                pos = _JSON_WS.match(text, pos + 1).end()  # type: ignore[union-attr]
        except (StopIteration, ValueError):
            raise _Unsupported from None


# --- YAML: block mappings and sequences found by indentation, one region at a time.

_SQ = r"'(?:[^'\r\n]|'')*'"
_DQ = r'"(?:[^"\\\r\n]|\\[^\r\n])*"'
_PLAIN = r"""(?:[^\s\-?:,\[\]{}#&*!|>'"%@`]|[-?:](?=\S))(?:(?![ \t]#)[^\r\n])*?"""
_KEY = rf"(?P<key>{_SQ}|{_DQ}|{_PLAIN})[ \t]*:(?=[ \t\r\n]|\Z)"
_KEY_HERE = re.compile(_KEY)
_ENTRY_HERE = re.compile(r"-(?=[ \t\r\n]|\Z)")
_BLANKS = re.compile(r"[ \t]*")
_REST_EMPTY = re.compile(r"[ \t]*(?:#[^\n]*)?\r?(?:\n|\Z)")
_NEXT_CONTENT = re.compile(r"(?:[ \t]*(?:#[^\n]*)?\r?\n)*( *)(?=[^ \r\n])")
_HEAD = re.compile(r"(?:[ \t]*(?:#[^\n]*)?\r?\n|%[^\n]*\n)*(?:---[ \t]*(?:#[^\n]*)?\r?\n)?")

# A node: (kind, column, start offset or None when unknown, match of the first key for a mapping).
_Node = tuple[Any, ...]
_OTHER: _Node = ("other", -1, None)
_NULL: _Node = ("scalar", -1, None)


class _Region(NamedTuple):
    """Where an indexed node's lines end, and where its members or entries start their lines."""

    end: int
    lines: frozenset[int]


_INDENT = re.compile(r"\n( *)")
_FIRST = re.compile(r"\n *([^ \t#\r\n]?)")
_DEEPEST = 127
"""Line codes below 128 are content indents; a node indented deeper than this goes to the composer."""
_IGNORED = {"": 128}
_STRIPPED_IGNORED = dict.fromkeys(("", "\t", "#", "\r", "\n"), 128)
"""First characters (after the indent) of a line that is not content: see :class:`_Lines`."""


def _starts_of(text: str, lengths: list[int]) -> list[int]:
    """Line start offsets from the lengths of ``text.splitlines(keepends=True)`` (one entry per ``\\n``, plus one)."""
    starts = list(accumulate(lengths, initial=0))
    del starts[text.count("\n") + 1 :]  # the end of a last line without a line break
    return starts


class _Lines:
    """Where each line starts and how deep its content is, for scans over lines instead of characters.

    ``codes`` holds one byte per line: its indent in spaces for a content line (one whose first
    character after the spaces is not a tab, ``#`` or a line break); 128 or more for a blank or
    comment line, or a content line indented 128 or more, which no scan at a column below 128
    stops at. Finding a node's members or its end is then a byte search over as many bytes as it
    has lines. The table is built by C code (regular expressions, ``map``), not a loop per line.
    """

    def __init__(self, text: str, starts: list[int] | None, find_starts: Callable[[], list[int]]) -> None:
        if starts is None and not _has_any(text, _OTHER_SPLITS):
            self._from_lines(text)  # the line starts come from the same split
            return
        self.starts = starts if starts is not None else find_starts()
        padded = "\n" + text
        try:  # one list of matches alive at a time: a large document has a hundred thousand lines
            indents = bytes(map(len, _INDENT.findall(padded)))
        except ValueError:  # a line indented 256 spaces or more
            raise _Unsupported from None
        firsts = _FIRST.findall(padded)
        if not len(indents) == len(firsts) == len(self.starts):
            raise _Unsupported
        try:
            self.codes = bytes(map(operator.add, indents, map(_IGNORED.get, firsts, repeat(0))))
        except ValueError:  # a non-content line indented 128 spaces or more
            raise _Unsupported from None

    def _from_lines(self, text: str) -> None:
        """Starts and codes from one ``splitlines`` (breaks only at ``\\n`` and ``\\r\\n`` here): each line's
        indent is its length less that of the line with leading spaces stripped, whose first character
        tells a content line from a blank or comment one."""
        pieces = text.splitlines(keepends=True)
        lengths = list(map(len, pieces))
        self.starts = _starts_of(text, lengths)
        stripped = list(map(str.lstrip, pieces, repeat(" ")))
        del pieces
        indents = map(operator.sub, lengths, map(len, stripped))
        firsts = map(operator.getitem, stripped, repeat(slice(0, 1)))
        try:
            codes = bytes(map(operator.add, indents, map(_STRIPPED_IGNORED.get, firsts, repeat(0))))
        except ValueError:  # indented 256 spaces or more, or a non-content line indented 128 or more
            raise _Unsupported from None
        if len(codes) < len(self.starts):  # the empty line after a final line break
            codes += bytes((_IGNORED[""],))
        self.codes = codes

    def line_of(self, offset: int) -> int:
        """Index of the line that holds ``offset``."""
        return bisect.bisect_right(self.starts, offset) - 1


@cache
def _less_than(column: int) -> re.Pattern[bytes]:
    """A line code below ``column``: a content line indented less."""
    return re.compile(b"[\\x00-" + bytes(f"\\x{column - 1:02x}", "ascii") + b"]")


class _YamlIndex:
    """Offsets of mapping keys in block-style YAML, checked against the parsed data on the way.

    Each mapping or sequence on a pointer's way is indexed once, by a regular-expression scan
    for the lines indented exactly at its column, up to the first line indented less. The YAML
    spec indents every line of a node deeper than its parent, which makes that scan exact;
    libyaml also accepts quoted and flow scalars whose continuation lines are indented less. So
    an index is used only when its keys are exactly the parsed data's keys (no duplicates, the
    same count) or its item count is the data's, and when the line that ends it is a member or
    entry of its (already checked) parent, or ends the parent as well. Anything else, and any
    node other than a block mapping, block sequence or scalar on the way, raises ``_Unsupported``.
    """

    def __init__(self, text: str, data: Any, lines: Callable[[], _Lines]) -> None:
        if _has_any(text, _ODD_BREAKS) or not isinstance(data, dict):
            raise _Unsupported
        self.text = text
        self.data = data
        start = _HEAD.match(text).end()  # type: ignore[union-attr]
        content = _NEXT_CONTENT.match(text, start)
        if content is None or text.startswith(("---", "...", "%"), content.end()):
            raise _Unsupported
        self.root = self._classify(content.end())
        if self.root[0] != "map":
            raise _Unsupported
        self._maps: dict[int, dict[str, tuple[int, int, Any]]] = {}
        self._seqs: dict[int, list[int]] = {}
        self._regions: dict[int, _Region] = {}
        self._nodes: dict[tuple[int, bool], _Node] = {}
        self._lines: _Lines | None = None
        self._line_table = lines

    def offset(self, tokens: list[str]) -> int:
        """Offset of the node at ``tokens`` (a member's key), or of its nearest parent."""
        return _walk(self, tokens)

    def start(self) -> _YamlState:
        """The walk's state at the root: (node, its data, its mark, the region of its parent)."""
        return self.root, self.data, self.root[2], _Region(len(self.text), frozenset())

    def step(self, state: _YamlState, token: str) -> _YamlState | None:
        """The state one token down, or ``None`` where the walk stops (the mark stays the parent's)."""
        node, data, mark, parent = state
        kind = node[0]
        if kind == "map":
            hit = self._members(node, data, parent).get(token)
            if hit is None:
                return None
            mark, value_pos, data = hit
            return self._value(value_pos, node[1], compact=True), data, mark, self._regions[node[2]]
        if kind == "seq":
            items = self._items(node, data, parent)
            index = _index(token)
            if index is None or index >= len(items):
                return None
            child = self._value(items[index] + 1, node[1], compact=False)
            return child, data[index], child[2], self._regions[node[2]]
        if (kind == "scalar" and not isinstance(data, dict | list)) or (data == {} or data == []):
            return None  # nothing below: the composer stops here as well
        raise _Unsupported

    @staticmethod
    def mark(state: _YamlState) -> int:
        """The offset a walk that ended in ``state`` answers."""
        if state[2] is None:  # an empty or anchored node: its mark is the composer's to tell
            raise _Unsupported
        return int(state[2])

    def _members(self, node: _Node, data: Any, parent: _Region) -> dict[str, tuple[int, int, Any]]:
        """Key → (key offset, offset after its ':', data value) of the mapping ``node``."""
        members = self._maps.get(node[2])
        if members is not None:
            return members
        _, column, start, first = node
        if not isinstance(data, dict):
            raise _Unsupported
        lines = self._at_column(start, column, parent, entries=False)
        text = self.text
        found: dict[str, tuple[int, int]] = {}
        for match in (first, *map(_KEY_HERE.match, repeat(text), lines)):
            if match is not None:
                raw = match.group("key")
                key = _key_text(raw) if raw[0] in "'\"" else raw
                if key in found:
                    raise _Unsupported
                found[key] = (match.start("key"), match.end())
        if len(found) != len(data):
            raise _Unsupported
        try:
            members = {key: (at, after, data[key]) for key, (at, after) in found.items()}
        except KeyError:  # keys the parser read as numbers, booleans…: compare them as text
            by_text = {_data_key(k): v for k, v in data.items()}
            if len(by_text) != len(data) or not found.keys() <= by_text.keys():
                raise _Unsupported from None
            members = {key: (at, after, by_text[key]) for key, (at, after) in found.items()}
        self._maps[start] = members
        return members

    def _items(self, node: _Node, data: Any, parent: _Region) -> list[int]:
        """Offsets of the ``-`` of each entry of the sequence ``node``."""
        _, column, start = node
        items = self._seqs.get(start)
        if items is not None:
            return items
        if not isinstance(data, list):
            raise _Unsupported
        lines = self._at_column(start, column, parent, entries=True)
        items = [start, *lines]
        if len(items) != len(data):
            raise _Unsupported
        self._seqs[start] = items
        return items

    def _at_column(self, start: int, column: int, parent: _Region, *, entries: bool) -> list[int]:
        """Offsets (at ``column``) of the content lines at ``column`` after the line of ``start``, up to
        the node's end: the first content line indented less or, for a sequence (``entries``), the first
        line at ``column`` that is not an entry; records the region those lines span.
        """
        if column > _DEEPEST:
            raise _Unsupported
        if self._lines is None:
            self._lines = self._line_table()
        text, lines = self.text, self._lines
        codes, starts = lines.codes, lines.starts
        first = lines.line_of(start) + 1
        stop = _less_than(column).search(codes, first) if column else None
        end_line = stop.start() if stop is not None else len(codes)
        found: list[int] = []
        here = bytes((column,))
        line = codes.find(here, first, end_line)
        while line >= 0:
            pos = starts[line] + column
            if entries and not _ENTRY_HERE.match(text, pos):
                end_line = line
                break
            found.append(line)
            line = codes.find(here, line + 1, end_line)
        end = starts[end_line] if end_line < len(codes) else len(text)
        if end != parent.end and end not in parent.lines:
            raise _Unsupported  # the line that ends this node is not where the parent goes on
        offsets = list(map(starts.__getitem__, found))
        self._regions[start] = _Region(end, frozenset(offsets))
        return [offset + column for offset in offsets]

    def _value(self, pos: int, column: int, *, compact: bool) -> _Node:
        """The node after a key's ':' or an entry's '-' at ``pos``; ``column`` is its collection's."""
        node = self._nodes.get((pos, compact))
        if node is None:
            node = self._nodes[pos, compact] = self._find_value(pos, column, compact=compact)
        return node

    def _find_value(self, pos: int, column: int, *, compact: bool) -> _Node:
        text = self.text
        start = _BLANKS.match(text, pos).end()  # type: ignore[union-attr]
        if not _REST_EMPTY.match(text, start):
            if compact:  # on a key's own line only a scalar or a flow/anchored node can follow
                return self._leaf(start, column)
            return self._classify(start)
        line_end = text.find("\n", start)
        content = _NEXT_CONTENT.match(text, line_end + 1) if line_end >= 0 else None
        if content is None:
            return _NULL
        indent, at = len(content.group(1)), content.end()
        if indent > column:
            return self._classify(at)
        if compact and indent == column and _ENTRY_HERE.match(text, at):
            return ("seq", column, at)
        return _NULL

    def _classify(self, pos: int) -> _Node:
        """What starts at ``pos``: a block sequence, a block mapping, a scalar or something else."""
        text = self.text
        column = pos - text.rfind("\n", 0, pos) - 1
        if _ENTRY_HERE.match(text, pos):
            return ("seq", column, pos)
        key = _KEY_HERE.match(text, pos)
        if key is not None:
            return ("map", column, pos, key)
        return self._leaf(pos, column)

    def _leaf(self, pos: int, column: int) -> _Node:
        """A node the index does not look into: it knows where a scalar or flow collection starts."""
        char = self.text[pos]
        if char in "[{":
            return ("flow", column, pos)
        return _OTHER if char in "&!*?:\t%@`" else ("scalar", column, pos)


def _key_text(raw: str) -> str:
    """The value libyaml gives a key scalar: quotes removed and escapes applied."""
    if raw.startswith("'"):
        return raw[1:-1].replace("''", "'")
    if raw.startswith('"'):
        if "\\" not in raw:
            return raw[1:-1]
        import yaml

        try:
            return str(yaml.compose(raw, Loader=_node_loader()).value)
        except yaml.YAMLError:
            raise _Unsupported from None
    return raw


def _data_key(key: Any) -> str:
    """How a parsed key reads as text; keys that YAML resolved to other types rarely match and then fall back."""
    return key if isinstance(key, str) else str(key)
