"""Terminal output: findings grouped by file, coloured by severity, with a summary line."""

from __future__ import annotations

from itertools import groupby

from checks.findings import Report, Severity
from checks.reporters import RenderContext

_COLORS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
_FOREGROUND = {"red": 31, "green": 32, "yellow": 33, "cyan": 36}
"""ANSI SGR codes of the foreground colours used."""


def sgr(text: str, *, fg: str | None = None, bold: bool = False, dim: bool = False, underline: bool = False) -> str:
    """``text`` in ANSI SGR styles: each style its own sequence, colour first, then one reset."""
    codes = [_FOREGROUND[fg]] if fg else []
    codes += [code for code, on in ((1, bold), (2, dim), (4, underline)) if on]
    return "".join(f"\x1b[{code}m" for code in codes) + text + "\x1b[0m"


def render(report: Report, ctx: RenderContext) -> str:
    """Human-readable report."""

    def style(
        text: str, *, fg: str | None = None, bold: bool = False, dim: bool = False, underline: bool = False
    ) -> str:
        return sgr(text, fg=fg, bold=bold, dim=dim, underline=underline) if ctx.color else text

    lines: list[str] = []
    findings = report.sorted_findings()
    for file, group in groupby(findings, key=lambda f: f.location.file or "(no file)"):
        lines.append(style(file, bold=True, underline=True))
        for f in group:
            loc = f.location
            pos = f"{loc.line or '-'}:{loc.column or '-'}"
            sev = style(f"{f.severity.value:<7}", fg=_COLORS[f.severity], bold=True)
            name = loc.pointer if loc.pointer is not None else (loc.logical or "")
            lines.append(f"  {pos:>9}  {sev}  {style(f.rule_id, bold=True)}  {f.message}")
            if name:
                lines.append(f"{'':>22}{style('at ' + name, dim=True)}")
            for key, value in f.details.items():
                lines.append(f"{'':>22}{style(key + ':', dim=True)} {value}")
        lines.append("")
    counts = report.counts()
    total = len(findings)
    if total == 0:
        summary = style("No findings", fg="green", bold=True)
    else:
        parts = [f"{counts[s]} {s.value}{'s' if counts[s] != 1 else ''}" for s in reversed(Severity) if counts[s]]
        color = "red" if report.fails(ctx.fail_on) else "yellow"
        summary = style(f"{total} finding{'s' if total != 1 else ''} ({', '.join(parts)})", fg=color, bold=True)
    checked = f" · {len(report.rules_checked)} rules checked by {', '.join(report.engines) or 'no engine'}"
    waived = f" · {report.waived} waived" if report.waived else ""
    lines.append(summary + checked + waived)
    if findings:
        lines.append(style(f"Rule pages: {ctx.docs_url.rstrip('/')}/rules/<ID>/", dim=True))
    return "\n".join(lines) + "\n"
