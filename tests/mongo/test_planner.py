"""The audit reasons the way MongoDB's query planner does: one test per planner behaviour."""

from __future__ import annotations

import pytest

from tests.mongo.helpers import collection, fired

SCHEMA = """
validator:
  $jsonSchema:
    bsonType: object
    properties:
      authorId: {bsonType: objectId}
      title: {bsonType: string}
      handle: {bsonType: string}
      createdAt: {bsonType: date}
      score: {bsonType: int}
      tags: {bsonType: array, maxItems: 10, items: {bsonType: string}}
      mentions: {bsonType: array, maxItems: 10, items: {bsonType: objectId}}
"""


def shape(indexes: str, query: str) -> str:
    """A posts collection with the schema above, some indexes and one query ``q``."""
    return collection(SCHEMA + "indexes:\n" + indexes + "queries:\n  q:\n" + query)


# --- index prefixes ---------------------------------------------------------------------------


def test_an_index_serves_a_query_on_its_prefix() -> None:
    text = shape(
        "  - {name: a_c_s, key: [[authorId, 1], [createdAt, -1], [score, 1]]}\n", "    filter: {authorId: 1}\n"
    )
    assert not fired(text, "DATA-104")


def test_an_index_does_not_serve_a_query_missing_its_first_field() -> None:
    text = shape("  - {name: a_c, key: [[authorId, 1], [createdAt, -1]]}\n", "    filter: {createdAt: {$gt: 5}}\n")
    [finding] = fired(text, "DATA-104")
    assert "scans the collection" in finding.message
    assert finding.location.logical == "posts.queries.q"
    assert finding.location.file == "manifest.yaml" and finding.location.line


def test_an_or_is_served_only_when_every_branch_is() -> None:
    indexes = "  - {name: author, key: [[authorId, 1]]}\n  - {name: title, key: [[title, 1]]}\n"
    assert not fired(shape(indexes, "    filter: {$or: [{authorId: 1}, {title: x}]}\n"), "DATA-104")
    assert fired(shape(indexes, "    filter: {$or: [{authorId: 1}, {score: 3}]}\n"), "DATA-104")


def test_small_collections_are_not_required_to_have_indexes() -> None:
    text = collection("queries:\n  q: {filter: {title: x}, limit: 5, projection: {title: 1}}\n", documents=500)
    assert not fired(text, "DATA-104")


# --- equality, sort, range --------------------------------------------------------------------


def test_range_before_equality_breaks_esr() -> None:
    text = shape(
        "  - {name: c_a, key: [[createdAt, 1], [authorId, 1]]}\n",
        "    filter: {authorId: 1, createdAt: {$gt: 5}}\n",
    )
    [finding] = fired(text, "DATA-105")
    assert "c_a" in finding.message and "'createdAt'" in finding.message


def test_range_before_sort_breaks_esr_and_the_sort() -> None:
    text = shape(
        "  - {name: a_c_s, key: [[authorId, 1], [createdAt, 1], [score, 1]]}\n",
        "    filter: {authorId: 1, createdAt: {$gt: 5}}\n    sort: [[score, 1]]\n",
    )
    assert fired(text, "DATA-105")
    assert fired(text, "DATA-106")


def test_equality_sort_range_is_accepted() -> None:
    text = shape(
        "  - {name: a_s_c, key: [[authorId, 1], [score, 1], [createdAt, 1]]}\n",
        "    filter: {authorId: 1, createdAt: {$gt: 5}}\n    sort: [[score, 1]]\n",
    )
    assert not fired(text, "DATA-105")
    assert not fired(text, "DATA-106")


def test_an_esr_index_next_to_a_bad_one_is_enough() -> None:
    text = shape(
        "  - {name: c_a, key: [[createdAt, 1], [authorId, 1]]}\n  - {name: a_c, key: [[authorId, 1], [createdAt, 1]]}\n",
        "    filter: {authorId: 1, createdAt: {$gt: 5}}\n",
    )
    assert not fired(text, "DATA-105")


# --- sort direction ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sort", "served"),
    [
        ("[[authorId, 1], [createdAt, -1]]", True),
        ("[[authorId, -1], [createdAt, 1]]", True),
        ("[[authorId, 1], [createdAt, 1]]", False),
        ("[[createdAt, -1]]", False),
        ("[[authorId, -1]]", True),
    ],
)
def test_sort_is_served_in_either_scan_direction_only(sort: str, served: bool) -> None:
    text = shape("  - {name: a_c, key: [[authorId, 1], [createdAt, -1]]}\n", f"    limit: 5\n    sort: {sort}\n")
    assert bool(fired(text, "DATA-106")) is not served


def test_sort_after_an_equality_prefix_is_served() -> None:
    index = "  - {name: a_c, key: [[authorId, 1], [createdAt, -1]]}\n"
    text = shape(index, "    filter: {authorId: 1}\n    sort: [[createdAt, 1]]\n")
    assert not fired(text, "DATA-106")
    text = shape(index, "    filter: {authorId: {$gt: 1}}\n    sort: [[createdAt, 1]]\n")
    assert fired(text, "DATA-106"), "a range on the prefix does not leave the index in createdAt order"


def test_equality_between_sort_fields_is_skipped() -> None:
    text = shape(
        "  - {name: a_c_t_s, key: [[authorId, 1], [createdAt, 1], [title, 1], [score, 1]]}\n",
        "    filter: {authorId: 1, title: x}\n    sort: [[createdAt, -1], [score, -1]]\n",
    )
    assert not fired(text, "DATA-106")


# --- multikey ---------------------------------------------------------------------------------


def test_compound_index_on_two_arrays_is_rejected() -> None:
    text = shape("  - {name: t_m, key: [[tags, 1], [mentions, 1]]}\n", "    filter: {tags: x}\n")
    [finding] = fired(text, "DATA-112")
    assert "mentions, tags" in finding.message


def test_paths_through_one_array_are_not_parallel() -> None:
    text = collection(
        "arrays:\n  comments: {maxItems: 20}\nindexes:\n  - {name: c, key: [[comments.author, 1], [comments.at, 1]]}\n"
    )
    assert not fired(text, "DATA-112")


def test_a_multikey_field_cannot_provide_a_sort() -> None:
    text = shape("  - {name: tags, key: [[tags, 1]]}\n", "    limit: 5\n    sort: [[tags, 1]]\n")
    [finding] = fired(text, "DATA-106")
    assert "array field" in finding.message


def test_equality_on_a_multikey_field_still_allows_the_next_sort() -> None:
    text = shape(
        "  - {name: t_c, key: [[tags, 1], [createdAt, -1]]}\n", "    filter: {tags: go}\n    sort: [[createdAt, -1]]\n"
    )
    assert not fired(text, "DATA-106") and not fired(text, "DATA-104")


# --- partial indexes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filter_", "usable"),
    [
        ("{status: published, authorId: 1}", True),
        ("{status: draft, authorId: 1}", False),
        ("{authorId: 1}", False),
    ],
)
def test_partial_index_needs_the_filter_to_imply_its_expression(filter_: str, usable: bool) -> None:
    text = shape(
        "  - {name: a, key: [[authorId, 1]], partialFilterExpression: {status: published}}\n",
        f"    filter: {filter_}\n",
    )
    found = fired(text, "DATA-104")
    assert bool(found) is not usable
    if found:
        assert "partialFilterExpression" in found[0].message


@pytest.mark.parametrize(
    ("filter_", "usable"),
    [
        ("{authorId: 1, score: {$gt: 10}}", True),
        ("{authorId: 1, score: {$gte: 5}}", True),
        ("{authorId: 1, score: 7}", True),
        ("{authorId: 1, score: {$gt: 4}}", False),
        ("{authorId: 1, score: {$lt: 100}}", False),
    ],
)
def test_partial_range_is_implied_only_by_a_narrower_range(filter_: str, usable: bool) -> None:
    text = shape(
        "  - {name: a, key: [[authorId, 1]], partialFilterExpression: {score: {$gte: 5}}}\n",
        f"    filter: {filter_}\n",
    )
    assert bool(fired(text, "DATA-104")) is not usable


def test_partial_exists_is_implied_by_any_condition_that_needs_the_field() -> None:
    index = "  - {name: a, key: [[authorId, 1]], partialFilterExpression: {title: {$exists: true}}}\n"
    assert not fired(shape(index, "    filter: {authorId: 1, title: x}\n"), "DATA-104")
    assert fired(shape(index, "    filter: {authorId: 1, title: {$ne: x}}\n"), "DATA-104")


def test_partial_index_scan_serves_its_own_subset() -> None:
    text = shape(
        "  - {name: recent, key: [[createdAt, -1]], partialFilterExpression: {status: published}}\n",
        "    filter: {status: published}\n    sort: [[createdAt, -1]]\n    limit: 20\n",
    )
    assert not fired(text, "DATA-104") and not fired(text, "DATA-106")


# --- sparse indexes ------------------------------------------------------------------------------


def test_sparse_index_is_not_used_for_a_sort_without_a_filter_on_it() -> None:
    text = shape("  - {name: s, key: [[score, 1]], sparse: true}\n", "    limit: 5\n    sort: [[score, 1]]\n")
    [finding] = fired(text, "DATA-106")
    assert "sparse" in finding.message
    text = shape("  - {name: s, key: [[score, 1]]}\n", "    limit: 5\n    sort: [[score, 1]]\n")
    assert not fired(text, "DATA-106")


def test_sparse_index_is_not_used_for_exists_false() -> None:
    index = "  - {name: s, key: [[score, 1]], sparse: true}\n"
    assert fired(shape(index, "    filter: {score: {$exists: false}}\n"), "DATA-104")
    assert fired(shape(index, "    filter: {score: null}\n"), "DATA-104")
    assert not fired(shape(index, "    filter: {score: {$gt: 3}}\n"), "DATA-104")


# --- TTL ---------------------------------------------------------------------------------------


def test_ttl_only_on_a_single_date_field() -> None:
    indexes = (
        "  - {name: on_date, key: [[createdAt, 1]], expireAfterSeconds: 60}\n"
        "  - {name: on_int, key: [[score, 1]], expireAfterSeconds: 60}\n"
        "  - {name: on_unknown, key: [[seenAt, 1]], expireAfterSeconds: 60}\n"
        "  - {name: compound, key: [[authorId, 1], [createdAt, 1]], expireAfterSeconds: 60}\n"
        "  - {name: on_id, key: [[_id, 1]], expireAfterSeconds: 60}\n"
    )
    found = {f.location.logical: f.message for f in fired(shape(indexes, "    filter: {}\n"), "DATA-110")}
    assert set(found) == {
        "posts.indexes.on_int",
        "posts.indexes.on_unknown",
        "posts.indexes.compound",
        "posts.indexes.on_id",
    }
    assert "['int']" in found["posts.indexes.on_int"]
    assert "not declared" in found["posts.indexes.on_unknown"]
    assert "compound" in found["posts.indexes.compound"]


def test_expiring_collection_needs_a_single_field_ttl_index() -> None:
    text = collection("expiring: true\nindexes:\n  - {name: c, key: [[a, 1], [b, 1]], expireAfterSeconds: 5}\n")
    assert fired(text, "DATA-109")
    text = collection("expiring: true\nindexes:\n  - {name: c, key: [[at, 1]], expireAfterSeconds: 5}\n")
    assert not fired(text, "DATA-109")


# --- collation ---------------------------------------------------------------------------------


def test_collation_mismatch_blocks_string_comparisons() -> None:
    index = "  - {name: h, key: [[handle, 1]], collation: {locale: en, strength: 2}}\n"
    assert fired(shape(index, "    filter: {handle: ada}\n"), "DATA-104")
    assert not fired(shape(index, "    filter: {handle: ada}\n    collation: {locale: en, strength: 2}\n"), "DATA-104")


def test_collation_mismatch_does_not_matter_for_non_strings() -> None:
    index = "  - {name: s, key: [[score, 1]], collation: {locale: fr}}\n"
    assert not fired(shape(index, "    filter: {score: {$gt: 3}}\n"), "DATA-104")


def test_collation_mismatch_blocks_a_sort_on_strings() -> None:
    index = "  - {name: t, key: [[title, 1]], collation: {locale: fr}}\n"
    assert fired(shape(index, "    limit: 5\n    sort: [[title, 1]]\n"), "DATA-106")
    assert not fired(shape(index, "    limit: 5\n    sort: [[title, 1]]\n    collation: {locale: fr}\n"), "DATA-106")


def test_simple_locale_is_the_same_as_no_collation() -> None:
    index = "  - {name: h, key: [[handle, 1]], collation: {locale: simple}}\n"
    assert not fired(shape(index, "    filter: {handle: ada}\n"), "DATA-104")


# --- regex ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "bounded"),
    [
        ('{$regex: "^ada"}', True),
        ('{$regex: "\\\\Aada"}', True),
        ('{$regex: "ada"}', False),
        ('{$regex: "^ada", $options: i}', False),
        ('{$regex: "(?i)^ada"}', False),
        ('{$regex: "^.*ada"}', False),
    ],
)
def test_regex_is_served_only_anchored_and_case_sensitive(condition: str, bounded: bool) -> None:
    text = shape("  - {name: h, key: [[handle, 1]]}\n", f"    filter: {{handle: {condition}}}\n")
    assert bool(fired(text, "DATA-104")) is not bounded
    assert bool(fired(text, "DATA-113")) is not bounded


def test_regex_cannot_use_an_index_with_a_collation() -> None:
    index = "  - {name: h, key: [[handle, 1]], collation: {locale: en, strength: 2}}\n"
    query = '    filter: {handle: {$regex: "^ada"}}\n    collation: {locale: en, strength: 2}\n'
    assert fired(shape(index, query), "DATA-104")


# --- negations -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "condition", ["{$ne: 1}", "{$nin: [1, 2]}", "{$not: {$gt: 5}}", "{$exists: true}", "{$type: string}"]
)
def test_negations_and_existence_are_not_selective(condition: str) -> None:
    text = shape("  - {name: s, key: [[score, 1]]}\n", f"    filter: {{score: {condition}}}\n")
    [finding] = fired(text, "DATA-104")
    assert "not selective" in finding.message


def test_a_negation_next_to_a_selective_condition_is_fine() -> None:
    text = shape("  - {name: a, key: [[authorId, 1]]}\n", "    filter: {authorId: 1, score: {$ne: 0}}\n")
    assert not fired(text, "DATA-104")


# --- hidden and special indexes -------------------------------------------------------------


def test_hidden_index_is_not_used() -> None:
    text = shape("  - {name: a, key: [[authorId, 1]], hidden: true}\n", "    filter: {authorId: 1}\n")
    assert fired(text, "DATA-104")


def test_text_index_serves_only_text_queries() -> None:
    index = "  - {name: t, key: [[title, text]]}\n"
    assert not fired(shape(index, "    filter: {$text: {$search: mongo}}\n"), "DATA-104")
    assert fired(shape(index, "    filter: {title: x}\n"), "DATA-104")


def test_hashed_index_serves_equality_only() -> None:
    index = "  - {name: h, key: [[authorId, hashed]]}\n"
    assert not fired(shape(index, "    filter: {authorId: 1}\n"), "DATA-104")
    assert fired(shape(index, "    filter: {authorId: {$gt: 1}}\n"), "DATA-104")


def test_geo_query_needs_a_2dsphere_index() -> None:
    near = "    filter: {loc: {$near: {$geometry: {type: Point, coordinates: [0, 0]}}}}\n"
    assert not fired(shape("  - {name: g, key: [[loc, 2dsphere]]}\n", near), "DATA-104")
    assert fired(shape("  - {name: g, key: [[loc, 1]]}\n", near), "DATA-104")
