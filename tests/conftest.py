"""Shared fixtures: run the CLI in-process, and locate test fixtures."""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from checks.cli import run

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CACHE = ROOT / ".handbook-tmp"
SARIF_PACKAGE = "@microsoft/jest-sarif@1.0.0-beta.0"
SARIF_MEMBER = "package/lib/schemas/sarif-2.1.0-rtm.5.json"


@dataclass
class Result:
    """What one CLI run printed and returned."""

    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """Run ``handbook ARGS`` in-process (optionally in another folder) and capture its output."""

    def invoke(*args: str, cwd: Path | None = None) -> Result:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        capsys.readouterr()
        code = run([str(a) for a in args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return invoke


@pytest.fixture(scope="session")
def sarif_schema() -> dict[str, object]:
    """The official SARIF 2.1.0 JSON Schema, taken from an npm package that ships it."""
    target = CACHE / "sarif-schema-2.1.0.json"
    if not target.exists():
        npm = shutil.which("npm")
        assert npm, "npm is needed to fetch the SARIF 2.1.0 schema (make test installs it)"
        CACHE.mkdir(exist_ok=True)
        out = subprocess.run(
            [npm, "pack", SARIF_PACKAGE, "--silent", "--pack-destination", str(CACHE)],
            check=True,
            capture_output=True,
            text=True,
            timeout=300,
        ).stdout.strip()
        tarball = CACHE / out.splitlines()[-1]
        with tarfile.open(tarball) as archive:
            member = archive.extractfile(SARIF_MEMBER)
            assert member is not None
            target.write_bytes(member.read())
        tarball.unlink()
    return json.loads(target.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory):
    """A real redis-server for the whole session (tests flush what they use)."""
    from tests.redis_server import RedisServer

    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def own_redis_server(tmp_path: Path):
    """A private redis-server that a test may stop and start (fault injection)."""
    from tests.redis_server import RedisServer

    server = RedisServer(tmp_path / "redis")
    server.start()
    yield server
    server.stop()
