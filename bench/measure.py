"""Time one command as a child process: wall time, peak resident memory, exit status, with a timeout."""

from __future__ import annotations

import contextlib
import os
import signal
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Run:
    """One timed run; ``error`` is set when it failed (timeout, crash or an unexpected exit status)."""

    wall_s: float
    peak_rss_kib: int
    exit_code: int | None
    error: str | None = None


@dataclass
class Timing:
    """The runs of one tool on one input, stopped at the first failure."""

    runs: list[Run] = field(default_factory=list)

    @property
    def error(self) -> str | None:
        """Why the tool failed, or None when every run succeeded."""
        return next((r.error for r in self.runs if r.error is not None), None)

    @property
    def wall_s(self) -> float | None:
        """Median wall time of the successful runs."""
        ok = [r.wall_s for r in self.runs if r.error is None]
        return statistics.median(ok) if ok and self.error is None else None

    @property
    def peak_rss_kib(self) -> int | None:
        """Median peak resident set size of the successful runs, in KiB."""
        ok = [r.peak_rss_kib for r in self.runs if r.error is None]
        return int(statistics.median(ok)) if ok and self.error is None else None


def run_once(
    command: list[str],
    *,
    ok_codes: Collection[int],
    timeout: float,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Run:
    """Run ``command`` once; its own rusage gives the peak RSS, a timer kills its process group on timeout."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        try:
            proc = subprocess.Popen(command, stdout=out, stderr=err, env=env, cwd=cwd, start_new_session=True)
        except OSError as exc:
            return Run(0.0, 0, None, f"cannot start {command[0]}: {exc.strerror}")
        timed_out = threading.Event()
        timer = threading.Timer(timeout, _kill_group, (proc.pid, timed_out))
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        proc.returncode = code  # already reaped: keep Popen from waiting again
        if timed_out.is_set():
            return Run(wall, usage.ru_maxrss, None, f"timed out after {timeout:g} s")
        if code in ok_codes:
            return Run(wall, usage.ru_maxrss, code)
        err.seek(0)
        out.seek(0)
        message = first_line(err.read().decode("utf-8", "replace")) or first_line(out.read().decode("utf-8", "replace"))
        what = f"killed by signal {-code}" if code < 0 else f"exit status {code}"
        return Run(wall, usage.ru_maxrss, code, f"{what}: {message or 'no output'}")


def measure(
    command: list[str],
    *,
    runs: int,
    ok_codes: Collection[int] = (0, 1),
    timeout: float = 300.0,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Timing:
    """Run ``command`` up to ``runs`` times, stopping at the first failure."""
    timing = Timing()
    for _ in range(runs):
        run = run_once(command, ok_codes=ok_codes, timeout=timeout, env=env, cwd=cwd)
        timing.runs.append(run)
        if run.error is not None:
            break
    return timing


def _kill_group(pid: int, flag: threading.Event) -> None:
    flag.set()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def first_line(text: str) -> str:
    """First non-blank line of a tool's output, shortened for a table cell."""
    line = next((s.strip() for s in text.splitlines() if s.strip()), "")
    return line if len(line) <= 160 else line[:157] + "..."
