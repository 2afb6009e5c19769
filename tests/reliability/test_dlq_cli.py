"""``python -m feedchat dlq``: list, show and redrive against real Redis; bad input is a one-line error."""

from __future__ import annotations

import json

import pytest
import redis
from click.testing import CliRunner
from feedchat.reliability.cli import main
from feedchat.reliability.streams import DEAD_LETTERS, STREAM


@pytest.fixture
def dead_letter(own_redis_server, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("REDIS_URL", own_redis_server.url)
    client = redis.Redis.from_url(own_redis_server.url, decode_responses=True)
    history = [{"at": 1.0, "consumer": "w1", "error": "UnknownEvent: boom"}]
    return str(
        client.xadd(
            DEAD_LETTERS,
            {"event_id": "e1", "type": "post.promoted", "payload": "{}", "attempts": json.dumps(history), "error": "x"},
        )
    )


def test_list_show_redrive(dead_letter: str, own_redis_server) -> None:
    runner = CliRunner()
    listed = runner.invoke(main, ["dlq", "list"])
    assert listed.exit_code == 0 and dead_letter in listed.output and "attempts=1" in listed.output
    shown = runner.invoke(main, ["dlq", "show", dead_letter])
    assert shown.exit_code == 0 and "attempt 1" in shown.output and "UnknownEvent: boom" in shown.output
    moved = runner.invoke(main, ["dlq", "redrive", dead_letter])
    assert moved.exit_code == 0 and "redrove 1" in moved.output
    client = redis.Redis.from_url(own_redis_server.url, decode_responses=True)
    assert client.xlen(DEAD_LETTERS) == 0
    [(_, fields)] = client.xrange(STREAM)
    assert fields["event_id"] == "e1" and fields["redriven_from"] == dead_letter


def test_bad_input_is_a_one_line_error(dead_letter: str) -> None:
    runner = CliRunner()
    for args in (["dlq", "show", "0-1"], ["dlq", "show", "nope"], ["dlq", "redrive"]):
        result = runner.invoke(main, args)
        assert result.exit_code == 2 if args == ["dlq", "redrive"] else result.exit_code == 1, result.output
        assert "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)


def test_worker_needs_a_redis_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    result = CliRunner().invoke(main, ["worker", "--name", "w"])
    assert result.exit_code == 1 and "set REDIS_URL" in result.output
