"""The deprecated ``GET /v1/feed`` serves the feed and announces its deprecation and sunset in headers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from email.utils import parsedate_to_datetime
from typing import Any

from .conftest import CheckedClient

Auth = Callable[..., dict[str, str]]


def test_feed_returns_the_posts_pages_with_deprecation_headers(
    client: CheckedClient, auth: Auth, document: dict[str, Any]
) -> None:
    client.post("/v1/posts", json={"title": "Hello", "body": "First post."}, headers=auth("alice"))
    feed = client.get("/v1/feed", params={"limit": 5})
    posts = client.get("/v1/posts", params={"limit": 5})
    assert feed.status_code == 200
    assert feed.json() == posts.json()
    operation = document["paths"]["/v1/feed"]["get"]
    assert operation["deprecated"] is True
    sunset = parsedate_to_datetime(feed.headers["sunset"])
    assert sunset.date() == date.fromisoformat(str(operation["x-sunset"]))
    assert feed.headers["deprecation"].startswith("@")
    assert int(feed.headers["deprecation"][1:]) < sunset.timestamp()
    assert 'rel="successor-version"' in feed.headers["link"]
    assert "deprecation" not in posts.headers
