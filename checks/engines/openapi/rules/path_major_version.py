"""API-102: every path carries a major version segment (``/v1/…``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlparse

from checks.engines.openapi.lint import Violation, check
from checks.engines.openapi.spec import Spec, Where

VERSIONED_PATH = re.compile(r"^/v[1-9][0-9]*(/|$)")
VERSIONED_BASE = re.compile(r"/v[1-9][0-9]*/?$")


@check("path-major-version")
def path_major_version(spec: Spec) -> Iterator[Violation]:
    """Flag paths without ``/vN`` unless every server URL already ends in ``/vN``."""
    paths = spec.data.get("paths")
    if not isinstance(paths, dict) or _servers_carry_version(spec):
        return
    for path in paths:
        if not VERSIONED_PATH.match(str(path)):
            yield Violation(
                f"path {path!r} has no major version segment; start it with /v1/ (or the current major)",
                Where(spec.root, "/paths").child(str(path)),
            )


def _servers_carry_version(spec: Spec) -> bool:
    servers = spec.data.get("servers")
    if not isinstance(servers, list) or not servers:
        return False
    urls = [s.get("url") for s in servers if isinstance(s, dict)]
    return bool(urls) and all(isinstance(u, str) and VERSIONED_BASE.search(urlparse(u).path) for u in urls)
