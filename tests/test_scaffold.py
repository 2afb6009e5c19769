"""`handbook new service`: the generated service passes every check and its own tests on day one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from checks.scaffold import render

    target = tmp_path_factory.mktemp("new") / "orders-service"
    render("service", "orders-service", target)
    return target


def test_generated_service_passes_every_configured_check(cli, service: Path) -> None:
    result = cli("check", "all", cwd=service)
    assert result.code == 0, result.out + result.err
    assert "No findings" in result.out


def test_generated_service_tests_pass(service: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(service / "src")}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(service / "tests")],
        cwd=service,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 passed" in done.stdout


def test_generated_code_is_ruff_clean(service: Path) -> None:
    ruff = Path(sys.executable).with_name("ruff")
    for args in (["check", "--no-cache", "--isolated", "--select", "E,F,W,I,B,UP", "--line-length", "120", "."],):
        done = subprocess.run([str(ruff), *args], cwd=service, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr


def test_bad_names_and_existing_folders_are_refused(cli, tmp_path: Path) -> None:
    assert cli("new", "service", "Orders_Service", "--dir", tmp_path / "x").code == 2
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "keep.txt").write_text("mine", encoding="utf-8")
    result = cli("new", "service", "orders", "--dir", occupied)
    assert result.code == 2 and "not empty" in result.err
    assert [p.name for p in occupied.iterdir()] == ["keep.txt"]


def test_templates_folder_is_documented() -> None:
    assert (ROOT / "templates" / "README.md").is_file()
