"""MkDocs hook: build the rule pages, catalog, scorecard and CLI reference from the rule registry.

Nothing a rule says is written in ``docs/``: prose pages carry markers that this hook fills in.

- ``<!-- rules:AREA -->`` becomes the table of that area's rules (``AREA`` is ``api``, ``security``, …).
- ``[[API-102]]`` becomes a link to the rule's page, with its title as tooltip; an unknown ID fails the build.
- ``<!-- engine-modules -->`` becomes mkdocstrings directives for every check engine's modules.
- ``<!-- role-matrix -->``, ``<!-- operation-permissions -->``, ``<!-- rate-limit-policies -->`` and
  ``<!-- operation-rate-limits -->`` become tables read from the reference service's code.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.livereload import LiveReloadServer
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from sitegen.api_reference import engine_directives
from sitegen.catalog import CATALOG_SRC, area_rules_markdown, catalog_markdown, rules_nav
from sitegen.cli_reference import cli_markdown
from sitegen.links import edit_url, relative, rule_src
from sitegen.ratelimits import RATE_LIMIT_MARKERS
from sitegen.roles import ROLE_MARKERS
from sitegen.rule_pages import rule_markdown
from sitegen.scorecard import SCORECARD_SRC, run_scorecard, scorecard_markdown

from checks.errors import HandbookError
from checks.registry import Registry, load_registry
from checks.rules import Area

log = logging.getLogger("mkdocs.hooks.handbook_site")

ROOT = Path(__file__).resolve().parents[2]
CLI_SRC = "reference/cli.md"
AREA_MARKER = re.compile(r"<!--\s*rules:([a-z]+)\s*-->")
RULE_REF = re.compile(r"\[\[((?:API|SEC|DATA|REL|OBS|QUAL)-\d{3})\]\]")
ENGINE_MARKER = "<!-- engine-modules -->"
CODE_MARKERS = {**ROLE_MARKERS, **RATE_LIMIT_MARKERS}

_state: dict[str, Registry] = {}


def registry() -> Registry:
    """The registry read at the start of this build."""
    return _state["registry"]


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Read the registry afresh and expand the *Rules* navigation entry into one page per rule."""
    try:
        _state["registry"] = load_registry(ROOT / "standards")
    except HandbookError as exc:
        raise PluginError(f"rule registry: {exc.render()}") from None
    nav = config.nav or []
    for index, entry in enumerate(nav):
        if isinstance(entry, dict) and entry.get("Rules") == CATALOG_SRC:
            nav[index] = {"Rules": rules_nav(registry())}
    return config


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the generated pages to the site."""
    generated = {CATALOG_SRC: catalog_markdown(registry()), CLI_SRC: cli_markdown()}
    try:
        for rule in registry():
            generated[rule_src(rule.id)] = rule_markdown(rule)
        card = run_scorecard(ROOT, registry())
    except HandbookError as exc:
        raise PluginError(exc.render()) from None
    generated[SCORECARD_SRC] = scorecard_markdown(card, registry(), ROOT)
    for name, message in card.errors.items():
        log.info("scorecard: %s could not run: %s", name, message)
    for src, content in generated.items():
        if files.get_file_from_path(src) is not None:
            raise PluginError(f"docs/{src} is generated from the registry; delete the file from docs/")
        files.append(File.generated(config, src, content=content))
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Fill in the markers of hand-written pages; point generated pages' edit links at their sources."""
    src = page.file.src_uri
    if src.startswith("rules/") and src != CATALOG_SRC:
        rule_id = Path(src).stem
        page.edit_url = edit_url(registry().source_of(rule_id))
    elif src == CLI_SRC:
        page.edit_url = edit_url("checks/cli.py")
    elif src in (CATALOG_SRC, SCORECARD_SRC):
        page.edit_url = None
    markdown = AREA_MARKER.sub(lambda m: _area_rules(m, src), markdown)
    markdown = RULE_REF.sub(lambda m: _rule_ref(m, src), markdown)
    if ENGINE_MARKER in markdown:
        markdown = markdown.replace(ENGINE_MARKER, engine_directives())
    for marker, render in CODE_MARKERS.items():
        if marker in markdown:
            markdown = markdown.replace(marker, render())
    return markdown


def on_serve(server: LiveReloadServer, config: MkDocsConfig, builder: Any) -> LiveReloadServer:
    """Rebuild when a rule, an engine or the CLI changes, not only when a docs page does."""
    for folder in ("standards", "checks"):
        server.watch(str(ROOT / folder))
    return server


def _area_rules(match: re.Match[str], src: str) -> str:
    try:
        area = Area(match[1])
    except ValueError:
        raise PluginError(f"docs/{src}: unknown area {match[1]!r} in {match[0]}") from None
    return area_rules_markdown(registry(), area, src)


def _rule_ref(match: re.Match[str], src: str) -> str:
    rule_id = match[1]
    if rule_id not in registry():
        log.warning("docs/%s: [[%s]] names no rule in the registry", src, rule_id)
        return rule_id
    rule = registry().get(rule_id)
    title = rule.title.replace('"', "'")
    return f'[{rule.id}]({relative(src, rule_src(rule.id))} "{rule.id}: {title}")'
