"""Benchmark ``handbook check openapi`` (and ``handbook check breaking``) against peer tools.

Usage: ``python bench/run.py --specs DIR [--runs N] [--timeout S]``. Every OpenAPI document
(``*.yaml``, ``*.yml``, ``*.json``) in DIR is linted by each tool as a child process; the
median wall time and peak resident memory of N runs are printed side by side with the
peer / handbook ratios, and written as JSON to ``bench/results/``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import peers
from bench.delete_op import without_one_delete
from bench.measure import GNU_TIME, Accept, Timing, exit_status, measure_interleaved
from bench.table import render
from checks.errors import HandbookError
from checks.sources import Document

BENCH = Path(__file__).resolve().parent
SUFFIXES = (".yaml", ".yml", ".json")
HANDBOOK = "handbook"


@dataclass
class Row:
    """One tool on one document."""

    document: str
    tool: str
    timing: Timing | None = None
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The row with every run, for the results file."""
        runs = self.timing.runs if self.timing else []
        return {
            "document": self.document,
            "tool": self.tool,
            "median_wall_s": self.timing.wall_s if self.timing else None,
            "median_cpu_s": self.timing.cpu_s if self.timing else None,
            "median_peak_rss_kib": self.timing.peak_rss_kib if self.timing else None,
            "error": self.error or (self.timing.error if self.timing else None),
            "runs": [run.__dict__ for run in runs],
        }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit 2 with a one-line message on bad arguments."""
    args = _parser().parse_args(argv)
    try:
        specs = find_documents(args.specs)
        handbook = _handbook()
    except ValueError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    env = {**os.environ, **peers.QUIET_ENV}
    compile_handbook()
    installed = {} if args.no_peers else install_peers(args.peers_dir)
    print(f"{len(specs)} documents, median of {args.runs} runs, timeout {args.timeout:g} s per run")
    if GNU_TIME is None:
        print("GNU time is not installed (Debian package `time`): peak memory is not measured")
    print()
    with tempfile.TemporaryDirectory(prefix="handbook-bench-") as tmp:
        lint_rows = lint_bench(specs, handbook, installed, args, env, Path(tmp))
        print(render("Lint", lint_rows))
        breaking_rows: list[Row] = []
        if not args.no_breaking:
            breaking_rows = breaking_bench(specs, handbook, installed, args, env, Path(tmp))
            if breaking_rows:
                print(render("Breaking-change diff (one DELETE operation removed)", breaking_rows))
    path = write_results(args, specs, lint_rows, breaking_rows)
    print(f"results: {path}")
    return 0


def find_documents(folder: Path) -> list[Path]:
    """The OpenAPI documents in ``folder`` (not recursive), by name."""
    if not folder.is_dir():
        raise ValueError(f"--specs {folder}: not a folder")
    found = []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in SUFFIXES or not path.is_file():
            continue
        try:
            data = Document.load(path).data
        except HandbookError as exc:
            print(f"skipping {path.name}: {exc}", file=sys.stderr)
            continue
        if isinstance(data, dict) and "openapi" in data:
            found.append(path)
        else:
            print(f"skipping {path.name}: not an OpenAPI document", file=sys.stderr)
    if not found:
        raise ValueError(f"--specs {folder}: no OpenAPI documents (*.yaml, *.yml, *.json)")
    return found


def install_peers(root: Path) -> dict[str, Path | str]:
    """Install every peer; a peer that cannot be installed maps to the reason."""
    installed: dict[str, Path | str] = {}
    for peer in (*peers.LINT_PEERS, *peers.BREAKING_PEERS):
        print(f"installing {peer.package}@{peer.version} ...", file=sys.stderr)
        try:
            installed[peer.name] = peers.install(peer, root)
        except peers.InstallError as exc:
            installed[peer.name] = str(exc)
    return installed


def lint_bench(
    specs: list[Path],
    handbook: Path,
    installed: dict[str, Path | str],
    args: argparse.Namespace,
    env: dict[str, str],
    tmp: Path,
) -> list[Row]:
    """Lint each document with handbook and each lint peer."""
    rows = []
    for spec in specs:
        out = tmp / "report.json"
        argv = [str(handbook), "check", "openapi", str(spec), "--format", "json", "--output", str(out)]
        commands: dict[str, tuple[list[str], Accept] | None] = {HANDBOOK: (argv, exit_status(0, 1))}
        for peer in peers.LINT_PEERS if installed else ():
            binary = installed[peer.name]
            commands[peer.name] = peers.lint_command(peer, binary, spec, out) if isinstance(binary, Path) else None
        rows.extend(_time_all(spec.name, commands, installed, args, env))
    return rows


def breaking_bench(
    specs: list[Path],
    handbook: Path,
    installed: dict[str, Path | str],
    args: argparse.Namespace,
    env: dict[str, str],
    tmp: Path,
) -> list[Row]:
    """Diff each document against a copy of it with one DELETE operation removed."""
    probe = subprocess.run([str(handbook), "check", "breaking", "--help"], capture_output=True, text=True, check=False)
    if "No such command" in probe.stderr:
        print("handbook has no `check breaking` command yet: breaking-change benchmark skipped\n")
        return []
    rows = []
    for spec in specs:
        new = without_one_delete(spec, tmp / "new")
        if new is None:
            rows.append(Row(spec.name, HANDBOOK, error="skipped: the document has no DELETE operation"))
            continue
        argv = [
            str(handbook),
            "check",
            "breaking",
            str(spec),
            str(new),
            "--format",
            "json",
            "-o",
            str(tmp / "diff.json"),
        ]
        commands: dict[str, tuple[list[str], Accept] | None] = {HANDBOOK: (argv, exit_status(0, 1))}
        for peer in peers.BREAKING_PEERS if installed else ():
            binary = installed[peer.name]
            commands[peer.name] = peers.breaking_command(peer, binary, spec, new) if isinstance(binary, Path) else None
        rows.extend(_time_all(spec.name, commands, installed, args, env))
    return rows


def _time_all(
    document: str,
    commands: dict[str, tuple[list[str], Accept] | None],
    installed: dict[str, Path | str],
    args: argparse.Namespace,
    env: dict[str, str],
) -> list[Row]:
    runnable = {tool: command for tool, command in commands.items() if command is not None}
    print(f"{document}: {', '.join(runnable)} ({args.runs} rounds) ...", file=sys.stderr)
    timings = measure_interleaved(runnable, runs=args.runs, timeout=args.timeout, env=env)
    return [
        Row(document, tool, timings[tool])
        if tool in timings
        else Row(document, tool, error=f"not installed: {installed[tool]}")
        for tool in commands
    ]


def write_results(args: argparse.Namespace, specs: list[Path], lint: list[Row], breaking: list[Row]) -> Path:
    """Write every run as JSON to the results folder; return the file."""
    args.results.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    path = args.results / f"bench-{stamp}.json"
    payload = {
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "node": _node_version(),
        },
        "runs_per_tool": args.runs,
        "timeout_s": args.timeout,
        "peers": {p.name: f"{p.package}@{p.version}" for p in (*peers.LINT_PEERS, *peers.BREAKING_PEERS)},
        "documents": {spec.name: spec.stat().st_size for spec in specs},
        "lint": [row.as_json() for row in lint],
        "breaking": [row.as_json() for row in breaking],
    }
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path


def compile_handbook() -> None:
    """Compile handbook's modules to bytecode, as pip does when it installs a package.

    An editable (development) install is not compiled, and where ``PYTHONDONTWRITEBYTECODE`` is set
    every run would compile the sources again: that is not what a user's installed ``handbook`` does.
    """
    import checks

    package = Path(checks.__file__).parent
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True, stdout=subprocess.DEVNULL)
    print(f"handbook's modules compiled to bytecode ({package}), as pip does for an installed package")


def _handbook() -> Path:
    beside = Path(sys.executable).with_name(HANDBOOK)
    found = beside if beside.exists() else shutil.which(HANDBOOK)
    if found is None:
        raise ValueError("the handbook command is not installed (make install)")
    return Path(found)


def _node_version() -> str | None:
    node = shutil.which("node")
    if node is None:
        return None
    done = subprocess.run([node, "--version"], capture_output=True, text=True, check=False)
    return done.stdout.strip() or None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bench/run.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--specs", type=Path, required=True, help="folder of OpenAPI documents")
    parser.add_argument("--runs", type=_positive_int, default=3, help="runs per tool and document (median)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds before a run is killed")
    parser.add_argument("--peers-dir", type=Path, default=BENCH / ".peers", help="where peers are installed")
    parser.add_argument("--results", type=Path, default=BENCH / "results", help="where the JSON results go")
    parser.add_argument("--no-peers", action="store_true", help="time handbook only")
    parser.add_argument("--no-breaking", action="store_true", help="skip the breaking-change benchmark")
    return parser


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


if __name__ == "__main__":
    sys.exit(main())
