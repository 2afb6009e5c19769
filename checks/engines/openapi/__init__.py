"""``handbook check openapi``: lint OpenAPI 3.0/3.1 documents against the API rules."""

from __future__ import annotations

from argparse import ArgumentParser, Namespace
from pathlib import Path
from typing import Any, NamedTuple

from checks.config import Config
from checks.engines import Engine
from checks.engines.openapi.lint import lint, load_checks
from checks.engines.openapi.spec import Spec
from checks.errors import UsageError
from checks.findings import Finding, Report
from checks.output import Command, add_output_options, config_for, emit, options_from
from checks.registry import default_registry
from checks.rules import Example, Rule
from checks.sources import Document, collector_paused
from checks.validate import mapping, paths


class OpenAPISettings(NamedTuple):
    """``[tool.handbook.openapi]``: the contracts of the repository."""

    specs: list[str]

    @classmethod
    def parse(cls, data: Any) -> OpenAPISettings:
        """Validate the section: ``specs`` is a non-empty list of paths."""
        d = mapping(data, (), required=("specs",))
        return cls(specs=paths(d["specs"], ("specs",)))


class OpenAPIEngine(Engine):
    """Lint OpenAPI documents: versioned paths, operation IDs, security, problem details, structure."""

    name = "openapi"
    title = "OpenAPI lint"
    usage = "handbook check openapi SPEC…"

    def parse_settings(self, data: Any) -> OpenAPISettings:
        return OpenAPISettings.parse(data)

    def keys(self) -> dict[str, Any]:
        return dict(load_checks())

    def check_example(self, rule: Rule, example: Example) -> list[Finding]:
        doc = Document.from_text(example.code, name=f"{rule.id}.{example.lang}")
        spec = Spec.from_document(doc)
        return lint(spec, default_registry().for_engine(self.name), only={rule.enforced.key or ""})

    def run(self, paths: list[Path]) -> Report:
        """Lint every document in ``paths``."""
        rules = default_registry().for_engine(self.name)
        report = Report(engines=[self.name], rules_checked=[r.id for r in rules.values()])
        with collector_paused():  # the lint builds many small objects and no cycles
            for path in paths:
                report.inputs.append(str(path))
                report.findings.extend(lint(Spec.load(path), rules))
        return report

    def run_configured(self, config: Config) -> Report | None:
        paths = self._configured(config)
        return None if paths is None else self.run(paths)

    def _configured(self, config: Config) -> list[Path] | None:
        """The configured documents, or ``None`` when the engine has no section."""
        settings = config.engines.get(self.name)
        return None if settings is None else [config.input(s) for s in settings.specs]

    def command(self) -> Command:
        def arguments(parser: ArgumentParser) -> None:
            parser.add_argument("specs", nargs="*", type=Path, metavar="SPEC", help="OpenAPI documents to lint.")
            add_output_options(parser)

        def run(args: Namespace) -> None:
            opts = options_from(args)
            config = config_for(opts, self.name)
            paths: list[Path] = args.specs
            if not paths:
                configured = self._configured(config)
                if configured is None:
                    raise UsageError("give SPEC files, or configure [tool.handbook.openapi] specs")
                paths = configured
            emit(self.run(paths), opts, config, inputs=paths)

        return Command("Lint OpenAPI 3.0/3.1 documents (default: [tool.handbook.openapi] specs).", arguments, run)


ENGINE = OpenAPIEngine()
