"""Where things live: the repository on GitHub and relative links between docs pages."""

from __future__ import annotations

import posixpath

REPO_URL = "https://github.com/backend-handbook/handbook"
BRANCH = "main"


def blob_url(path: str) -> str:
    """URL of a project file (path relative to the repository root) on GitHub."""
    return f"{REPO_URL}/blob/{BRANCH}/{path.lstrip('/')}"


def edit_url(path: str) -> str:
    """URL of GitHub's editor for a project file."""
    return f"{REPO_URL}/edit/{BRANCH}/{path.lstrip('/')}"


def relative(from_src: str, to_src: str) -> str:
    """Link from the docs file ``from_src`` to the docs file ``to_src`` (both relative to ``docs/``)."""
    return posixpath.relpath(to_src, posixpath.dirname(from_src) or ".")


def rule_src(rule_id: str) -> str:
    """Source path, below ``docs/``, of a rule's generated page."""
    return f"rules/{rule_id}.md"
