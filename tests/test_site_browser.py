"""Drive the built site in headless Chromium: navigation, rule filter, search, dark mode, Mermaid."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from checks.registry import default_registry
from checks.rules import Area, Level

playwright_api = pytest.importorskip("playwright.sync_api")

from test_site_build import build_site  # noqa: E402

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Material asks GitHub's API for the repository's stars and forks; nothing else may leave the site.
ALLOWED_EXTERNAL_HOSTS = {"api.github.com"}
SCREENSHOT = Path("/tmp/handbook-site-rule-dark.png")


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Build the site and serve it on a free loopback port for the duration of the module."""
    build = build_site(tmp_path_factory.mktemp("browser-site"))
    assert build.returncode == 0, build.log
    handler = functools.partial(_QuietHandler, directory=str(build.site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass
class Watch:
    """What the browser reported while the test ran."""

    origin: str
    console_errors: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)

    def on_console(self, message: Any) -> None:
        if message.type != "error":
            return
        url = (message.location or {}).get("url", "")
        if urlsplit(url).hostname in ALLOWED_EXTERNAL_HOSTS:
            return
        self.console_errors.append(f"{message.text} ({url})")

    def on_page_error(self, error: Any) -> None:
        self.console_errors.append(f"uncaught: {error}")

    def on_route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith(self.origin) or url.startswith(("data:", "blob:")):
            route.continue_()
            return
        self.external.append(url)
        route.abort()


@pytest.fixture
def browser_page(site_url: str) -> Iterator[tuple[Any, Watch]]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium")
    watch = Watch(origin=site_url)
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="light")
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("console", watch.on_console)
        page.on("pageerror", watch.on_page_error)
        page.route("**/*", watch.on_route)
        try:
            yield page, watch
        finally:
            context.close()
            browser.close()
    assert watch.console_errors == []
    unexpected = [u for u in watch.external if urlsplit(u).hostname not in ALLOWED_EXTERNAL_HOSTS]
    assert unexpected == [], "the site fetched from other hosts"


def test_navigate_filter_search_and_dark_mode(browser_page: tuple[Any, Watch], site_url: str) -> None:
    page, _ = browser_page
    registry = default_registry()
    rule = next(iter(registry))
    expect = playwright_api.expect

    page.goto(site_url)
    expect(page.locator("h1").first).to_contain_text("Backend Engineering Handbook")
    # The Mermaid diagram is rendered by the copy of Mermaid served with the site: Material replaces the
    # <pre class="mermaid"> source with a <div class="mermaid"> holding the SVG in a closed shadow root.
    diagram = page.locator("div.mermaid").first
    expect(diagram).to_be_visible()
    expect(page.locator("pre.mermaid")).to_have_count(0)
    box = diagram.bounding_box()
    assert box is not None and box["height"] > 100

    # Home → Rules catalog, through the navigation tabs.
    page.locator(".md-tabs__link", has_text="Rules").click()
    page.wait_for_url("**/rules/")
    catalog = page.locator(".rule-catalog table tbody tr")
    expect(catalog).to_have_count(len(registry))

    # The filter narrows the table by area, by level and by text; clearing it restores every row.
    visible = page.locator(".rule-catalog table tbody tr:not([hidden])")
    api_rules = registry.select(area=Area.API)
    page.select_option("#rule-filter-area", Area.API.title)
    expect(visible).to_have_count(len(api_rules))
    expect(page.locator(".rule-filter__count")).to_have_text(f"{len(api_rules)} of {len(registry)} rules")
    page.select_option("#rule-filter-level", Level.MUST.value)
    expect(visible).to_have_count(len(registry.select(area=Area.API, level=Level.MUST)))
    page.select_option("#rule-filter-level", "")
    page.select_option("#rule-filter-area", "")
    page.fill("#rule-filter-text", rule.id)
    expect(visible).to_have_count(1)
    assert "q=" in page.url
    page.fill("#rule-filter-text", "")
    expect(visible).to_have_count(len(registry))

    # Catalog → one rule page, by clicking its ID.
    page.locator(".rule-catalog table tbody a", has_text=rule.id).first.click()
    page.wait_for_url(f"**/rules/{rule.id}/")
    expect(page.locator("h1").first).to_contain_text(f"{rule.id}: {rule.title}")
    expect(page.locator("article button[data-clipboard-target]").first).to_be_attached()

    # Site search finds the rule's page by its ID.
    page.goto(site_url)
    search = page.locator("input.md-search__input")
    search.click()
    search.press_sequentially(rule.id)
    hit = page.locator(f".md-search-result__item a[href*='rules/{rule.id}/']").first
    expect(hit).to_be_visible()
    hit.click()
    page.wait_for_url(f"**/rules/{rule.id}/**")

    # The palette toggle switches to dark mode.
    body = page.locator("body")
    expect(body).to_have_attribute("data-md-color-scheme", "default")
    page.locator("form[data-md-component='palette'] label:visible").first.click()
    expect(body).to_have_attribute("data-md-color-scheme", "slate")
    page.screenshot(path=str(SCREENSHOT), full_page=False)


def test_catalog_is_a_plain_table_without_javascript(site_url: str) -> None:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium")
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(java_script_enabled=False)
            page = context.new_page()
            page.goto(f"{site_url}rules/")
            playwright_api.expect(page.locator(".rule-catalog table tbody tr")).to_have_count(len(default_registry()))
            assert page.locator(".rule-filter").count() == 0
        finally:
            browser.close()
