"""A Markdown summary for a pull-request comment: verdict, findings table, review checklists."""

from __future__ import annotations

from checks.findings import Report, Severity
from checks.reporters import RenderContext

_ICON = {Severity.ERROR: "🔴", Severity.WARNING: "🟡", Severity.INFO: "🔵"}


def render(report: Report, ctx: RenderContext) -> str:
    """Report as GitHub-flavoured Markdown."""
    findings = report.sorted_findings()
    failed = report.fails(ctx.fail_on)
    counts = report.counts()
    verdict = "❌ **Handbook checks failed**" if failed else "✅ **Handbook checks passed**"
    tally = ", ".join(f"{counts[s]} {s.value}" for s in reversed(Severity))
    lines = [
        "## Backend Engineering Handbook",
        "",
        f"{verdict}: {len(findings)} finding{'s' if len(findings) != 1 else ''} ({tally}); "
        f"{len(report.rules_checked)} rules checked by {', '.join(f'`{e}`' for e in report.engines) or 'no engine'}"
        + (f"; {report.waived} waived" if report.waived else "")
        + ".",
        "",
    ]
    if findings:
        lines += ["| | Rule | Location | Message |", "|---|---|---|---|"]
        for f in findings:
            loc = f.location
            where = ":".join(str(p) for p in (loc.file, loc.line) if p is not None)
            name = loc.pointer if loc.pointer is not None else loc.logical
            if name:
                where = f"{where} `{name}`" if where else f"`{name}`"
            message = _cell(f.message)
            for key, value in f.details.items():
                message += f"<br>{_cell(key)}: `{_cell(value)}`"
            lines.append(
                f"| {_ICON[f.severity]} | [{f.rule_id}]({ctx.rule_url(f.rule_id)}) | {_cell(where)} | {message} |"
            )
        lines.append("")
    changes = [f for f in findings if f.details.get("change")]
    if changes:
        lines += ["### Changelog", ""]
        lines += [f"- **{f.details['change']}**: {f.message}" for f in changes]
        lines.append("")
    review = [r for r in ctx.registry if r.enforced.is_review and r.area.value in _areas(report, ctx)]
    if review:
        lines += ["### Review checklist", "", "Rules no machine can judge; the reviewer ticks them:", ""]
        for rule in review:
            lines.append(f"**[{rule.id}]({ctx.rule_url(rule.id)})** {rule.title} ({rule.level.value})")
            lines.append("")
            lines += [f"- [ ] {item}" for item in rule.enforced.checklist]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _areas(report: Report, ctx: RenderContext) -> set[str]:
    return {ctx.registry.get(r).area.value for r in report.rules_checked if r in ctx.registry}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
