"""``handbook check waivers``: report waivers in ``[tool.handbook]`` whose expiry date has passed."""

from __future__ import annotations

import tempfile
from argparse import Namespace
from datetime import date
from pathlib import Path
from typing import Any

from checks.config import Config, load_config, waiver_findings
from checks.engines import Engine
from checks.findings import Finding, Report
from checks.output import Command, add_output_options, config_for, emit, options_from
from checks.rules import Example, Rule

EXAMPLE_DATE = date(2027, 1, 1)
"""Rule examples are judged as of this date, so that they do not change meaning over time."""


def waiver_expiry(config: Config, today: date | None = None) -> list[Finding]:
    """Findings for expired waivers (QUAL-101)."""
    return waiver_findings(config, today=today)


class WaiversEngine(Engine):
    """Waivers are decisions with an owner and an end date; an expired one is a finding."""

    name = "waivers"
    title = "Waiver expiry"
    usage = "handbook check waivers"

    def keys(self) -> dict[str, Any]:
        return {"waiver-expiry": waiver_expiry}

    def check_example(self, rule: Rule, example: Example) -> list[Finding]:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "pyproject.toml"
            path.write_text(example.code, encoding="utf-8")
            return waiver_expiry(load_config(path), today=EXAMPLE_DATE)

    def run_configured(self, config: Config) -> Report | None:
        # Expired waivers are added to every report by checks.config.apply_waivers.
        return None

    def command(self) -> Command:
        def run(args: Namespace) -> None:
            opts = options_from(args)
            config = config_for(opts, self.name)
            emit(Report(engines=[self.name], rules_checked=["QUAL-101"]), opts, config)

        return Command(
            "Report expired waivers in [tool.handbook] (every other check reports them too).", add_output_options, run
        )


ENGINE = WaiversEngine()
