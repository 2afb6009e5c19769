"""Fixtures of the reliability tests, and a terminal summary of their invariant counts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

COUNTS: list[tuple[str, dict[str, int]]] = []


@pytest.fixture
def invariants(request: pytest.FixtureRequest) -> Iterator[Callable[..., None]]:
    """Record the invariant counts of a test; they are printed in the terminal summary."""

    def record(**counts: int) -> None:
        COUNTS.append((request.node.nodeid, counts))
        for name, value in counts.items():
            request.node.user_properties.append((name, value))

    yield record


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """One line per reliability test: published, effects, duplicates, dead letters, lost."""
    if not COUNTS:
        return
    terminalreporter.section("reliability invariants")
    for nodeid, counts in COUNTS:
        shown = "  ".join(f"{k}={v}" for k, v in counts.items())
        terminalreporter.write_line(f"{nodeid.split('::')[-1]}: {shown}")
