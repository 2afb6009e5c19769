"""Audit small manifests written inline in the tests."""

from __future__ import annotations

import textwrap

from checks.engines.mongo.audit import Limits, audit
from checks.engines.mongo.manifest import Manifest
from checks.findings import Finding


def findings(text: str, *, limits: Limits | None = None) -> list[Finding]:
    """Audit manifest text with every rule."""
    return audit(Manifest.from_text(textwrap.dedent(text), name="manifest.yaml"), limits=limits)


def fired(text: str, rule_id: str) -> list[Finding]:
    """The findings of one rule."""
    return [f for f in findings(text) if f.rule_id == rule_id]


def collection(body: str, *, name: str = "posts", documents: int = 2_000_000) -> str:
    """A one-collection manifest; ``body`` holds the collection's other keys, unindented."""
    inner = textwrap.indent(textwrap.dedent(body).strip("\n"), " " * 4)
    return f"collections:\n  - name: {name}\n    documents: {documents}\n{inner}\n"
