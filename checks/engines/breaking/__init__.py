"""``handbook check breaking OLD NEW``: the breaking-change gate between two versions of a contract."""

from __future__ import annotations

import datetime as dt
from argparse import ArgumentParser, Namespace
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checks.config import Config
from checks.engines import Engine
from checks.engines.breaking import policy
from checks.engines.breaking.changes import (
    BREAKING_KEY,
    CHANGELOG_KEY,
    DEPRECATION_KEY,
    REMOVAL_KEY,
    RESPONSE_GROWTH_KEY,
    Change,
)
from checks.engines.breaking.diff import diff
from checks.engines.breaking.git import spec_at
from checks.engines.breaking.schemas import SchemaDiff
from checks.engines.openapi.spec import Spec
from checks.errors import InputError, UsageError
from checks.findings import Finding, Location, Report
from checks.output import Command, add_output_options, config_for, emit, options_from
from checks.registry import default_registry
from checks.rules import Example, Rule
from checks.sources import Document, collector_paused
from checks.validate import mapping, paths, text

EXAMPLE_TODAY = dt.date(2025, 6, 1)
"""The fixed date rule examples are judged on, so their sunset dates keep their meaning."""


@dataclass(frozen=True)
class BreakingSettings:
    """``[tool.handbook.breaking]``: contracts to compare with their version at a git ref."""

    specs: list[str]
    base: str = "origin/main"

    @classmethod
    def parse(cls, data: Any) -> BreakingSettings:
        """Validate the section: ``specs`` is a non-empty list of paths, ``base`` a git ref."""
        d = mapping(data, (), required=("specs",), optional=("base",))
        return cls(specs=paths(d["specs"], ("specs",)), base=text(d.get("base", cls.base), ("base",), min_length=1))


def to_findings(changes: list[Change], rules: dict[str, Rule]) -> list[Finding]:
    """One finding per change, tagged with the rule its category is reported under."""
    findings: list[Finding] = []
    for change in changes:
        rule = rules.get(change.key)
        if rule is None:
            continue
        where = change.new or change.old
        assert where is not None
        line, column = where.doc.locate(where.pointer)
        findings.append(
            Finding(
                rule_id=rule.id,
                severity=rule.severity,
                message=change.message,
                location=Location(file=where.doc.path, line=line, column=column, pointer=where.pointer),
                engine="breaking",
                details={"change": change.category, "side": change.side},
            )
        )
    return findings


def split_example(code: str, name: str) -> tuple[Spec, Spec]:
    """The old and the new document of a rule example: two YAML documents separated by ``---``."""
    parts = code.split("\n---\n")
    if len(parts) != 2:
        raise InputError("a breaking-change example is two YAML documents (old, then new) separated by ---", file=name)
    old, new = (
        Spec.from_document(Document.from_text(text, name=f"{name} ({label})"))
        for text, label in zip(parts, ("old", "new"), strict=True)
    )
    return old, new


class BreakingEngine(Engine):
    """Compare two versions of an OpenAPI contract and classify every change for clients."""

    name = "breaking"
    title = "Breaking-change gate"
    usage = "handbook check breaking OLD NEW` or `handbook check breaking --base REF NEW"

    def parse_settings(self, data: Any) -> BreakingSettings:
        return BreakingSettings.parse(data)

    def keys(self) -> dict[str, Any]:
        return {
            BREAKING_KEY: SchemaDiff,
            REMOVAL_KEY: policy.removal,
            DEPRECATION_KEY: policy.deprecation,
            RESPONSE_GROWTH_KEY: SchemaDiff,
            CHANGELOG_KEY: diff,
        }

    def check_example(self, rule: Rule, example: Example) -> list[Finding]:
        old, new = split_example(example.code, f"{rule.id}.{example.lang}")
        rules = {k: r for k, r in default_registry().for_engine(self.name).items() if k == rule.enforced.key}
        return to_findings(diff(old, new, today=EXAMPLE_TODAY), rules)

    def compare(self, old: Spec, new: Spec, *, today: dt.date | None = None) -> Report:
        """Diff two loaded documents into a report."""
        rules = default_registry().for_engine(self.name)
        report = Report(engines=[self.name], rules_checked=[r.id for r in rules.values()])
        report.inputs += [old.root.path, new.root.path]
        with collector_paused():  # the diff builds many small objects and no cycles
            report.findings.extend(to_findings(diff(old, new, today=today), rules))
        return report

    def run(self, new: Path, *, old: Path | None = None, base: str | None = None) -> Report:
        """Compare ``new`` with ``old``, or with its own version at git ref ``base``."""
        with ExitStack() as stack:
            new_spec = Spec.load(new)
            if base is not None:
                old_spec = stack.enter_context(spec_at(base, new))
            else:
                assert old is not None
                old_spec = Spec.load(old)
            return self.compare(old_spec, new_spec)

    def run_configured(self, config: Config) -> Report | None:
        settings = config.engines.get(self.name)
        if settings is None:
            return None
        report = Report(engines=[self.name])
        for spec in settings.specs:
            report.merge(self.run(config.input(spec), base=settings.base))
        return report

    def command(self) -> Command:
        def arguments(parser: ArgumentParser) -> None:
            parser.add_argument(
                "specs", nargs="*", type=Path, metavar="SPEC", help="OLD and NEW contracts, or NEW alone with --base."
            )
            parser.add_argument("--base", metavar="REF", help="Compare NEW with the same path at this git ref.")
            add_output_options(parser)

        def run(args: Namespace) -> None:
            opts = options_from(args)
            config = config_for(opts, self.name)
            specs: list[Path] = args.specs
            if args.base is not None:
                if len(specs) != 1:
                    raise UsageError("with --base REF, give exactly one NEW spec")
                report = self.run(specs[0], base=args.base)
            else:
                if len(specs) != 2:
                    raise UsageError("give OLD and NEW specs, or --base REF and NEW")
                report = self.run(specs[1], old=specs[0])
            emit(report, opts, config, inputs=specs)

        return Command(
            "Report breaking, deprecating and compatible changes from OLD to NEW (or from --base REF).", arguments, run
        )


ENGINE = BreakingEngine()
