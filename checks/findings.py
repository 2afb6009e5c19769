"""The one findings model every engine reports in and every reporter reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    """How serious a finding is; ordered ``info < warning < error``."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        """Numeric order used to compare against ``--fail-on``."""
        return {"info": 0, "warning": 1, "error": 2}[self.value]


@dataclass(frozen=True, slots=True)
class Location:
    """Where a finding is: a file position and/or a JSON pointer or logical name."""

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


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule violation found by one engine."""

    rule_id: str
    severity: Severity
    message: str
    location: Location
    engine: str
    details: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def sort_key(self) -> tuple[str, int, int, str, str]:
        """Stable order: file, line, column, rule, message."""
        loc = self.location
        return (loc.file or "", loc.line or 0, loc.column or 0, self.rule_id, self.message)


@dataclass(slots=True)
class Report:
    """Findings of one run together with what was checked."""

    findings: list[Finding] = field(default_factory=list)
    engines: list[str] = field(default_factory=list)
    rules_checked: list[str] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    waived: int = 0

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
