"""The one findings model every engine reports in and every reporter reads.

The records are a named tuple and plain slotted classes rather than dataclasses: this module is imported
by every ``handbook`` command, and on Python 3.11 each dataclass costs 0.2–0.45 ms to create (and the
``dataclasses`` module imports :mod:`inspect`), which shows in the start-up of a small lint.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

from checks.records import Frozen


class Severity(StrEnum):
    """How serious a finding is; ordered ``info < warning < error``."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        """Numeric order used to compare against ``--fail-on``."""
        return {"info": 0, "warning": 1, "error": 2}[self.value]


class Location(NamedTuple):
    """Where a finding is: a file position (``file``, ``line``, ``column``) and/or a JSON ``pointer`` or
    ``logical`` name; every field defaults to ``None``.
    """

    file: str | None = None
    line: int | None = None
    column: int | None = None
    pointer: str | None = None
    logical: str | None = None

    def render(self) -> str:
        """``file:line:col`` followed by the pointer or logical name when known."""
        parts = [p for p in (self.file, self.line, self.column) if p is not None]
        text = ":".join(str(p) for p in parts)
        name = self.pointer if self.pointer is not None else self.logical
        if name:
            text = f"{text} {name}" if text else name
        return text


class Finding(Frozen):
    """One rule violation found by one engine.

    A value: immutable, and equal (and hashed alike) when all but ``details`` are equal.
    """

    __slots__ = ("details", "engine", "location", "message", "rule_id", "severity")
    _FIELDS = ("rule_id", "severity", "message", "location", "engine", "details")
    _COMPARED = ("rule_id", "severity", "message", "location", "engine")

    rule_id: str
    severity: Severity
    message: str
    location: Location
    engine: str
    details: dict[str, str]
    """Engine-specific facts (``{"change": "operation-removed"}``); a new dict when not given."""

    def __init__(
        self,
        rule_id: str,
        severity: Severity,
        message: str,
        location: Location,
        engine: str,
        details: dict[str, str] | None = None,
    ) -> None:
        init = object.__setattr__
        init(self, "rule_id", rule_id)
        init(self, "severity", severity)
        init(self, "message", message)
        init(self, "location", location)
        init(self, "engine", engine)
        init(self, "details", {} if details is None else details)

    def sort_key(self) -> tuple[str, int, int, str, str]:
        """Stable order: file, line, column, rule, message."""
        loc = self.location
        return (loc.file or "", loc.line or 0, loc.column or 0, self.rule_id, self.message)


class Report:
    """Findings of one run together with what was checked; each list is a new one when not given."""

    __slots__ = ("engines", "findings", "inputs", "rules_checked", "waived")

    def __init__(
        self,
        findings: list[Finding] | None = None,
        engines: list[str] | None = None,
        rules_checked: list[str] | None = None,
        inputs: list[str] | None = None,
        waived: int = 0,
    ) -> None:
        self.findings: list[Finding] = [] if findings is None else findings
        self.engines: list[str] = [] if engines is None else engines
        self.rules_checked: list[str] = [] if rules_checked is None else rules_checked
        self.inputs: list[str] = [] if inputs is None else inputs
        self.waived = waived

    def merge(self, other: Report) -> None:
        """Add another engine's report to this one."""
        self.findings.extend(other.findings)
        for name in other.engines:
            if name not in self.engines:
                self.engines.append(name)
        for rid in other.rules_checked:
            if rid not in self.rules_checked:
                self.rules_checked.append(rid)
        self.inputs.extend(i for i in other.inputs if i not in self.inputs)
        self.waived += other.waived

    def sorted_findings(self) -> list[Finding]:
        """Findings in a stable, reader-friendly order."""
        return sorted(self.findings, key=Finding.sort_key)

    def counts(self) -> dict[Severity, int]:
        """Number of findings per severity."""
        out = dict.fromkeys(Severity, 0)
        for f in self.findings:
            out[f.severity] += 1
        return out

    def fails(self, fail_on: str) -> bool:
        """True when some finding reaches the ``--fail-on`` level."""
        if fail_on == "never":
            return False
        threshold = Severity(fail_on).rank
        return any(f.severity.rank >= threshold for f in self.findings)
