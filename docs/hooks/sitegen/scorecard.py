"""Run the configured engines on this repository and report, rule by rule, whether it passes."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path

from checks.config import apply_waivers, load_config
from checks.engines import all_engines
from checks.errors import HandbookError
from checks.findings import Finding, Report
from checks.registry import Registry
from sitegen.catalog import rule_link

SCORECARD_SRC = "scorecard.md"
WAIVERS = "waivers"


class Status(StrEnum):
    """Outcome of one rule on the reference service."""

    PASS = "pass"  # noqa: S105 -- a status, not a password
    FAIL = "fail"
    REVIEW = "review"
    NOT_CHECKED = "not checked"


LABEL = {
    Status.PASS: ":material-check-circle:{ .hb-status--pass } pass",
    Status.FAIL: ":material-close-circle:{ .hb-status--fail } fail",
    Status.REVIEW: ":material-clipboard-check-outline:{ .hb-status--review } review",
    Status.NOT_CHECKED: ":material-minus-circle-outline:{ .hb-status--skip } not checked",
}


@dataclass
class Outcome:
    """One rule's row: its status, findings and why it was not checked."""

    rule_id: str
    status: Status
    findings: list[Finding] = field(default_factory=list)
    reason: str = ""


@dataclass
class Scorecard:
    """The result of one run of every configured engine."""

    ran_at: datetime
    config_file: str
    engines_run: list[str]
    engines_idle: list[str]
    errors: dict[str, str]
    outcomes: list[Outcome]
    waived: int = 0

    def count(self, status: Status) -> int:
        """How many rules have ``status``."""
        return sum(1 for o in self.outcomes if o.status == status)


def run_scorecard(root: Path, registry: Registry, *, today: date | None = None) -> Scorecard:
    """Load ``root/pyproject.toml``, run each configured engine, apply waivers, judge every rule."""
    ran_at = datetime.now(UTC)
    pyproject = root / "pyproject.toml"
    report = Report()
    errors: dict[str, str] = {}
    idle: list[str] = []
    try:
        config = load_config(pyproject)
    except HandbookError as exc:
        errors["config"] = exc.render()
        config = None
    if config is not None:
        for name, engine in all_engines().items():
            try:
                part = engine.run_configured(config)
            except HandbookError as exc:
                errors[name] = exc.render()
                continue
            if part is None:
                idle.append(name)
            else:
                report.merge(part)
        # Expired waivers are judged by apply_waivers on every report, whatever else is configured,
        # so the rules of the waivers engine are checked as soon as the configuration loads.
        waiver_rules = [r.id for r in registry.select(engine=WAIVERS)]
        if waiver_rules:
            report.merge(Report(engines=[WAIVERS], rules_checked=waiver_rules))
            idle = [name for name in idle if name != WAIVERS]
        report = apply_waivers(report, config, today=today)
    outcomes = [_judge(rule.id, registry, report, errors, idle) for rule in registry]
    return Scorecard(
        ran_at=ran_at,
        config_file="pyproject.toml",
        engines_run=list(report.engines),
        engines_idle=idle,
        errors=errors,
        outcomes=outcomes,
        waived=report.waived,
    )


def _judge(rule_id: str, registry: Registry, report: Report, errors: dict[str, str], idle: list[str]) -> Outcome:
    rule = registry.get(rule_id)
    engine = rule.enforced.engine
    if rule.enforced.is_review:
        return Outcome(rule_id, Status.REVIEW, reason="judged by a reviewer's checklist")
    if rule_id in report.rules_checked:
        found = [f for f in report.sorted_findings() if f.rule_id == rule_id]
        if found:
            return Outcome(rule_id, Status.FAIL, found)
        return Outcome(rule_id, Status.PASS, reason=f"checked by `{engine}`, no findings")
    if "config" in errors:
        return Outcome(rule_id, Status.NOT_CHECKED, reason="the configuration could not be read")
    if engine in errors:
        return Outcome(rule_id, Status.NOT_CHECKED, reason=f"engine `{engine}` could not run")
    if engine in idle:
        return Outcome(rule_id, Status.NOT_CHECKED, reason=f"no `[tool.handbook.{engine}]` section")
    if engine not in all_engines():
        return Outcome(rule_id, Status.NOT_CHECKED, reason=f"no engine named `{engine}` is installed")
    return Outcome(rule_id, Status.NOT_CHECKED, reason=f"engine `{engine}` did not report this rule")


def scorecard_markdown(card: Scorecard, registry: Registry, root: Path) -> str:
    """The Scorecard page."""
    engines = ", ".join(f"`{e}`" for e in card.engines_run) or "none"
    idle = ", ".join(f"`{e}`" for e in card.engines_idle) or "none"
    out = [
        "# Scorecard",
        "",
        "Every rule in the registry against the reference service, from running `handbook check all`'s engines "
        f"with the repository's own `[tool.handbook]` configuration (`{card.config_file}`) when this site was built.",
        "",
        f"- **Run at:** {card.ran_at:%Y-%m-%d %H:%M:%S} UTC",
        f"- **Engines run:** {engines}",
        f"- **Engines not configured:** {idle}",
        f"- **Findings waived:** {card.waived}",
        "- **Result:** "
        + ", ".join(f"{card.count(s)} {s.value}" for s in Status)
        + f" (of {len(card.outcomes)} rules)",
        "",
    ]
    for name, message in card.errors.items():
        what = "The configuration" if name == "config" else f"Engine `{name}`"
        out += [f'!!! failure "{what} could not run"', "", f"    `{_cell(_relative(message, root))}`", ""]
    out += [
        "*pass*: the check ran and found nothing. *fail*: it found the findings listed below. "
        "*review*: no machine judges the rule; a reviewer works through its checklist. "
        "*not checked*: no configured engine reported on the rule, for the reason given.",
        "",
    ]
    if not card.outcomes:
        out += ["The registry is empty: there is nothing to score.", ""]
        return "\n".join(out)
    out += ["| Rule | Title | Level | Status | Detail |", "|---|---|---|---|---|"]
    for outcome in card.outcomes:
        rule = registry.get(outcome.rule_id)
        status = LABEL[outcome.status]
        detail = outcome.reason
        if outcome.status is Status.FAIL:
            count = len(outcome.findings)
            status += f" ({count})"
            detail = f"[{count} finding{'s' if count != 1 else ''}](#{rule.id.lower()})"
        out.append(
            f"| {rule_link(rule, SCORECARD_SRC)} | {_cell(rule.title)} | {rule.level.value} | {status} | {detail} |"
        )
    out.append("")
    failing = [o for o in card.outcomes if o.status is Status.FAIL]
    if failing:
        out += ["## Findings", ""]
        for outcome in failing:
            out += [f"### {outcome.rule_id}", ""]
            for finding in outcome.findings:
                where = _relative(finding.location.render(), root)
                message = html.escape(_cell(finding.message), quote=False)
                out.append(f"- `{_cell(where)}` ({finding.severity.value}): {message}")
            out.append("")
    return "\n".join(out)


def _relative(text: str, root: Path) -> str:
    return text.replace(f"{root.resolve()}/", "")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").replace("`", "'")
