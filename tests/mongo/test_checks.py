"""Edge cases of the individual checks, beyond the rules' own examples."""

from __future__ import annotations

from checks.engines.mongo.audit import Limits
from tests.mongo.helpers import collection, findings, fired


def indexes(*lines: str) -> str:
    return collection("indexes:\n" + "".join(f"  - {line}\n" for line in lines))


# --- redundant indexes ---------------------------------------------------------------------------


def test_reversed_prefix_is_redundant() -> None:
    text = indexes("{name: a, key: [[a, -1], [b, 1]]}", "{name: abc, key: [[a, 1], [b, -1], [c, 1]]}")
    assert [f.location.logical for f in fired(text, "DATA-107")] == ["posts.indexes.a"]


def test_mixed_direction_prefix_is_not_redundant() -> None:
    text = indexes("{name: ab, key: [[a, 1], [b, 1]]}", "{name: abc, key: [[a, 1], [b, -1], [c, 1]]}")
    assert not fired(text, "DATA-107")


def test_different_options_are_not_redundant() -> None:
    text = indexes(
        "{name: a, key: [[a, 1]], unique: true}",
        "{name: a_ci, key: [[a, 1]], collation: {locale: en, strength: 2}}",
        "{name: a_part, key: [[a, 1]], partialFilterExpression: {x: 1}}",
        "{name: ab, key: [[a, 1], [b, 1]]}",
    )
    assert not fired(text, "DATA-107")


def test_hidden_indexes_and_id_are_not_judged() -> None:
    text = indexes("{name: a, key: [[a, 1]], hidden: true}", "{name: ab, key: [[a, 1], [b, 1]]}")
    assert not fired(text, "DATA-107")
    text = indexes("{name: id_x, key: [[_id, 1], [x, 1]]}")
    assert not fired(text, "DATA-107")


def test_exact_duplicate_is_reported_once_on_the_second() -> None:
    text = indexes("{name: one, key: [[a, 1]]}", "{name: two, key: [[a, 1]]}")
    [finding] = fired(text, "DATA-107")
    assert finding.location.logical == "posts.indexes.two" and "duplicates 'one'" in finding.message


# --- upserts -----------------------------------------------------------------------------------------


def upsert(index: str, filter_: str = "{a: 1, b: 2}", key: str = "[a, b]") -> str:
    return collection(
        f"indexes:\n  - {index}\nqueries:\n  up: {{op: updateOne, filter: {filter_}, upsertKey: {key}}}\n"
    )


def test_unique_index_on_a_subset_of_the_upsert_key_is_enough() -> None:
    assert not fired(upsert("{name: u, key: [[a, 1]], unique: true}"), "DATA-108")


def test_unique_index_with_extra_fields_is_not_enough() -> None:
    assert fired(upsert("{name: u, key: [[a, 1], [b, 1], [c, 1]], unique: true}"), "DATA-108")


def test_partial_unique_index_counts_only_when_implied() -> None:
    index = "{name: u, key: [[a, 1], [b, 1]], unique: true, partialFilterExpression: {live: true}}"
    assert fired(upsert(index), "DATA-108")
    assert not fired(upsert(index, "{a: 1, b: 2, live: true}"), "DATA-108")


def test_upsert_key_must_be_an_equality_of_the_filter() -> None:
    [finding] = fired(upsert("{name: u, key: [[a, 1], [b, 1]], unique: true}", "{a: 1, b: {$gt: 2}}"), "DATA-108")
    assert "'b' is not an equality" in finding.message


# --- naming ------------------------------------------------------------------------------------------


def names(*collections: str) -> str:
    return "collections:\n" + "".join(f"  - {{name: {n}, documents: 1}}\n" for n in collections)


def test_single_words_fit_either_convention() -> None:
    assert not fired(names("users", "posts", "chatRooms"), "DATA-103")
    assert not fired(names("users", "posts", "idempotency_keys"), "DATA-103")


def test_the_minority_convention_is_reported() -> None:
    found = fired(names("chatRooms", "userSessions", "idempotency_keys"), "DATA-103")
    assert [f.location.logical for f in found] == ["idempotency_keys"]


def test_names_of_neither_convention_are_reported() -> None:
    found = fired(names("Users", "post-likes"), "DATA-103")
    assert {f.location.logical for f in found} == {"Users", "post-likes"}


def test_dollar_field_names_are_reported_in_nested_schemas() -> None:
    text = collection(
        "validator:\n  $jsonSchema:\n    properties:\n      meta:\n        properties:\n"
        "          $price: {bsonType: int}\n"
    )
    [finding] = fired(text, "DATA-103")
    assert finding.location.logical == "posts.fields.meta.$price"


# --- limits and projections --------------------------------------------------------------------------


def test_point_lookups_need_no_limit_or_projection() -> None:
    text = collection(
        "indexes:\n  - {name: slug, key: [[slug, 1]], unique: true}\n"
        "queries:\n  bySlug: {filter: {slug: x}}\n  byId: {filter: {_id: 1}}\n  one: {op: findOne, filter: {t: 1}}\n"
        "  n: {op: count, filter: {t: 1}}\n"
    )
    assert not fired(text, "DATA-116") and not fired(text, "DATA-117")


def test_in_on_a_unique_field_is_a_list() -> None:
    text = collection("queries:\n  some: {filter: {_id: {$in: [1, 2]}}, projection: {a: 1}}\n")
    assert fired(text, "DATA-116")


def test_limit_zero_means_no_limit_and_the_cap_is_configurable() -> None:
    text = collection("queries:\n  q: {filter: {a: 1}, limit: 0, projection: {a: 1}}\n")
    assert "no limit" in fired(text, "DATA-116")[0].message
    text = collection("queries:\n  q: {filter: {a: 1}, limit: 2000, projection: {a: 1}}\n")
    assert fired(text, "DATA-116")
    assert not [f for f in findings(text, limits=Limits(max_limit=5000)) if f.rule_id == "DATA-116"]


# --- pipelines ---------------------------------------------------------------------------------------


def pipeline(*stages: str, extra: str = "", documents: int = 2_000_000, more: str = "") -> str:
    body = "pipelines:\n  p:\n" + extra + "    stages:\n" + "".join(f"      - {s}\n" for s in stages)
    return collection(body + more, documents=documents)


def test_match_after_geo_near_is_first() -> None:
    text = pipeline("{$geoNear: {near: [0, 0], distanceField: d}}", "{$match: {a: 1}}")
    assert not fired(text, "DATA-118")


def test_match_after_group_filters_groups() -> None:
    text = pipeline("{$group: {_id: $a, n: {$sum: 1}}}", "{$match: {n: {$gt: 1}}}", documents=10)
    assert not fired(text, "DATA-118")


def test_sort_on_a_joined_field_may_follow_the_join() -> None:
    text = pipeline(
        "{$match: {a: 1}}",
        "{$lookup: {from: posts, localField: a, foreignField: _id, as: parent}}",
        "{$sort: {parent.at: -1}}",
        "{$limit: 5}",
    )
    assert not fired(text, "DATA-119")


def test_lookup_on_id_or_an_index_prefix_is_indexed() -> None:
    text = pipeline(
        "{$match: {a: 1}}",
        "{$lookup: {from: posts, localField: a, foreignField: _id, as: x}}",
        "{$lookup: {from: posts, localField: a, foreignField: b, as: y}}",
        more="indexes:\n  - {name: b_c, key: [[b, 1], [c, 1]]}\n",
    )
    assert not fired(text, "DATA-120")


def test_lookup_through_a_sparse_or_partial_index_is_not_indexed() -> None:
    text = pipeline(
        "{$match: {a: 1}}",
        "{$lookup: {from: posts, localField: a, foreignField: b, as: y}}",
        "{$lookup: {from: posts, localField: a, foreignField: c, as: z}}",
        more=(
            "indexes:\n  - {name: b, key: [[b, 1]], sparse: true}\n"
            "  - {name: c, key: [[c, 1]], partialFilterExpression: {c: {$exists: true}}}\n"
        ),
    )
    assert len(fired(text, "DATA-120")) == 2


def test_group_on_a_small_collection_needs_no_match() -> None:
    assert not fired(pipeline("{$group: {_id: $a}}", documents=500), "DATA-121")
    assert fired(pipeline("{$count: n}"), "DATA-121")


def test_unwind_of_an_undeclared_field_before_group_is_reported() -> None:
    found = fired(pipeline("{$match: {a: 1}}", "{$unwind: {path: $x}}", "{$group: {_id: $x}}"), "DATA-122")
    assert "not declared as a bounded array" in found[0].message
    assert not fired(pipeline("{$match: {a: 1}}", "{$unwind: $x}"), "DATA-122")


def test_server_js_is_found_deep_in_pipelines() -> None:
    text = pipeline(
        "{$match: {a: 1}}",
        "{$group: {_id: $a, s: {$accumulator: {init: 'function() {}', accumulate: 'f', accumulateArgs: [], "
        "merge: 'f', lang: js}}}}",
        "{$facet: {x: [{$match: {$expr: {$function: {body: 'f', args: [], lang: js}}}}]}}",
    )
    assert {f.message.split("(")[1] for f in fired(text, "DATA-114")} == {"$accumulator)", "$function)"}


def test_skip_stage_is_reported() -> None:
    assert fired(pipeline("{$match: {a: 1}}", "{$skip: 20}", "{$limit: 10}"), "DATA-115")


def test_out_in_a_job_is_fine() -> None:
    assert not fired(pipeline("{$match: {a: 1}}", "{$out: x}", extra="    onRequestPath: false\n"), "DATA-123")
    assert fired(pipeline("{$match: {a: 1}}", "{$out: x}"), "DATA-123")


def test_pipeline_leading_match_must_be_indexed_on_large_collections() -> None:
    assert fired(pipeline("{$match: {a: 1}}", "{$limit: 5}"), "DATA-104")
    text = pipeline("{$match: {a: 1}}", "{$limit: 5}", more="indexes:\n  - {name: a, key: [[a, 1]]}\n")
    assert not fired(text, "DATA-104")


def test_pipeline_leading_sort_uses_the_index_order() -> None:
    text = pipeline("{$sort: {at: -1}}", "{$limit: 5}", more="indexes:\n  - {name: at, key: [[at, 1]]}\n")
    assert not fired(text, "DATA-104") and not fired(text, "DATA-106")
