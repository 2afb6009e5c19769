"""API-121: server URLs use HTTPS (loopback development servers excepted)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlparse

from checks.engines.openapi.lint import Violation, check
from checks.engines.openapi.spec import Spec, Where

LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


@check("https-servers")
def https_servers(spec: Spec) -> Iterator[Violation]:
    """Flag ``http://`` (and other non-HTTPS) server URLs that are not loopback addresses."""
    holders: list[tuple[object, Where]] = [(spec.data.get("servers"), Where(spec.root, "/servers"))]
    for op in spec.operations():
        holders.append((op.node.get("servers"), op.where.child("servers")))
    for servers, where in holders:
        if not isinstance(servers, list):
            continue
        for i, server in enumerate(servers):
            url = server.get("url") if isinstance(server, dict) else None
            if not isinstance(url, str) or "{" in url.split("://", 1)[0]:
                continue
            parsed = urlparse(url)
            if not parsed.scheme or parsed.scheme == "https" or (parsed.hostname or "") in LOOPBACK:
                continue
            yield Violation(f"server {url!r} does not use https", where.child(i, "url"))
