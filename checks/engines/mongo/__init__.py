"""``handbook check mongo``: an audit of a service's MongoDB collections, indexes and queries.

The input is a manifest (format: ``docs/data/manifest.md``) describing each collection's size,
validator, indexes, arrays, query shapes and pipelines; :func:`checks.engines.mongo.audit.audit`
judges it the way MongoDB's query planner would and returns findings tagged with DATA rules.
With ``--uri`` the manifest is compared with a running deployment (:mod:`checks.engines.mongo.live`);
with ``--capture`` a record of executed operations is checked against it
(:mod:`checks.engines.mongo.capture`).
"""

from __future__ import annotations

from argparse import ArgumentParser, Namespace
from pathlib import Path
from typing import Any

from pydantic import Field

from checks.config import Config
from checks.engines import Engine
from checks.engines.mongo.audit import ENGINE_NAME, Limits, audit, load_checks
from checks.engines.mongo.capture import KEY as CAPTURE_KEY
from checks.engines.mongo.capture import capture_audit, load_capture, parse_capture
from checks.engines.mongo.live import LIVE_CHECKS, Snapshot, Thresholds, live_audit
from checks.engines.mongo.manifest import Manifest
from checks.errors import InputError, UsageError
from checks.findings import Finding, Report
from checks.output import Command, add_output_options, config_for, emit, options_from
from checks.registry import default_registry
from checks.rules import Example, Rule
from checks.settings import EngineSettings


class MongoSettings(EngineSettings):
    """``[tool.handbook.mongo]``: where the manifest is, and the audit's thresholds."""

    manifest: str = Field(min_length=1)
    large_collection: int = Field(10_000, ge=0, alias="large-collection")
    max_indexes: int = Field(10, ge=1, alias="max-indexes")
    max_limit: int = Field(1000, ge=1, alias="max-limit")
    max_examined_ratio: float = Field(10.0, gt=0, alias="max-examined-ratio")
    min_examined: int = Field(1000, ge=0, alias="min-examined")
    min_stats_days: float = Field(7.0, ge=0, alias="min-stats-days")

    def limits(self) -> Limits:
        """The thresholds as the audit takes them."""
        return Limits(large_collection=self.large_collection, max_indexes=self.max_indexes, max_limit=self.max_limit)

    def thresholds(self) -> Thresholds:
        """The thresholds of live mode."""
        return Thresholds(self.max_examined_ratio, self.min_examined, self.min_stats_days)


class MongoEngine(Engine):
    """Audit a MongoDB manifest: validators, arrays, names, index coverage and order, queries, pipelines."""

    name = ENGINE_NAME
    title = "MongoDB index and query audit"
    usage = "handbook check mongo [MANIFEST] [--uri URI | --capture FILE]"

    def parse_settings(self, data: Any) -> MongoSettings:
        return MongoSettings.parse(data)

    def keys(self) -> dict[str, Any]:
        return {**load_checks(), **LIVE_CHECKS, CAPTURE_KEY: capture_audit}

    def check_example(self, rule: Rule, example: Example) -> list[Finding]:
        key = rule.enforced.key or ""
        name = f"{rule.id}.{example.lang}"
        if key in LIVE_CHECKS or key == CAPTURE_KEY:
            manifest, rest = _split_example(example.code, name)
            if key == CAPTURE_KEY:
                return capture_audit(
                    manifest, parse_capture(rest.get("captured", ""), name=name), rule, capture_name=name
                )
            return live_audit(manifest, Snapshot.from_data(rest.get("database"), name=name), {key: rule})
        manifest = Manifest.from_text(example.code, name=name)
        return audit(manifest, default_registry().for_engine(self.name), only={key})

    def _rules(self, keys: set[str] | dict[str, Any]) -> dict[str, Rule]:
        return {k: r for k, r in default_registry().for_engine(self.name).items() if k in keys}

    def run(self, path: Path, limits: Limits | None = None) -> Report:
        """Audit the manifest at ``path``."""
        rules = self._rules(load_checks())
        report = Report(engines=[self.name], rules_checked=[r.id for r in rules.values()], inputs=[str(path)])
        report.findings.extend(audit(Manifest.load(path), rules, limits=limits))
        return report

    def run_live(self, path: Path, uri: str, database: str | None, thresholds: Thresholds | None = None) -> Report:
        """Compare the manifest at ``path`` with the deployment at ``uri``."""
        from checks.engines.mongo.server import connect, read_snapshot

        manifest = Manifest.load(path)
        db = connect(uri, database)
        try:
            snapshot = read_snapshot(db, manifest)
        finally:
            db.client.close()
        rules = self._rules(LIVE_CHECKS)
        report = Report(engines=[self.name], rules_checked=[r.id for r in rules.values()], inputs=[str(path)])
        report.findings.extend(live_audit(manifest, snapshot, rules, thresholds=thresholds))
        return report

    def run_capture(self, path: Path, capture: Path) -> Report:
        """Check that every operation recorded in ``capture`` is a declared, index-served shape of ``path``."""
        manifest = Manifest.load(path)
        executed = load_capture(capture)
        rules = self._rules({CAPTURE_KEY})
        report = Report(
            engines=[self.name], rules_checked=[r.id for r in rules.values()], inputs=[str(path), str(capture)]
        )
        for rule in rules.values():
            report.findings.extend(capture_audit(manifest, executed, rule, capture_name=str(capture)))
        return report

    def run_configured(self, config: Config) -> Report | None:
        settings = config.engines.get(self.name)
        if settings is None:
            return None
        return self.run(config.input(settings.manifest), settings.limits())

    def command(self) -> Command:
        def run(args: Namespace) -> None:
            opts = options_from(args)
            config = config_for(opts, self.name)
            manifest: Path | None = args.manifest
            uri: str | None = args.uri
            database: str | None = args.database
            capture: Path | None = args.capture
            settings = config.engines.get(self.name)
            limits = settings.limits() if settings is not None else None
            if uri is not None and capture is not None:
                raise UsageError("give --uri or --capture, not both")
            if database is not None and uri is None:
                raise UsageError("--database needs --uri")
            if manifest is None:
                if settings is None:
                    raise UsageError("give a MANIFEST file, or configure [tool.handbook.mongo] manifest")
                manifest = config.input(settings.manifest)
            if uri is not None:
                thresholds = settings.thresholds() if settings is not None else None
                report = self.run_live(manifest, uri, database, thresholds)
            elif capture is not None:
                report = self.run_capture(manifest, capture)
            else:
                report = self.run(manifest, limits)
            emit(report, opts, config, inputs=[p for p in (manifest, capture) if p is not None])

        return Command("Audit a MongoDB usage manifest (default: [tool.handbook.mongo] manifest).", _arguments, run)


def _arguments(parser: ArgumentParser) -> None:
    """The arguments of ``handbook check mongo``."""
    parser.add_argument("manifest", nargs="?", type=Path, metavar="MANIFEST", help="The usage manifest to audit.")
    parser.add_argument(
        "--uri", metavar="TEXT", help="Compare with the deployment at this MongoDB connection string (live mode)."
    )
    parser.add_argument("--database", metavar="TEXT", help="Database to read in live mode (default: the one in --uri).")
    parser.add_argument(
        "--capture",
        type=Path,
        metavar="PATH",
        help="Check that every operation recorded in this capture file is a declared, index-served shape.",
    )
    add_output_options(parser)


def _split_example(text: str, name: str) -> tuple[Manifest, dict[str, Any]]:
    """A live or capture example: ``manifest:`` (a manifest) beside ``database:`` or ``captured:``."""
    import yaml

    data = yaml.load(text, Loader=yaml.CSafeLoader)
    if not isinstance(data, dict) or not isinstance(data.get("manifest"), dict):
        raise InputError(f"{name}: a live or capture example has a 'manifest' mapping")
    return Manifest.from_text(yaml.safe_dump(data["manifest"], sort_keys=False), name=name), data


ENGINE = MongoEngine()
