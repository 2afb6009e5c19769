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
    cpu_s: float | None = None
    """User plus system CPU time of the tool (GNU time); steadier than wall time on a busy machine."""


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
    def cpu_s(self) -> float | None:
        """Median CPU time (user + system), when every run succeeded and it was measured."""
        values = [r.cpu_s for r in self.runs if r.cpu_s is not None]
        if self.error is not None or not values or len(values) != len(self.runs):
            return None
        return statistics.median(values)

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
        argv = [GNU_TIME, "-f", "%M %U %S", "-o", str(rss_file), *command] if GNU_TIME else command
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
            rss, cpu = _read_usage(rss_file)
            if timed_out.is_set():
                return Run(wall, rss, None, f"timed out after {timeout:g} s", cpu)
            out.seek(0)
            err.seek(0)
            error = accept(code, out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"))
            return Run(wall, rss, code, error, cpu)


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


def measure_interleaved(
    commands: Mapping[str, tuple[list[str], Accept]],
    *,
    runs: int,
    timeout: float = 300.0,
    env: Mapping[str, str] | None = None,
) -> dict[str, Timing]:
    """Run every command ``runs`` times in rounds (A, B, C, A, B, C, …); a command stops at its first failure.

    On a shared machine the load changes from minute to minute. Taking every tool's n-th run in the same
    round exposes all of them to the same conditions, so their ratios stay fair even when the absolute
    times move.
    """
    timings = {name: Timing() for name in commands}
    for _ in range(runs):
        for name, (command, accept) in commands.items():
            timing = timings[name]
            if timing.error is None:
                timing.runs.append(run_once(command, accept=accept, timeout=timeout, env=env))
    return timings


def first_line(text: str, *, skip: tuple[str, ...] = ()) -> str:
    """First line of a tool's output that says something (not blank, no banner box, not in ``skip``), shortened."""
    lines = (s.strip() for s in text.splitlines())
    line = next((s for s in lines if s and not _BOX.match(s) and not s.startswith(skip)), "")
    return line if len(line) <= 160 else line[:157] + "..."


def _read_usage(path: Path) -> tuple[int | None, float | None]:
    """Peak RSS in KiB and user + system CPU seconds from GNU time's last line (``%M %U %S``)."""
    try:
        lines = path.read_text().strip().splitlines()
    except OSError:
        return None, None
    fields = lines[-1].split() if lines else []
    if len(fields) != 3 or not fields[0].isdigit():
        return None, None
    try:
        return int(fields[0]), float(fields[1]) + float(fields[2])
    except ValueError:
        return int(fields[0]), None


def _kill_group(pid: int, flag: threading.Event) -> None:
    flag.set()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
