"""Peer tools of the benchmark: pinned npm packages installed into an ignored folder, and their command lines."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.measure import Accept, exit_status, first_line

BENCH = Path(__file__).resolve().parent
SPECTRAL_RULESET = BENCH / "spectral-ruleset.yaml"
INSTALL_TIMEOUT = 900


@dataclass(frozen=True)
class Peer:
    """One npm-installed tool: its pinned package, the executable it provides and npm overrides it needs."""

    name: str
    package: str
    version: str
    binary: str
    overrides: dict[str, str] = field(default_factory=dict)

    def manifest(self) -> dict[str, object]:
        """The package.json that pins this peer (and its overrides) in its own folder."""
        manifest: dict[str, object] = {"private": True, "dependencies": {self.package: self.version}}
        if self.overrides:
            manifest["overrides"] = dict(self.overrides)
        return manifest


SPECTRAL = Peer("spectral", "@stoplight/spectral-cli", "6.16.3", "spectral")
REDOCLY = Peer("redocly", "@redocly/cli", "2.77.0", "redocly")
OPTIC = Peer("optic", "@useoptic/optic", "1.0.9", "optic", overrides={"ajv": "8.17.1"})
OPENAPI_DIFF = Peer("openapi-diff", "openapi-diff", "0.24.1", "openapi-diff")
LINT_PEERS = (REDOCLY, SPECTRAL)
BREAKING_PEERS = (OPTIC, OPENAPI_DIFF)

# Keep peers from phoning home or printing update notices during timed runs.
QUIET_ENV = {
    "REDOCLY_TELEMETRY": "off",
    "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true",
    "OPTIC_TELEMETRY": "off",
    "DO_NOT_TRACK": "1",
    "NO_UPDATE_NOTIFIER": "1",
    "NODE_NO_WARNINGS": "1",
}


# Progress lines peers print before an error; the table shows the error instead.
NOISE = ("No configurations were provided", "validating ", "Something went wrong")


class InstallError(Exception):
    """A peer could not be installed; the message is one line."""


def install(peer: Peer, root: Path) -> Path:
    """Install ``peer`` into ``root/<name>`` (clean install when its pins changed); return its executable."""
    folder = root / peer.name
    binary = folder / "node_modules" / ".bin" / peer.binary
    manifest = json.dumps(peer.manifest(), indent=2, sort_keys=True) + "\n"
    stamp = folder / ".installed"
    if binary.exists() and stamp.exists() and stamp.read_text() == manifest:
        return binary
    npm = shutil.which("npm")
    if npm is None:
        raise InstallError("npm is not installed")
    shutil.rmtree(folder / "node_modules", ignore_errors=True)
    (folder / "package-lock.json").unlink(missing_ok=True)
    stamp.unlink(missing_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "package.json").write_text(manifest)
    try:
        done = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise InstallError(f"npm install {peer.package}@{peer.version} timed out") from None
    if done.returncode != 0 or not binary.exists():
        raise InstallError(
            f"npm install {peer.package}@{peer.version} failed: {first_line(done.stderr or done.stdout)}"
        )
    stamp.write_text(manifest)
    return binary


def lint_command(peer: Peer, binary: Path, spec: Path, out: Path) -> tuple[list[str], Accept]:
    """Command line that lints ``spec`` with ``peer``, and how to tell that it produced a report."""
    if peer is SPECTRAL:
        argv = [str(binary), "lint", str(spec), "--ruleset", str(SPECTRAL_RULESET), "--format", "json"]
        return [*argv, "--output", str(out)], _json_report(lambda stdout: _read(out), list)
    if peer is REDOCLY:
        return [str(binary), "lint", str(spec), "--format", "json"], _json_report(lambda stdout: stdout, dict)
    raise ValueError(f"{peer.name} is not a lint peer")


def breaking_command(peer: Peer, binary: Path, old: Path, new: Path) -> tuple[list[str], Accept]:
    """Command line that diffs ``old`` against ``new`` with ``peer``, and how to tell that it compared them."""
    if peer is OPTIC:
        return [str(binary), "diff", str(old), str(new), "--check"], _marker(r"Checks: \d+/\d+ passed")
    if peer is OPENAPI_DIFF:
        return [str(binary), str(old), str(new)], _marker(r"changes found between the two specifications")
    raise ValueError(f"{peer.name} is not a breaking-change peer")


def _json_report(report: Callable[[str], str], kind: type) -> Accept:
    """Exit status 0 or 1 and a JSON report of the expected shape (these tools exit 1 for findings and for errors)."""

    def accept(code: int, stdout: str, stderr: str) -> str | None:
        failed = exit_status(0, 1)(code, stdout, stderr)
        if failed is not None:
            return failed
        try:
            parsed = json.loads(report(stdout))
        except ValueError:
            parsed = None
        if isinstance(parsed, kind):
            return None
        return f"no report: {first_line(stderr, skip=NOISE) or first_line(stdout) or 'no output'}"

    return accept


def _marker(pattern: str) -> Accept:
    """Exit status 0 or 1 and a line in the output that only a completed comparison prints."""

    def accept(code: int, stdout: str, stderr: str) -> str | None:
        failed = exit_status(0, 1)(code, stdout, stderr)
        if failed is None and not re.search(pattern, stdout):
            failed = f"no comparison: {first_line(stdout) or first_line(stderr) or 'no output'}"
        return failed

    return accept


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""
