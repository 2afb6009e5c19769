"""The rule catalog, the per-area rule lists and the Rules section of the navigation."""

from __future__ import annotations

from collections import Counter
from typing import Any

from checks.registry import Registry
from checks.rules import Area, Rule
from sitegen.links import relative, rule_src

CATALOG_SRC = "rules/index.md"


def enforcement(rule: Rule) -> str:
    """How a rule is enforced, as a short Markdown label."""
    if rule.enforced.is_review:
        return "review checklist"
    return f"`{rule.enforced.engine}:{rule.enforced.key}`"


def rule_link(rule: Rule, from_src: str, *, title: bool = False) -> str:
    """Markdown link to a rule's page from the docs page ``from_src``."""
    text = f"{rule.id} · {rule.title}" if title else rule.id
    return f"[{text}]({relative(from_src, rule_src(rule.id))})"


def catalog_markdown(registry: Registry) -> str:
    """The Rules index page: counts, then one filterable table row per rule."""
    rules = list(registry)
    levels = Counter(r.level.value for r in rules)
    review = sum(1 for r in rules if r.enforced.is_review)
    out = [
        "# Rules",
        "",
        f"The registry holds **{len(rules)} rules**: "
        + ", ".join(f"{levels.get(level, 0)} {level}" for level in ("MUST", "SHOULD", "MAY"))
        + f". {len(rules) - review} are enforced by a check engine, {review} by a reviewer's checklist.",
        "Each rule is defined once in `standards/<area>/<ID>-<slug>.yaml`; this table and every rule page "
        "are generated from those files when the site is built.",
        "",
        "MUST findings are errors, SHOULD findings warnings and MAY findings information "
        "([RFC 2119](https://www.rfc-editor.org/rfc/rfc2119)). *Enforced by* names the engine and its check, "
        "run by `handbook check ENGINE`, or the reviewer's checklist.",
        "",
    ]
    if not rules:
        out += ["The registry is empty: no rule is defined under `standards/` yet.", ""]
        return "\n".join(out)
    out += [
        '<div class="rule-catalog" markdown>',
        "",
        "| Rule | Title | Level | Area | Enforced by |",
        "|---|---|---|---|---|",
    ]
    for rule in rules:
        out.append(
            f"| {rule_link(rule, CATALOG_SRC)} | {_cell(rule.title)} | {rule.level.value} "
            f"| {rule.area.title} | {enforcement(rule)} |"
        )
    out += ["", "</div>", ""]
    return "\n".join(out)


def area_rules_markdown(registry: Registry, area: Area, from_src: str) -> str:
    """The generated list of one area's rules, for the area's page."""
    rules = registry.select(area=area)
    if not rules:
        return (
            f"The registry has no rules for this area yet: no file exists under `standards/{area.value}/`, "
            "so nothing here is checked by `handbook check` or listed on a review checklist. "
            "The principles above are guidance until rules are added; a new rule follows "
            "[ADR 0003](" + relative(from_src, "adr/0003-one-rule-registry.md") + ")."
        )
    out = ["| Rule | Level | Enforced by |", "|---|---|---|"]
    out += [f"| {rule_link(r, from_src, title=True)} | {r.level.value} | {enforcement(r)} |" for r in rules]
    return "\n".join(out)


def rules_nav(registry: Registry) -> list[Any]:
    """Navigation below *Rules*: the catalog, then the rule pages grouped by area."""
    nav: list[Any] = [CATALOG_SRC]
    for area in Area:
        rules = registry.select(area=area)
        if rules:
            nav.append({area.title: [{f"{r.id} {r.title}": rule_src(r.id)} for r in rules]})
    return nav


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
