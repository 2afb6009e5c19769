"""Reporters turn a :class:`~checks.findings.Report` into text, JSON, SARIF, JUnit or Markdown.

Reporters know nothing about engines; they read findings and the rule registry only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from checks.findings import Report
from checks.registry import Registry


class RenderContext(NamedTuple):
    """What every reporter may use besides the findings.

    The ``registry`` of rules, the ``docs_url`` their pages live under, whether to ``color`` text, and the
    ``fail_on`` level. A named tuple rather than a frozen dataclass, which costs 0.2–0.45 ms to create on
    Python 3.11 (start-up is most of a small lint).
    """

    registry: Registry
    docs_url: str
    color: bool = False
    fail_on: str = "error"

    def rule_url(self, rule_id: str) -> str:
        """Absolute URL of a rule's page."""
        return f"{self.docs_url.rstrip('/')}/rules/{rule_id}/"


Reporter = Callable[[Report, RenderContext], str]


FORMATS = ("text", "json", "sarif", "junit", "markdown")
_MODULES = {"text": "text", "json": "json_report", "sarif": "sarif", "junit": "junit", "markdown": "markdown"}


def reporter(name: str) -> Reporter:
    """The reporter of one output format, importing only its module."""
    import importlib

    module = importlib.import_module(f"{__name__}.{_MODULES[name]}")
    render: Reporter = module.render
    return render


def reporters() -> dict[str, Reporter]:
    """Every output format by name."""
    return {name: reporter(name) for name in FORMATS}
