"""The semgrep rules beside their test files: every rule fires where marked `ruleid:` and nowhere else."""

from __future__ import annotations

import os
import subprocess

from checks.engines.code.rules import LANGUAGES, load_checks, rules_dir
from checks.engines.code.semgrep import OFFLINE_ENV, find_semgrep
from checks.registry import default_registry


def test_semgrep_test_passes() -> None:
    done = subprocess.run(
        [find_semgrep(), "--test", "--metrics=off", "--disable-version-check", str(rules_dir())],
        capture_output=True,
        text=True,
        env={**os.environ, **OFFLINE_ENV},
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "All tests passed" in done.stdout + done.stderr


def test_every_rule_has_a_test_file_with_both_markers() -> None:
    for check in load_checks().values():
        for language, semgrep_id in zip(check.languages, check.semgrep_ids, strict=True):
            test_file = check.path.with_suffix(LANGUAGES[language])
            assert test_file.is_file(), f"{check.display()}: no test file {test_file.name}"
            text = test_file.read_text(encoding="utf-8")
            assert f"ruleid: {semgrep_id}" in text, f"{test_file.name}: no case where {semgrep_id} must fire"
            assert f"ok: {semgrep_id}" in text, f"{test_file.name}: no case where {semgrep_id} must stay quiet"


def test_every_check_file_names_the_rule_that_enforces_it() -> None:
    by_key = default_registry().for_engine("code")
    for key, check in load_checks().items():
        assert by_key[key].id == check.rule_id, f"{check.display()} is tagged {check.rule_id}"


def test_at_least_twelve_machine_checked_security_rules() -> None:
    assert len(default_registry().for_engine("code")) >= 12
