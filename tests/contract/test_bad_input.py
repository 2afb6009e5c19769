"""Bad input ends quickly with one line and exit 2: unreachable or silent services, broken contracts."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from .conftest import free_port

HERE = Path(__file__).resolve().parent
BROKEN = HERE / "broken.yaml"


def test_connection_refused(cli) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = cli("check", "contract", "--spec", BROKEN, "--url", url)
    assert result.code == 2
    assert result.err.strip() == f"handbook: error: cannot connect to {url}: connection refused"


def test_silent_service_times_out(cli, silent_socket: str) -> None:
    started = time.monotonic()
    result = cli("check", "contract", "--spec", BROKEN, "--url", silent_socket, "--request-timeout", "1")
    assert result.code == 2
    assert time.monotonic() - started < 10
    assert result.err.strip() == f"handbook: error: {silent_socket} did not answer within 1 s"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("dangling-ref.yaml", "does not resolve"),
        ("not-openapi.yaml", "not an OpenAPI document"),
    ],
)
def test_broken_contract(cli, name: str, message: str) -> None:
    result = cli("check", "contract", "--spec", HERE / "fixtures" / name, "--url", "http://127.0.0.1:9")
    assert result.code == 2
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--spec", str(BROKEN)], "give --url URL"),
        (["--url", "http://127.0.0.1:9"], "give --spec SPEC"),
        (["--spec", str(BROKEN), "--url", "http://127.0.0.1:9", "--identity", "nobody"], "NAME=TOKEN"),
        (["--spec", str(BROKEN), "--url", "http://127.0.0.1:9", "--header", "Authorization: Basic x"], "Bearer"),
    ],
)
def test_usage_errors(cli, args: list[str], message: str) -> None:
    result = cli("check", "contract", *args)
    assert result.code == 2
    assert message in result.err
