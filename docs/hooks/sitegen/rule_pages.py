"""One page per rule: the text ``handbook rules ID`` prints, plus a link into the Python API reference."""

from __future__ import annotations

from checks.engines import all_engines
from checks.render import rule_page
from checks.rules import Rule
from sitegen.api_reference import API_SRC, check_identifier
from sitegen.links import blob_url, relative, rule_src

CHECK_HEADING = "## How it is checked"


def rule_markdown(rule: Rule) -> str:
    """The rule's page; project files link to GitHub, the check to its API entry."""
    text = rule_page(rule, link=blob_url)
    api = api_line(rule)
    if api is None:
        return text
    lines = text.split("\n")
    start = lines.index(CHECK_HEADING)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    return "\n".join([*lines[:end], "", api, *lines[end:]])


def api_line(rule: Rule) -> str | None:
    """Sentence linking the check's implementation on the Python API page, when it is documented there."""
    engine = all_engines().get(rule.enforced.engine)
    key = rule.enforced.key
    if engine is None or key is None:
        return None
    implemented = engine.keys()
    if key not in implemented:
        return None
    identifier = check_identifier(engine, key)
    if identifier is None:
        return None
    page = relative(rule_src(rule.id), API_SRC)
    return f"Its documentation: [`{identifier}`][{identifier}] in the [Python API reference]({page})."
