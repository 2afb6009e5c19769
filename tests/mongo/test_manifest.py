"""Bad manifests exit 2 with one line naming the file, the line and the place."""

from __future__ import annotations

from pathlib import Path

import pytest

from checks.engines.mongo.manifest import SIZE_CLASSES, Manifest
from checks.errors import InputError
from tests.mongo.helpers import findings

BAD = Path(__file__).parent / "fixtures" / "bad"


@pytest.mark.parametrize(
    ("name", "line", "message"),
    [
        (
            "unknown_operator.yaml",
            8,
            "collections[posts].queries.feedByAuthor.filter.location: unknown operator $nearx",
        ),
        (
            "unknown_stage.yaml",
            8,
            "collections[posts].pipelines.withAuthors.stages[1]: unknown pipeline stage $lookupp",
        ),
        ("unknown_field.yaml", 7, "collections[posts].indexes[author].uniq: unknown field"),
        ("malformed.yaml", None, "invalid YAML"),
        ("size_class.yaml", 3, "collections[posts].documents: expected a document count or one of tiny, small"),
        ("duplicate_collection.yaml", 4, "collections[posts].name: collection 'posts' is described twice"),
        ("key_direction.yaml", 6, "collections[posts].indexes[author].key[0][1]: Input should be 1, -1"),
        ("nested_operator.yaml", 9, "collections[posts].queries.q.filter.$or[1].score.$not: unknown operator $gtt"),
        ("top_level_list.yaml", 1, "not a MongoDB manifest: the top level is not a mapping"),
        ("stage_shape.yaml", 7, "stages[0]: a stage is a mapping with exactly one key"),
    ],
)
def test_bad_manifest_exits_2_with_one_line(cli, name: str, line: int | None, message: str) -> None:
    result = cli("check", "mongo", BAD / name)
    assert result.code == 2
    assert result.out == ""
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    where = f"{BAD / name}:{line}: " if line else f"{BAD / name}:"
    assert lines[0].startswith(f"handbook: error: {where}"), lines[0]
    assert message in lines[0]
    assert "Traceback" not in result.err


def test_missing_file_exits_2(cli, tmp_path: Path) -> None:
    result = cli("check", "mongo", tmp_path / "nope.yaml")
    assert result.code == 2
    assert result.err.strip() == f"handbook: error: {tmp_path / 'nope.yaml'}: MongoDB manifest not found"


def test_directory_exits_2(cli, tmp_path: Path) -> None:
    result = cli("check", "mongo", tmp_path)
    assert result.code == 2
    assert "is a directory" in result.err


def test_the_message_points_at_the_operator_line() -> None:
    with pytest.raises(InputError) as err:
        Manifest.load(BAD / "unknown_operator.yaml")
    assert err.value.line == 8
    assert err.value.message == "collections[posts].queries.feedByAuthor.filter.location: unknown operator $nearx"


def test_size_classes_stand_for_counts() -> None:
    manifest = Manifest.from_text(
        "collections:\n  - {name: a, documents: huge}\n  - {name: b, documents: tiny}\n", name="m"
    )
    assert [c.documents for c in manifest.collections] == [SIZE_CLASSES["huge"], SIZE_CLASSES["tiny"]]


def test_index_key_and_sort_accept_ordered_mappings() -> None:
    manifest = Manifest.from_text(
        "collections:\n  - name: a\n    documents: 1\n    indexes: [{name: i, key: {x: 1, y: -1}}]\n"
        "    queries: {q: {sort: {y: -1, x: 1}}}\n",
        name="m",
    )
    coll = manifest.collections[0]
    assert coll.indexes[0].key == [("x", 1), ("y", -1)]
    assert coll.queries["q"].sort == [("y", -1), ("x", 1)]


def test_boolean_is_not_a_direction() -> None:
    with pytest.raises(InputError, match="not a boolean"):
        Manifest.from_text(
            "collections:\n  - {name: a, documents: 1, indexes: [{name: i, key: [[x, true]]}]}\n", name="m"
        )


def test_an_index_field_may_appear_once() -> None:
    with pytest.raises(InputError, match="field 'x' appears twice"):
        Manifest.from_text(
            "collections:\n  - {name: a, documents: 1, indexes: [{name: i, key: [[x, 1], [x, -1]]}]}\n", name="m"
        )


def test_index_names_are_unique_per_collection() -> None:
    with pytest.raises(InputError, match="index name 'i' is used twice"):
        Manifest.from_text(
            "collections:\n  - {name: a, documents: 1, indexes: [{name: i, key: [[x, 1]]}, {name: i, key: [[y, 1]]}]}\n",
            name="m",
        )


def test_json_manifests_are_read_too() -> None:
    text = '{"collections": [{"name": "a", "documents": 5, "queries": {"q": {"filter": {"x": {"$where": 1}}}}}]}'
    with pytest.raises(InputError, match=r"collections\[a\]\.queries\.q\.filter\.x: unknown operator \$where"):
        Manifest.from_text(text, name="m.json")


def test_known_operators_and_stages_load() -> None:
    text = """
    collections:
      - name: a
        documents: 5
        queries:
          q:
            filter:
              $and: [{x: {$in: [1]}}, {y: {$elemMatch: {$gt: 1, $lt: 5}}}]
              z: {$geoWithin: {$centerSphere: [[0, 0], 1]}}
              w: {$not: {$regex: "^a"}}
              $expr: {$eq: ["$a", "$b"]}
        pipelines:
          p:
            stages:
              - $geoNear: {near: [0, 0], distanceField: d}
              - $facet: {a: [{$match: {x: 1}}, {$count: n}], b: [{$sortByCount: $y}]}
              - $setWindowFields: {sortBy: {x: 1}, output: {r: {$rank: {}}}}
    """
    assert findings(text) is not None


def test_missing_field_is_named() -> None:
    with pytest.raises(InputError, match=r"collections\[a\]: missing required field 'documents'"):
        Manifest.from_text("collections:\n  - {name: a}\n", name="m")


def test_sort_stage_needs_a_mapping() -> None:
    with pytest.raises(InputError, match=r"stages\[0\]\.\$sort: \$sort takes a non-empty mapping"):
        Manifest.from_text(
            "collections:\n  - {name: a, documents: 1, pipelines: {p: {stages: [{$sort: x}]}}}\n", name="m"
        )


def test_the_documented_example_is_a_valid_manifest() -> None:
    text = (Path(__file__).parents[2] / "docs" / "data" / "manifest.md").read_text(encoding="utf-8")
    example = text.split("## Example", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    manifest = Manifest.from_text(example, name="manifest.md")
    assert [c.name for c in manifest.collections] == ["posts"]
    rules = {f.rule_id for f in findings(example)}
    assert rules == {"DATA-120"}, "only the lookup into the undescribed users collection is reported"
