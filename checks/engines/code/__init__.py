"""``handbook check code``: static rules for Python and TypeScript services, run with semgrep.

Security (SEC) and reliability (REL) rules alike: each check is a semgrep rules file under
``standards/<area>/semgrep/`` (one rule per language, tagged with its handbook rule ID) with test
files beside it. Semgrep runs offline on those local files only; one process scans all paths with
all rules.
"""

from __future__ import annotations

import tempfile
from argparse import ArgumentParser, Namespace
from pathlib import Path
from typing import Any

from pydantic import Field

from checks.config import Config
from checks.engines import Engine
from checks.engines.code.rules import LANGUAGES, load_checks
from checks.engines.code.scan import ENGINE_NAME, findings_from
from checks.engines.code.semgrep import run_semgrep
from checks.errors import InputError, UsageError
from checks.findings import Finding, Report
from checks.output import Command, add_output_options, config_for, emit, options_from
from checks.registry import default_registry
from checks.rules import Example, Rule
from checks.settings import EngineSettings


class CodeSettings(EngineSettings):
    """``[tool.handbook.code]``: the source folders or files to scan."""

    paths: list[str] = Field(min_length=1)


class CodeEngine(Engine):
    """Scan Python and TypeScript sources for the SEC rules: JWT handling, Mongo queries, TLS, secrets, timeouts."""

    name = ENGINE_NAME
    title = "Static code rules (semgrep)"
    usage = "handbook check code PATH…"

    def parse_settings(self, data: Any) -> CodeSettings:
        return CodeSettings.parse(data)

    def __init__(self) -> None:
        self._examples: dict[tuple[str, str, str], list[Finding]] = {}

    def keys(self) -> dict[str, Any]:
        return dict(load_checks())

    def source_of(self, key: str) -> str:
        return load_checks()[key].display()

    def qualname_of(self, key: str) -> str:
        return ", ".join(load_checks()[key].semgrep_ids)

    def check_example(self, rule: Rule, example: Example) -> list[Finding]:
        wanted = (rule.id, example.lang, example.code)
        if not self._examples:
            code_rules = default_registry().select(engine=self.name)
            self._examples.update(
                self._run_examples([(r, e) for r in code_rules for e in (r.examples.bad, r.examples.good)])
            )
        if wanted not in self._examples:
            self._examples.update(self._run_examples([(rule, example)]))
        return list(self._examples[wanted])

    def _run_examples(self, pairs: list[tuple[Rule, Example]]) -> dict[tuple[str, str, str], list[Finding]]:
        """Run every example in one semgrep process; each gets only the findings of its own rule."""
        checks = load_checks()
        out: dict[tuple[str, str, str], list[Finding]] = {}
        with tempfile.TemporaryDirectory(prefix="handbook-examples-") as tmp:
            files: dict[Path, tuple[Rule, Example]] = {}
            for index, (rule, example) in enumerate(pairs):
                if example.lang not in LANGUAGES:
                    raise InputError(f"{rule.id}: a code example must be python or typescript, not {example.lang}")
                path = Path(tmp) / f"{rule.id}-{index}{LANGUAGES[example.lang]}"
                path.write_text(example.code, encoding="utf-8")
                files[path] = (rule, example)
            used = {checks[r.enforced.key or ""].path for r, _ in pairs if (r.enforced.key or "") in checks}
            result = run_semgrep(sorted(used), sorted(files), cwd=Path(tmp)) if used else {"results": []}
            for path, (rule, example) in files.items():
                own = {**result, "results": [r for r in result.get("results", []) if Path(r["path"]).name == path.name]}
                shown = {r["path"]: f"{rule.id}-example{LANGUAGES[example.lang]}" for r in own["results"]}
                findings = findings_from(own, checks, {rule.enforced.key or "": rule}, display=shown)
                out[(rule.id, example.lang, example.code)] = findings
        return out

    def run(self, paths: list[Path]) -> Report:
        """Scan ``paths`` (files or folders) with every check in one semgrep run."""
        for path in paths:
            if not path.exists():
                raise InputError("path not found", file=str(path))
        checks = load_checks()
        rules = default_registry().for_engine(self.name)
        active = [c for key, c in checks.items() if key in rules]
        report = Report(engines=[self.name], rules_checked=sorted(rules[c.key].id for c in active))
        report.inputs.extend(str(p) for p in paths)
        if active:
            result = run_semgrep([c.path for c in active], paths)
            report.findings.extend(findings_from(result, checks, rules))
        return report

    def run_configured(self, config: Config) -> Report | None:
        targets = self._configured(config)
        return None if targets is None else self.run(targets)

    def _configured(self, config: Config) -> list[Path] | None:
        """The configured paths, or ``None`` when the engine has no section."""
        settings = config.engines.get(self.name)
        return None if settings is None else [config.input(p) for p in settings.paths]

    def command(self) -> Command:
        def arguments(parser: ArgumentParser) -> None:
            parser.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="Source files or folders to scan.")
            add_output_options(parser)

        def run(args: Namespace) -> None:
            opts = options_from(args)
            config = config_for(opts, self.name)
            targets: list[Path] = args.paths
            if not targets:
                configured = self._configured(config)
                if configured is None:
                    raise UsageError("give PATHs to scan, or configure [tool.handbook.code] paths")
                targets = configured
            emit(self.run(targets), opts, config, inputs=targets)

        return Command(
            "Scan Python and TypeScript sources for the SEC rules (default: [tool.handbook.code] paths).",
            arguments,
            run,
        )


ENGINE = CodeEngine()
