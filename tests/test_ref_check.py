"""Every `$ref` is checked when a document loads: the text scan proves the common case, the walk finds the rest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checks.engines.openapi.spec import Spec, _local_refs_resolve
from checks.errors import InputError
from checks.sources import Document

HEAD = "openapi: 3.1.0\ninfo: {title: T, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    Post: {type: object}\n"


def _yaml(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "openapi.yaml"
    path.write_text(HEAD + body, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "body",
    [
        "    A: {$ref: '#/components/schemas/Post'}\n",
        '    A:\n      "$ref": "#/components/schemas/Post"\n',
        "    A:\n      $ref: '#/components/schemas/Post'  # the shared post\n",
        "    A:\n      $ref: >-\n        #/components/schemas/Post\n",
        "    A:\n      items:\n        - $ref: '#/components/schemas/Post'\n",
    ],
    ids=["flow", "quoted-key", "comment", "folded", "sequence"],
)
def test_plainly_written_refs_are_proven_by_the_text_alone(tmp_path: Path, body: str) -> None:
    doc = Document.load(_yaml(tmp_path, body))
    assert _local_refs_resolve(doc)
    Spec.load(tmp_path / "openapi.yaml")


@pytest.mark.parametrize(
    ("body", "line"),
    [
        ("    A: {$ref: '#/components/schemas/Nope'}\n", 7),
        ("    A:\n      $ref: >-\n        #/components/schemas/Nope\n", 8),
        # A folded value that goes on past a reference that would resolve: the value is the whole text.
        ("    A:\n      $ref: >-\n        #/components/schemas/Post\n        /Nope\n", 8),
        # A description that mentions $ref makes the text inconclusive; the walk still finds the broken one.
        (
            "    A:\n      description: |\n        Use $ref: '#/components/schemas/Post' to share it.\n"
            "    B:\n      $ref: '#/components/schemas/Nope'\n",
            11,
        ),
    ],
    ids=["plain", "folded", "folded-on-two-lines", "mentioned-in-a-description"],
)
def test_a_ref_that_does_not_resolve_is_an_input_error_at_its_line(tmp_path: Path, body: str, line: int) -> None:
    with pytest.raises(InputError, match=r"\$ref '#/components/schemas/(Post )?/?Nope' does not resolve") as err:
        Spec.load(_yaml(tmp_path, body))
    assert err.value.line == line


def test_an_escaped_ref_key_is_not_missed(tmp_path: Path) -> None:
    spec = json.loads(json.dumps({"openapi": "3.1.0", "info": {"title": "T", "version": "1"}, "paths": {}}))
    spec["components"] = {"schemas": {"A": {"$ref": "#/components/schemas/Nope"}}}
    text = json.dumps(spec, indent=2).replace('"$ref"', '"\\u0024ref"')
    path = tmp_path / "openapi.json"
    path.write_text(text, encoding="utf-8")
    assert not _local_refs_resolve(Document.load(path))
    with pytest.raises(InputError, match="does not resolve"):
        Spec.load(path)


def test_a_mention_that_does_not_resolve_is_no_error(tmp_path: Path) -> None:
    body = "    A:\n      description: \"Write $ref: '#/nowhere' to point elsewhere\"\n"
    path = _yaml(tmp_path, body)
    assert not _local_refs_resolve(Document.load(path))
    Spec.load(path)  # the walk sees no $ref key there
