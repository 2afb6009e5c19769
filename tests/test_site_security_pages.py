"""The security pages: tables generated from the reference service's code, and the figures quoted in the prose."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from click import Option
from feedchat.auth import MAX_TOKEN_LENGTH
from feedchat.bodylimit import MAX_BODY_BYTES
from feedchat.cli import token
from feedchat.jwks import MAX_AGE
from feedchat.permissions import OPERATIONS, ROLE_PERMISSIONS, Permission, operation_roles
from feedchat.ratelimit import DEFAULT_LIMITS, OPERATION_POLICIES, POLICIES, UNAVAILABLE_RETRY_SECONDS
from feedchat.settings import Settings
from limits import parse

from checks.registry import default_registry

ROOT = Path(__file__).resolve().parent.parent
HOOKS = ROOT / "docs" / "hooks"
SECURITY = ROOT / "docs" / "security"

if str(HOOKS) not in sys.path:
    sys.path.insert(0, str(HOOKS))

import handbook_site  # noqa: E402
from sitegen.ratelimits import OPERATIONS_MARKER, POLICIES_MARKER  # noqa: E402
from sitegen.roles import GRANTED, NOT_GRANTED, OPERATION_MARKER, ROLE_MATRIX_MARKER  # noqa: E402

Table = list[dict[str, str]]


def render(markdown: str, src: str = "security/roles.md") -> str:
    """``markdown`` as the site hook turns it into the page's Markdown."""
    handbook_site._state["registry"] = default_registry()
    page = SimpleNamespace(file=SimpleNamespace(src_uri=src), edit_url=None)
    return handbook_site.on_page_markdown(markdown, page, None, None)  # type: ignore[arg-type]


def table(markdown: str) -> Table:
    """The rows of the one Markdown table in ``markdown``, as header → cell text (backticks removed)."""
    lines = [line for line in markdown.splitlines() if line.startswith("|")]
    assert len(lines) >= 3 and set(lines[1]) <= {"|", "-"}, markdown

    def cells(line: str) -> list[str]:
        return [cell.strip().replace("`", "") for cell in line.strip().strip("|").split("|")]

    header = cells(lines[0])
    rows = [dict(zip(header, cells(line), strict=True)) for line in lines[2:]]
    return rows


def test_role_matrix_is_role_permissions() -> None:
    rows = table(render(f"Before.\n\n{ROLE_MATRIX_MARKER}\n\nAfter."))
    assert [row["Permission"] for row in rows] == [p.value for p in Permission]
    matrix = {
        role: frozenset(Permission(row["Permission"]) for row in rows if row[role] == GRANTED)
        for role in ROLE_PERMISSIONS
    }
    assert matrix == ROLE_PERMISSIONS
    assert all(row[role] in (GRANTED, NOT_GRANTED) for row in rows for role in ROLE_PERMISSIONS)


def test_operation_table_is_operations() -> None:
    rows = table(render(OPERATION_MARKER))
    assert [row["Operation"] for row in rows] == list(OPERATIONS)
    for row in rows:
        name = row["Operation"]
        permission = OPERATIONS[name]
        assert row["Permission"] == ("public" if permission is None else permission.value), name
        roles = operation_roles(name)
        assert row["Roles allowed"] == (", ".join(roles) if roles else "anyone, no token"), name
        assert row["Per-caller rate limit"] == OPERATION_POLICIES.get(name, NOT_GRANTED), name
        assert row["Route"].split(" ")[0] in {"GET", "POST", "PATCH", "PUT", "DELETE"}, name


def test_rate_limit_tables_are_the_declared_policies() -> None:
    rows = table(render(POLICIES_MARKER, "security/rate-limiting.md"))
    assert [row["Policy"] for row in rows] == list(POLICIES)
    for row in rows:
        name = row["Policy"]
        assert row["Default limit"] == DEFAULT_LIMITS[name]
        closed = f"503, Retry-After: {UNAVAILABLE_RETRY_SECONDS} (fails closed)"
        assert row["Store down"] == ("passes (fails open)" if POLICIES[name].fail_open else closed)
    rows = table(render(OPERATIONS_MARKER, "security/rate-limiting.md"))
    assert {row["Operation"]: row["Per-caller policy"] for row in rows} == dict(OPERATION_POLICIES)


@pytest.mark.parametrize(
    ("page", "markers"),
    [
        ("roles.md", [ROLE_MATRIX_MARKER, OPERATION_MARKER]),
        ("rate-limiting.md", [POLICIES_MARKER, OPERATIONS_MARKER]),
    ],
)
def test_pages_take_their_tables_from_the_code(page: str, markers: list[str]) -> None:
    text = (SECURITY / page).read_text(encoding="utf-8")
    assert all(text.count(marker) == 1 for marker in markers)


def _default_ttl() -> int:
    ttl = next(p for p in token.params if isinstance(p, Option) and p.name == "ttl")
    return int(ttl.default)  # type: ignore[arg-type]


def quoted_figures() -> list[tuple[str, str]]:
    """(page, phrase) pairs: each phrase is computed from the code and must appear in the page as written."""
    settings = Settings()
    per_minute = parse(DEFAULT_LIMITS["auth-failures"])
    assert per_minute.get_expiry() == 60
    refresh = f"{settings.jwks_refresh_seconds:g} seconds"
    hour = {3600.0: "an hour"}[MAX_AGE]
    return [
        ("architecture.md", f"{MAX_BODY_BYTES // 1024} KiB"),
        ("abuse-prevention.md", f"{MAX_BODY_BYTES // 1024} KiB"),
        ("owasp-api-top10.md", f"{MAX_BODY_BYTES // 1024} KiB"),
        ("jwt.md", f"{MAX_TOKEN_LENGTH:,} characters"),
        ("abuse-prevention.md", f"{MAX_TOKEN_LENGTH:,} characters"),
        ("jwt.md", f"{settings.clock_skew_seconds} seconds of leeway"),
        ("key-rotation.md", f"{settings.clock_skew_seconds} seconds of leeway"),
        ("jwt.md", f"live {_default_ttl() // 60} minutes"),
        ("jwt.md", f"{per_minute.amount} per minute by default"),
        ("jwt.md", refresh),
        ("key-rotation.md", refresh),
        ("abuse-prevention.md", refresh),
        ("key-rotation.md", hour),
        ("architecture.md", hour),
        ("abuse-prevention.md", f"after {settings.streams.max_seconds:g} seconds"),
        ("abuse-prevention.md", f"at most {settings.streams.max_per_client} live streams"),
    ]


@pytest.mark.parametrize(("page", "phrase"), quoted_figures())
def test_figures_in_the_prose_match_the_code(page: str, phrase: str) -> None:
    text = " ".join((SECURITY / page).read_text(encoding="utf-8").split())
    assert phrase in text, f"docs/security/{page} should say {phrase!r}, as the code does"
