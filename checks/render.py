"""Render a rule as Markdown: the one text used by its site page and by ``handbook rules ID``."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

from checks import pointer as jp
from checks.errors import RegistryError
from checks.registry import PROJECT_ROOT
from checks.rules import Rule, SatisfiedBy
from checks.sources import Document

LinkFn = Callable[[str], str]


def plain_link(path: str) -> str:
    """Link target for a project file when no site is involved: the path itself."""
    return path


def rule_page(rule: Rule, *, link: LinkFn = plain_link) -> str:
    """The page of ``rule``, with its engine's usage line and the check's source file."""
    from checks.engines import engine_names, get_engine

    engine = get_engine(rule.enforced.engine) if rule.enforced.engine in engine_names() else None
    if engine is None or rule.enforced.key is None:
        return rule_markdown(rule, link=link)
    return rule_markdown(rule, link=link, check_source=engine.source_of(rule.enforced.key), usage=engine.usage)


def rule_markdown(
    rule: Rule, *, link: LinkFn = plain_link, check_source: str | None = None, usage: str | None = None
) -> str:
    """The full page of one rule in fixed sections."""
    enforced = rule.enforced
    how = "human review" if enforced.is_review else f"`handbook check {enforced.engine}` (check `{enforced.key}`)"
    out = [
        f"# {rule.id}: {rule.title}",
        "",
        f"**{rule.level.value}** · {rule.area.title} · enforced by {how}",
        "",
        rule.summary.strip(),
        "",
        "## Why",
        "",
        rule.rationale.strip(),
        "",
    ]
    for label, example in (("Bad", rule.examples.bad), ("Good", rule.examples.good)):
        out += [f"## {label} example", ""]
        if example.note:
            out += [example.note.strip(), ""]
        out += [f"```{example.lang}", example.code.rstrip("\n"), "```", ""]
    out += ["## How it is checked", ""]
    if enforced.is_review:
        out += ["No machine can judge this rule; the reviewer works through this checklist:", ""]
        out += [f"- [ ] {item}" for item in enforced.checklist]
    else:
        command = usage or f"handbook check {enforced.engine}"
        out += [f"Run `{command}`. Findings carry the ID `{rule.id}` at severity `{rule.severity.value}`."]
        if check_source:
            out += ["", f"The check's source: [`{check_source}`]({link(check_source)})."]
    out.append("")
    if rule.satisfied_by:
        out += ["## In the reference service", ""]
        for place in rule.satisfied_by:
            title, lang, code = satisfied_snippet(place)
            out += [f"[`{title}`]({link(place.file)})" + (f": {place.note.strip()}" if place.note else ""), ""]
            out += [f"```{lang}", code.rstrip("\n"), "```", ""]
    if rule.references:
        out += ["## References", ""]
        out += [f"- [{ref.title}]({ref.url})" for ref in rule.references]
        out.append("")
    return "\n".join(out)


def satisfied_snippet(place: SatisfiedBy, *, root: Path = PROJECT_ROOT, max_lines: int = 40) -> tuple[str, str, str]:
    """Return (title, language, code) of the reference code a rule points at; raise if it is gone."""
    path = root / place.file
    if not path.is_file():
        raise RegistryError(f"satisfied_by: {place.file} does not exist")
    if place.pointer is not None:
        doc = Document.load(path, display=place.file)
        try:
            value = jp.resolve(doc.data, place.pointer)
        except KeyError:
            raise RegistryError(f"satisfied_by: {place.file} has nothing at {place.pointer}") from None
        import yaml  # only for the site and `handbook rules ID`, not for the checks

        key = jp.split(place.pointer)[-1] if place.pointer else None
        body = yaml.safe_dump({key: value} if key else value, sort_keys=False, allow_unicode=True, width=100)
        return f"{place.file}#{place.pointer}", "yaml", _clip(body, max_lines)
    if place.symbol is not None:
        source = path.read_text(encoding="utf-8")
        node = _find_symbol(ast.parse(source), place.symbol)
        if node is None:
            raise RegistryError(f"satisfied_by: {place.file} defines no {place.symbol}")
        lines = source.splitlines()[node.lineno - 1 - len(node.decorator_list) : node.end_lineno]
        lang = "python" if path.suffix == ".py" else "text"
        return f"{place.file}:{node.lineno} {place.symbol}", lang, _clip("\n".join(lines), max_lines)
    text = path.read_text(encoding="utf-8")
    lang = {".py": "python", ".ts": "typescript", ".yaml": "yaml", ".yml": "yaml", ".toml": "toml"}.get(
        path.suffix, "text"
    )
    return place.file, lang, _clip(text, max_lines)


def _find_symbol(tree: ast.Module, dotted: str) -> ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | None:
    scope: list[ast.stmt] = tree.body
    found = None
    for part in dotted.split("."):
        found = next(
            (
                n
                for n in scope
                if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and n.name == part
            ),
            None,
        )
        if found is None:
            return None
        scope = found.body
    return found


def _clip(text: str, max_lines: int) -> str:
    lines = text.rstrip("\n").splitlines()
    if len(lines) <= max_lines:
        return "\n".join(lines)
    return "\n".join([*lines[:max_lines], f"# … {len(lines) - max_lines} more lines"])
