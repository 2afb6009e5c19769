"""The edge to the ``semgrep`` executable: run it offline on local rule files and read its JSON."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from checks.errors import InputError, UsageError

TIMEOUT_SECONDS = 600
OFFLINE_ENV = {"SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off"}


def find_semgrep() -> str:
    """Path of semgrep: ``HANDBOOK_SEMGREP``, then beside this Python, then ``PATH``."""
    configured = os.environ.get("HANDBOOK_SEMGREP")
    if configured:
        if not Path(configured).is_file():
            raise UsageError(f"HANDBOOK_SEMGREP={configured} does not exist")
        return configured
    beside = Path(sys.executable).parent / "semgrep"
    if beside.is_file():
        return str(beside)
    found = shutil.which("semgrep")
    if found is None:
        raise UsageError("semgrep is not installed: pip install semgrep (or set HANDBOOK_SEMGREP)")
    return found


def run_semgrep(configs: list[Path], targets: list[Path], *, cwd: Path | None = None) -> dict[str, Any]:
    """Scan ``targets`` with the rule files ``configs`` and return semgrep's JSON output."""
    args = [find_semgrep(), "scan", "--json", "--metrics=off", "--disable-version-check", "--quiet"]
    for config in configs:
        args += ["--config", str(config)]
    args += ["--", *(str(t) for t in targets)]
    env = {**os.environ, **OFFLINE_ENV}
    try:
        done = subprocess.run(  # noqa: S603 - fixed executable, arguments are paths
            args, capture_output=True, text=True, env=env, cwd=cwd, timeout=TIMEOUT_SECONDS, check=False
        )
    except OSError as exc:
        raise UsageError(f"cannot run semgrep: {exc.strerror or exc}") from None
    except subprocess.TimeoutExpired:
        raise InputError(f"semgrep did not finish within {TIMEOUT_SECONDS} s") from None
    try:
        result = json.loads(done.stdout)
    except json.JSONDecodeError:
        result = None
    if done.returncode not in (0, 1) or not isinstance(result, dict):
        raise InputError(f"semgrep failed (exit {done.returncode}): {_first_error(result, done.stderr)}")
    rule_errors = [e for e in result.get("errors", []) if "rule" in str(e.get("type", "")).lower()]
    if rule_errors:
        raise InputError(f"semgrep rejected a rule: {_first_error({'errors': rule_errors}, done.stderr)}")
    return result


def _first_error(result: dict[str, Any] | None, stderr: str) -> str:
    errors = (result or {}).get("errors") or []
    if errors:
        message = str(errors[0].get("message") or errors[0].get("type") or "unknown error")
        return " ".join(message.split())[:300]
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no output"
