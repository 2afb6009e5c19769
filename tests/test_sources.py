"""The fast line locator of ``Document.locate`` agrees with libyaml's composer, node for node."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import yaml

from checks import pointer as jp
from checks.sources import Document

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CASES = FIXTURES / "sources"
OPENAPI = sorted(p for p in (FIXTURES / "openapi").rglob("*.yaml") if p.name not in ("binary.yaml", "malformed.yaml"))


def composer_marks(text: str) -> dict[str, tuple[int, int]]:
    """Every pointer of the document with the (line, column) the composer-based lookup gives it.

    This is the original implementation, written out independently: a mapping member is found at
    its key (the first of duplicates), a sequence item and the root at the node itself.
    """
    marks: dict[str, tuple[int, int]] = {}

    def walk(node: yaml.Node, tokens: list[str], mark: yaml.Mark) -> None:
        marks.setdefault(jp.from_tokens(tokens), (mark.line + 1, mark.column + 1))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    walk(value, [*tokens, key.value], key.start_mark)
        elif isinstance(node, yaml.SequenceNode):
            for index, value in enumerate(node.value):
                walk(value, [*tokens, str(index)], value.start_mark)

    root = yaml.compose(text, Loader=yaml.CSafeLoader)
    walk(root, [], root.start_mark)
    return marks


def assert_same_as_composer(doc: Document) -> dict[str, tuple[int, int]]:
    """Every node, and a missing child of every node, is where the composer puts it."""
    expected = composer_marks(doc.text)
    for pointer, mark in expected.items():
        assert doc.locate(pointer) == mark, pointer
        assert doc.locate(pointer + "/no~1such~0child") == mark, pointer
    assert doc.locate_many(expected) == expected
    # The batch walk on a fresh document (nothing indexed yet), with a missing child under every node.
    fresh = Document(path=doc.path, text=doc.text, data=doc.data)
    missing = {pointer + "/no~1such~0child": mark for pointer, mark in expected.items()}
    assert fresh.locate_many([*missing, *expected]) == {**missing, **expected}
    return expected


def _fast_only(doc: Document) -> None:
    """The answers came from the index, not from the composer fallback."""
    assert not doc._composed, "fell back to the composer"


# --- generated documents ---------------------------------------------------------------

KEY_PARTS = [
    "a",
    "b",
    "id",
    "200",
    "x-y",
    "/v1/posts",
    "a~b",
    "k/~1",
    "with space",
    "quote'd",
    'dq"x',
    "é",
    "true",
    "-d",
    "?q",
]
WORDS = ["alpha", "beta: gamma", "it's", '"quoted"', "# not a comment", "- dash", "[x]", "{y}", "ünï", "a\nb", "  lead"]


def _value(rng: random.Random, depth: int) -> object:
    roll = rng.random()
    if depth > 4 or roll < 0.35:
        return rng.choice(
            [rng.choice(WORDS), " ".join(rng.choices(WORDS, k=rng.randint(3, 30))), rng.randint(0, 999), None, True]
        )
    if roll < 0.7:
        return {
            rng.choice(KEY_PARTS) + str(rng.randint(0, 3)): _value(rng, depth + 1) for _ in range(rng.randint(0, 5))
        }
    return [_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]


def _document(seed: int) -> dict[str, object]:
    rng = random.Random(seed)
    return {"openapi": "3.1.0", "paths": {f"/v1/p{i}": _value(rng, 1) for i in range(8)}, "extra": _value(rng, 0)}


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("indent", [2, 4])
def test_generated_block_yaml(seed: int, indent: int) -> None:
    data = _document(seed)
    text = yaml.safe_dump(data, default_flow_style=False, indent=indent, width=30, allow_unicode=seed % 2 == 0)
    doc = Document.from_text(text, name="gen.yaml")
    assert len(assert_same_as_composer(doc)) > 20
    _fast_only(doc)


@pytest.mark.parametrize("seed", range(6))
def test_generated_yaml_with_crlf_and_comments(seed: int) -> None:
    body = yaml.safe_dump(_document(seed), default_flow_style=False, width=40)
    lines = [line + ("  # note" if line.endswith(":") else "") for line in body.splitlines()]
    text = "# header\n---\n" + "\r\n".join(lines) + "\r\n"
    doc = Document.from_text(text, name="gen.yaml")
    assert_same_as_composer(doc)
    _fast_only(doc)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("style", ["indented", "compact", "tabs"])
def test_generated_json(seed: int, style: str) -> None:
    data = _document(seed)
    if style == "indented":
        text = json.dumps(data, indent=2, ensure_ascii=seed % 2 == 0)
    elif style == "compact":
        text = json.dumps(data, separators=(",", ":"))
    else:
        text = "\n" + json.dumps(data, indent="\t")
    doc = Document.from_text(text, name="gen.json")
    assert_same_as_composer(doc)
    _fast_only(doc)


# --- hand-written edge cases -----------------------------------------------------------


@pytest.mark.parametrize("path", sorted(CASES.glob("*.yaml")), ids=lambda p: p.stem)
def test_edge_cases(path: Path) -> None:
    doc = Document.load(path)
    assert_same_as_composer(doc)
    if path.stem.startswith("fast-"):
        _fast_only(doc)


@pytest.mark.parametrize("path", OPENAPI, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_openapi_fixtures(path: Path) -> None:
    assert_same_as_composer(Document.load(path))


def test_escaped_pointer_tokens_find_their_keys() -> None:
    doc = Document.from_text("paths:\n  /v1/a~b:\n    get: {}\n  'x/y': 1\n", name="t.yaml")
    assert doc.locate("/paths/~1v1~1a~0b/get") == (3, 5)
    assert doc.locate("/paths/x~1y") == (4, 3)
    _fast_only(doc)


def test_sequence_items_are_found_at_the_item() -> None:
    text = "root:\n  tags:\n    - name: x\n      description: d\n    -   name: y\n    -\n"
    doc = Document.from_text(text, name="t.yaml")
    assert doc.locate("/root/tags/1") == (5, 9)
    assert doc.locate("/root/tags/0/description") == (4, 7)
    assert doc.locate("/root/tags/1/name") == (5, 9)
    _fast_only(doc)


def test_an_under_indented_quoted_scalar_is_left_to_the_composer() -> None:
    # libyaml accepts continuation lines the YAML spec forbids; a line index must not trust them
    text = 'a:\n  b:\n    x: "q\n  c: 1\n "\n  c: 2\n'
    doc = Document.from_text(text, name="t.yaml")
    assert doc.data == {"a": {"b": {"x": "q c: 1 "}, "c": 2}}
    assert doc.locate("/a/c") == (6, 3)
    assert doc._composed


def test_json_the_composer_cannot_read_is_still_located() -> None:
    doc = Document.from_text('{"a": {"b": "\\ud83d\\ude00", "c": 1}}', name="t.json")
    with pytest.raises(yaml.YAMLError):  # libyaml refuses the escaped surrogate pair JSON allows
        yaml.compose(doc.text, Loader=yaml.CSafeLoader)
    assert doc.locate("/a/c") == (1, 29)


def test_bad_pointer_and_unreadable_yaml() -> None:
    doc = Document.from_text("a: 1\n", name="t.yaml")
    assert doc.locate("no-slash") == (None, None)
    assert doc.locate("") == (1, 1)
    broken = Document(path="t.yaml", text="a: {b: [\n", data={"a": {"b": []}})
    assert broken.locate("/a/b") == (None, None)  # inside a flow mapping: the composer's call, and it cannot


def test_old_mac_line_breaks_are_counted_like_the_composer() -> None:
    doc = Document.from_text("a: 1\rb:\r  c: 2\r", name="t.yaml")
    assert doc.locate("/b/c") == (3, 3)
    assert_same_as_composer(doc)
