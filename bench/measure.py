"""Time one command as a child process: wall time, peak resident memory and whether it did its job."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

# Judges a finished run from (exit status, stdout, stderr): None when it did its job, else why not.
Accept = Callable[[int, str, str], str | None]

# GNU time measures the peak RSS of the tool alone: the kernel's figure for a child forked from this
# (large) Python process would start from this process's own size.
GNU_TIME = shutil.which("time")
_BOX = re.compile("[\u2500-\u257f]")  # banners drawn with box characters (e.g. update notices)


@dataclass(frozen=True)
class Run:
    """One timed run; ``error`` is set when it failed (timeout, crash or no usable result)."""

    wall_s: float
    peak_rss_kib: int | None
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
        """Median wall time, when every run succeeded."""
        if self.error is not None or not self.runs:
            return None
        return statistics.median(r.wall_s for r in self.runs)

    @property
    def peak_rss_kib(self) -> int | None:
        """Median peak resident set size in KiB, when every run succeeded and it was measured."""
        values = [r.peak_rss_kib for r in self.runs if r.peak_rss_kib is not None]
        if self.error is not None or not values or len(values) != len(self.runs):
            return None
        return int(statistics.median(values))


def exit_status(*codes: int) -> Accept:
    """Accept a run whose exit status is one of ``codes`` (lint tools exit 1 when they find problems)."""

    def accept(code: int, stdout: str, stderr: str) -> str | None:
        if code in codes:
            return None
        what = f"killed by signal {-code}" if code < 0 else f"exit status {code}"
        return f"{what}: {first_line(stderr) or first_line(stdout) or 'no output'}"

    return accept


def run_once(
    command: list[str],
    *,
    accept: Accept,
    timeout: float,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Run:
    """Run ``command`` once; a timer kills its whole process group when it overruns ``timeout``."""
    with tempfile.TemporaryDirectory(prefix="bench-run-") as tmp:
        rss_file = Path(tmp) / "rss"
        argv = [GNU_TIME, "-f", "%M", "-o", str(rss_file), *command] if GNU_TIME else command
        with (Path(tmp) / "out").open("w+b") as out, (Path(tmp) / "err").open("w+b") as err:
            start = time.perf_counter()
            try:
                proc = subprocess.Popen(argv, stdout=out, stderr=err, env=env, cwd=cwd, start_new_session=True)
            except OSError as exc:
                return Run(0.0, None, None, f"cannot start {command[0]}: {exc.strerror}")
            timed_out = threading.Event()
            timer = threading.Timer(timeout, _kill_group, (proc.pid, timed_out))
            timer.start()
            try:
                code = proc.wait()
            finally:
                timer.cancel()
            wall = time.perf_counter() - start
            rss = _read_rss(rss_file)
            if timed_out.is_set():
                return Run(wall, rss, None, f"timed out after {timeout:g} s")
            out.seek(0)
            err.seek(0)
            error = accept(code, out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"))
            return Run(wall, rss, code, error)


def measure(
    command: list[str],
    *,
    runs: int,
    accept: Accept | None = None,
    timeout: float = 300.0,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Timing:
    """Run ``command`` up to ``runs`` times, stopping at the first failure."""
    timing = Timing()
    for _ in range(runs):
        run = run_once(command, accept=accept or exit_status(0, 1), timeout=timeout, env=env, cwd=cwd)
        timing.runs.append(run)
        if run.error is not None:
            break
    return timing


def first_line(text: str, *, skip: tuple[str, ...] = ()) -> str:
    """First line of a tool's output that says something (not blank, no banner box, not in ``skip``), shortened."""
    lines = (s.strip() for s in text.splitlines())
    line = next((s for s in lines if s and not _BOX.match(s) and not s.startswith(skip)), "")
    return line if len(line) <= 160 else line[:157] + "..."


def _read_rss(path: Path) -> int | None:
    """The peak RSS GNU time wrote (its last line, in KiB)."""
    try:
        lines = path.read_text().split()
    except OSError:
        return None
    return int(lines[-1]) if lines and lines[-1].isdigit() else None


def _kill_group(pid: int, flag: threading.Event) -> None:
    flag.set()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
