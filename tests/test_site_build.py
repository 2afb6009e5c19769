"""The handbook site builds with ``mkdocs build --strict`` and is generated from the rule registry."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest

from checks.engines import all_engines
from checks.registry import default_registry
from checks.rules import Area

ROOT = Path(__file__).resolve().parent.parent
HOOKS = ROOT / "docs" / "hooks"
SITE_FIXTURES = Path(__file__).resolve().parent / "site"
EXTERNAL = re.compile(
    r"""<script\b[^>]*\bsrc="(?:https?:)?//|<link\b[^>]*\brel="(?:stylesheet|preload|preconnect|modulepreload)"[^>]*"""
    r"""\bhref="(?:https?:)?//"""
)

if str(HOOKS) not in sys.path:
    sys.path.insert(0, str(HOOKS))

from sitegen.api_reference import check_identifier  # noqa: E402
from sitegen.catalog import area_rules_markdown, catalog_markdown, rules_nav  # noqa: E402
from sitegen.scorecard import Status, run_scorecard, scorecard_markdown  # noqa: E402


@dataclass
class Build:
    """One strict build of the site."""

    site: Path
    returncode: int
    log: str


def build_site(site: Path) -> Build:
    """Run ``mkdocs build --strict`` from the project root into ``site``."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", "mkdocs.yml", "--site-dir", str(site)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return Build(site=site, returncode=proc.returncode, log=proc.stdout + proc.stderr)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Build:
    return build_site(tmp_path_factory.mktemp("site"))


class _Links(HTMLParser):
    """Collects the ``href`` of every link and the text of the first ``<h1>``."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()
        self.h1 = ""
        self._in_h1 = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.hrefs.append(values["href"] or "")
        if values.get("id"):
            self.ids.add(values["id"] or "")
        if tag == "h1" and not self.h1:
            self._in_h1 = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "h1":
            self._in_h1 = False

    def handle_data(self, data: str) -> None:
        if self._in_h1:
            self.h1 += data


def parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def article(path: Path) -> str:
    """The page's main content as HTML."""
    html = path.read_text(encoding="utf-8")
    match = re.search(r"<article\b.*?</article>", html, re.S)
    assert match, f"{path} has no <article>"
    return match.group(0)


def test_strict_build_succeeds_without_warnings(built: Build) -> None:
    assert built.returncode == 0, built.log
    assert "WARNING" not in built.log
    assert (built.site / "index.html").is_file()


def test_every_rule_has_a_page_titled_by_its_definition(built: Build) -> None:
    registry = default_registry()
    assert len(registry) > 0
    for rule in registry:
        page = built.site / "rules" / rule.id / "index.html"
        assert page.is_file(), f"no page for {rule.id}"
        links = parse(page)
        assert rule.id in links.h1
        assert rule.title in links.h1.replace("\u00b6", "")
        edit = f"https://github.com/backend-handbook/handbook/edit/main/{registry.source_of(rule.id)}"
        assert edit in links.hrefs, f"{rule.id}: edit button does not open its YAML definition"


def test_rule_pages_link_checks_into_the_python_api(built: Build) -> None:
    api = parse(built.site / "reference" / "python-api" / "index.html")
    linked = 0
    for rule in default_registry():
        if rule.enforced.is_review:
            continue
        engine = all_engines()[rule.enforced.engine]
        links = parse(built.site / "rules" / rule.id / "index.html")
        source = f"https://github.com/backend-handbook/handbook/blob/main/{engine.source_of(rule.enforced.key or '')}"
        assert source in links.hrefs, f"{rule.id}: no link to the check's source"
        anchors = [h.split("#", 1)[1] for h in links.hrefs if "reference/python-api/#" in h]
        identifier = check_identifier(engine, rule.enforced.key or "")
        assert anchors == ([identifier] if identifier else []), f"{rule.id}: API links {anchors}"
        assert all(a in api.ids for a in anchors), f"{rule.id}: dangling API anchors {anchors}"
        linked += bool(anchors)
    assert linked, "no rule page links its check into the Python API reference"


def test_catalog_lists_every_rule_once(built: Build) -> None:
    html = article(built.site / "rules" / "index.html")
    assert 'class="rule-catalog"' in html
    linked = re.findall(r'href="((?:API|SEC|DATA|REL|OBS|QUAL)-\d{3})/"', html)
    assert sorted(linked) == sorted(r.id for r in default_registry())


def test_area_pages_list_their_rules_from_the_registry(built: Build) -> None:
    registry = default_registry()
    for area in Area:
        html = article(built.site / area.value / "index.html")
        assert "<!-- rules:" not in html
        expected = {r.id for r in registry.select(area=area)}
        linked = set(re.findall(r'href="\.\./rules/((?:API|SEC|DATA|REL|OBS|QUAL)-\d{3})/"', html))
        assert expected <= linked, f"{area.value}: missing {expected - linked}"
        if not expected:
            assert "has no rules for this area yet" in html


def test_scorecard_reports_every_rule_with_run_time_and_engines(built: Build) -> None:
    html = article(built.site / "scorecard" / "index.html")
    assert re.search(r"Run at:</strong> \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC", html)
    assert "Engines run:" in html
    for rule in default_registry():
        assert f'href="../rules/{rule.id}/"' in html, f"{rule.id} missing from the scorecard"
    labels = ("pass", "fail", "review", "not checked")
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)[1:]
    assert len(rows) == len(default_registry())
    assert all(any(label in row for label in labels) for row in rows)


def test_cli_reference_has_every_command(built: Build) -> None:
    html = article(built.site / "reference" / "cli" / "index.html")
    for command in ["handbook", "handbook rules", "handbook check", "handbook check all"]:
        assert f"<code>{command}</code>" in html, command
    for name in all_engines():
        assert f"<code>handbook check {name}</code>" in html, name
    assert "Usage: handbook check all [OPTIONS]" in html


def test_search_index_covers_every_rule(built: Build) -> None:
    index = json.loads((built.site / "search" / "search_index.json").read_text(encoding="utf-8"))
    locations = {doc["location"] for doc in index["docs"]}
    for rule in default_registry():
        assert f"rules/{rule.id}/" in locations


def test_site_loads_nothing_from_other_hosts(built: Build) -> None:
    for page in built.site.rglob("*.html"):
        assert not EXTERNAL.search(page.read_text(encoding="utf-8")), f"{page} loads a script or style from a CDN"


def test_scorecard_reports_findings_and_waivers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    registry = default_registry()
    card = run_scorecard(SITE_FIXTURES / "failing-repo", registry)
    status = {o.rule_id: o for o in card.outcomes}
    assert status["API-102"].status is Status.FAIL
    assert status["API-103"].status is Status.FAIL
    assert len(status["API-103"].findings) == 1
    assert status["API-104"].status is Status.PASS, "the waiver covers API-104"
    assert card.waived == 1
    assert card.engines_run == ["openapi", "waivers"]
    page = scorecard_markdown(card, registry, SITE_FIXTURES / "failing-repo")
    assert "### API-102" in page
    assert "path '/posts' has no major version segment" in page


def test_scorecard_says_when_an_engine_cannot_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    registry = default_registry()
    card = run_scorecard(SITE_FIXTURES / "missing-spec-repo", registry)
    assert "OpenAPI document not found" in card.errors["openapi"]
    openapi = [o for o in card.outcomes if registry.get(o.rule_id).enforced.engine == "openapi"]
    assert openapi
    assert all(o.status is Status.NOT_CHECKED for o in openapi)
    page = scorecard_markdown(card, registry, SITE_FIXTURES / "missing-spec-repo")
    assert '!!! failure "Engine `openapi` could not run"' in page


def test_scorecard_fails_an_expired_waiver() -> None:
    registry = default_registry()
    card = run_scorecard(SITE_FIXTURES / "expired-waiver-repo", registry, today=date(2026, 1, 1))
    status = {o.rule_id: o for o in card.outcomes}
    assert status["QUAL-101"].status is Status.FAIL
    assert "expired on 2020-01-31" in status["QUAL-101"].findings[0].message
    assert status["API-102"].status is Status.NOT_CHECKED
    assert status["API-102"].reason == "no `[tool.handbook.openapi]` section"


def test_scorecard_reports_an_unreadable_configuration(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.handbook\n", encoding="utf-8")
    card = run_scorecard(tmp_path, default_registry())
    assert "invalid TOML" in card.errors["config"]
    assert all(o.status in (Status.NOT_CHECKED, Status.REVIEW) for o in card.outcomes)


def test_empty_area_says_so_plainly() -> None:
    registry = default_registry()
    empty = [a for a in Area if not registry.select(area=a)]
    if not empty:
        pytest.skip("every area has rules")
    text = area_rules_markdown(registry, empty[0], f"{empty[0].value}/index.md")
    assert f"no file exists under `standards/{empty[0].value}/`" in text


def test_rules_nav_groups_every_rule_by_area() -> None:
    registry = default_registry()
    nav = rules_nav(registry)
    assert nav[0] == "rules/index.md"
    pages = [next(iter(entry.values())) for group in nav[1:] for entries in group.values() for entry in entries]
    assert sorted(pages) == sorted(f"rules/{r.id}.md" for r in registry)
    assert catalog_markdown(registry).count("| [") == len(registry)


def test_unknown_rule_reference_is_a_build_warning(caplog: pytest.LogCaptureFixture) -> None:
    import handbook_site

    handbook_site._state["registry"] = default_registry()
    page = SimpleNamespace(file=SimpleNamespace(src_uri="api/index.md"), edit_url=None)
    with caplog.at_level(logging.WARNING):
        out = handbook_site.on_page_markdown("See [[API-102]] and [[API-999]].", page, None, None)  # type: ignore[arg-type]
    title = default_registry().get("API-102").title
    assert f'[API-102](../rules/API-102.md "API-102: {title}")' in out
    assert "[[API-999]]" not in out
    assert any("[[API-999]] names no rule" in r.getMessage() for r in caplog.records)
