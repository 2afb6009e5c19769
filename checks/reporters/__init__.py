"""Reporters turn a :class:`~checks.findings.Report` into text, JSON, SARIF, JUnit or Markdown.

Reporters know nothing about engines; they read findings and the rule registry only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from checks.findings import Report
from checks.registry import Registry


@dataclass(frozen=True)
class RenderContext:
    """What every reporter may use besides the findings."""

    registry: Registry
    docs_url: str
    color: bool = False
    fail_on: str = "error"

    def rule_url(self, rule_id: str) -> str:
        """Absolute URL of a rule's page."""
        return f"{self.docs_url.rstrip('/')}/rules/{rule_id}/"


Reporter = Callable[[Report, RenderContext], str]


def reporters() -> dict[str, Reporter]:
    """Every output format by name."""
    from checks.reporters import json_report, junit, markdown, sarif, text

    return {
        "text": text.render,
        "json": json_report.render,
        "sarif": sarif.render,
        "junit": junit.render,
        "markdown": markdown.render,
    }
