"""``handbook check mongo``: a static audit of a service's MongoDB collections, indexes and queries.

The input is a manifest (see ``MANIFEST.md`` in this package) describing each collection's size,
validator, indexes, arrays, query shapes and pipelines; :func:`checks.engines.mongo.audit.audit`
judges it the way MongoDB's query planner would and returns findings tagged with DATA rules.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from pydantic import Field

from checks.config import Config
from checks.engines import Engine, EngineSettings
from checks.engines.mongo.audit import ENGINE_NAME, Limits, audit, load_checks
from checks.engines.mongo.manifest import Manifest
from checks.errors import UsageError
from checks.findings import Finding, Report
from checks.output import config_for, emit, options_from, output_options
from checks.registry import default_registry
from checks.rules import Example, Rule


class MongoSettings(EngineSettings):
    """``[tool.handbook.mongo]``: where the manifest is, and the audit's thresholds."""

    manifest: str = Field(min_length=1)
    large_collection: int = Field(10_000, ge=0, alias="large-collection")
    max_indexes: int = Field(10, ge=1, alias="max-indexes")
    max_limit: int = Field(1000, ge=1, alias="max-limit")

    def limits(self) -> Limits:
        """The thresholds as the audit takes them."""
        return Limits(large_collection=self.large_collection, max_indexes=self.max_indexes, max_limit=self.max_limit)


class MongoEngine(Engine):
    """Audit a MongoDB manifest: validators, arrays, names, index coverage and order, queries, pipelines."""

    name = ENGINE_NAME
    title = "MongoDB index and query audit"
    usage = "handbook check mongo [MANIFEST]"
    settings_model = MongoSettings

    def keys(self) -> dict[str, Any]:
        return dict(load_checks())

    def check_example(self, rule: Rule, example: Example) -> list[Finding]:
        manifest = Manifest.from_text(example.code, name=f"{rule.id}.{example.lang}")
        return audit(manifest, default_registry().for_engine(self.name), only={rule.enforced.key or ""})

    def run(self, path: Path, limits: Limits | None = None) -> Report:
        """Audit the manifest at ``path``."""
        rules = default_registry().for_engine(self.name)
        report = Report(engines=[self.name], rules_checked=[r.id for r in rules.values()], inputs=[str(path)])
        report.findings.extend(audit(Manifest.load(path), rules, limits=limits))
        return report

    def run_configured(self, config: Config) -> Report | None:
        settings = config.engines.get(self.name)
        if settings is None:
            return None
        return self.run(_relative(config.path(settings.manifest)), settings.limits())

    def command(self) -> click.Command:
        engine = self

        @click.command(name=self.name)
        @click.argument("manifest", required=False, type=click.Path(path_type=Path))
        @output_options
        def mongo(manifest: Path | None, **kwargs: Any) -> None:
            """Audit a MongoDB usage manifest (default: [tool.handbook.mongo] manifest)."""
            opts = options_from(kwargs)
            config = config_for(opts)
            settings = config.engines.get(engine.name)
            limits = settings.limits() if settings is not None else None
            if manifest is None:
                if settings is None:
                    raise UsageError("give a MANIFEST file, or configure [tool.handbook.mongo] manifest")
                manifest = _relative(config.path(settings.manifest))
            emit(engine.run(manifest, limits), opts, config, inputs=[manifest])

        return mongo


def _relative(path: Path) -> Path:
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


ENGINE = MongoEngine()
