"""The CLI imports only the engine it runs, yet lists and validates every engine."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from checks.cli import HANDBOOK, Group
from checks.engines import all_engines, engine_names
from tests.conftest import FIXTURES

PLANTED = FIXTURES / "openapi" / "planted.yaml"
PROBE = """
import json, sys
from checks.cli import run
code = run(sys.argv[1:])
loaded = sorted({m.split(".")[2] for m in sys.modules if m.startswith("checks.engines.") and m.count(".") >= 2})
# Start-up budget of a small lint: none of these may come back on its import path (see bench/README.md).
HEAVY = ("click", "schemathesis", "jinja2", "yaml", "pydantic", "checks.reporters.sarif",
         "dataclasses", "inspect", "tempfile", "ast", "pkgutil")
heavy = sorted(m for m in HEAVY if m in sys.modules)
print(json.dumps({"code": code, "engines": loaded, "heavy": heavy}))
"""


def _probe(*args: str, cwd: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, cwd=cwd, check=True, timeout=120
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_engine_names_come_from_modules_and_match_the_engines() -> None:
    assert engine_names() == sorted(all_engines())
    assert all(engine.name == name for name, engine in all_engines().items())


def test_lint_imports_only_the_openapi_engine(tmp_path: Path) -> None:
    # A repository that also configures the code and MongoDB engines: their sections are not read by the lint.
    (tmp_path / "pyproject.toml").write_text(
        '[tool.handbook.openapi]\nspecs = ["x.yaml"]\n[tool.handbook.code]\npaths = ["src"]\n'
        '[tool.handbook.mongo]\nmanifest = "m.yaml"\n',
        encoding="utf-8",
    )
    out = tmp_path / "report.json"
    seen = _probe("check", "openapi", str(PLANTED), "--format", "json", "--output", str(out), cwd=tmp_path)
    assert seen["code"] == 1  # the planted violations
    assert seen["engines"] == ["openapi"]
    assert seen["heavy"] == []  # no click, schemathesis, templates, PyYAML, pydantic, other format, dataclasses…
    assert json.loads(out.read_text(encoding="utf-8"))["engines"] == ["openapi"]


def test_help_lists_every_engine_without_importing_them(cli, tmp_path: Path) -> None:
    seen = _probe("--help", cwd=tmp_path)
    assert seen["code"] == 0 and seen["engines"] == []
    result = cli("check", "--help")
    assert result.code == 0
    listed = [line.split()[0] for line in result.out.split("Commands:")[1].strip().splitlines()]
    assert listed == sorted(["all", *engine_names()])


def test_a_broken_section_of_another_engine_does_not_stop_the_lint_but_stops_check_all(cli, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.handbook.openapi]\nspecs = ["api.yaml"]\n[tool.handbook.mongo]\nlimits = "none"\n', encoding="utf-8"
    )
    (tmp_path / "api.yaml").write_text(PLANTED.read_text(encoding="utf-8"), encoding="utf-8")
    assert cli("check", "openapi", cwd=tmp_path).code == 1
    result = cli("check", "all", cwd=tmp_path)
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "[tool.handbook.mongo]" in lines[0], result.err


def _commands(node: object = HANDBOOK, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [path]
    if isinstance(node, Group):
        for name in node.names():
            out += _commands(node.load(name), (*path, name))
    return out


@pytest.mark.parametrize("path", _commands(), ids=lambda p: " ".join(p) or "handbook")
@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_every_command_has_help(cli, path: tuple[str, ...], flag: str) -> None:
    result = cli(*path, flag)
    assert result.code == 0 and result.err == ""
    assert result.out.startswith(f"Usage: {' '.join(('handbook', *path))} [OPTIONS]"), result.out
    assert "-h, --help  " in result.out


def test_a_group_without_a_command_shows_its_help_and_exits_2(cli) -> None:
    result = cli("check")
    assert result.code == 2 and result.out == ""
    assert result.err.startswith("Usage: handbook check [OPTIONS] COMMAND [ARGS]...")
    assert "Commands:" in result.err


def test_version(cli) -> None:
    result = cli("--version")
    assert result.code == 0
    assert result.out.startswith("handbook, version ")
