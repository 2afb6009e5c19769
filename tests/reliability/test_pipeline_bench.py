"""Smoke test of ``bench/pipeline.py``: a tiny run prints the table and exactly-once counts; no timing is asserted."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "pipeline.py"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(BENCH), *args], capture_output=True, text=True, timeout=120)


def test_a_small_run_prints_the_table() -> None:
    result = _run("--messages", "40", "--followers", "2")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("40 messages · redis-server ")
    number = r"[\d,.]+"
    for name in ("raw XADD", "raw XREADGROUP + XACK", "raw total", "relay alone", "worker alone"):
        assert re.search(rf"^{re.escape(name)}.*\s40\s+{number}\s+{number}\s+-\s+-$", out, re.M), name
    assert re.search(
        rf"^pipeline outbox .*\(2 followers\)\s+40\s+{number}\s+{number}\s+{number} ms\s+{number} ms$", out, re.M
    )
    assert re.search(r"^ratio pipeline / raw: \d+\.\d{3} ", out, re.M)
    assert "published=40 effects=80 duplicates=0 dead_letters=0 lost=0" in out


def test_bad_arguments_are_one_line() -> None:
    for args in (["--messages", "0"], ["--rate", "fast"], ["--nope"]):
        result = _run(*args)
        assert result.returncode == 2
        assert result.stdout == "" and len(result.stderr.strip().splitlines()) == 1, result.stderr
