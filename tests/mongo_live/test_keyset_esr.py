"""ESR: a range on the leading sort field is keyset paging, not a violation; a range before another sort field is."""

from __future__ import annotations

from tests.mongo.helpers import collection, fired

KEYSET = """
indexes:
  - name: feed
    key: [[created_at, -1], [_id, -1]]
queries:
  after:
    filter: {created_at: {$lte: 5}, $or: [{created_at: {$lt: 5}}, {_id: {$lt: 9}}]}
    sort: [[created_at, -1], [_id, -1]]
    limit: 20
    projection: {title: 1}
"""

RANGE_BEFORE_SORT = """
indexes:
  - name: by_time_title
    key: [[created_at, -1], [title, 1]]
queries:
  titles:
    filter: {created_at: {$lt: 5}}
    sort: [[title, 1]]
    limit: 20
    projection: {title: 1}
"""


def test_range_on_the_leading_sort_field_is_fine() -> None:
    assert fired(collection(KEYSET), "DATA-105") == []
    assert fired(collection(KEYSET), "DATA-106") == []


def test_range_before_another_sort_field_is_reported() -> None:
    assert fired(collection(RANGE_BEFORE_SORT), "DATA-105")
