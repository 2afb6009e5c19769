"""The REL semgrep rules: `semgrep --test` passes on their test files, and `handbook check code` loads them."""

from __future__ import annotations

import os
import subprocess

from checks.engines.code.rules import LANGUAGES, load_checks, rules_dir, rules_dirs
from checks.engines.code.semgrep import OFFLINE_ENV, find_semgrep
from checks.registry import default_registry
from checks.rules import Area

REL_DIR = rules_dir("reliability")


def test_semgrep_test_passes_on_reliability_rules() -> None:
    done = subprocess.run(
        [find_semgrep(), "--test", "--metrics=off", "--disable-version-check", str(REL_DIR)],
        capture_output=True,
        text=True,
        env={**os.environ, **OFFLINE_ENV},
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "All tests passed" in done.stdout + done.stderr


def test_code_engine_loads_every_area_folder() -> None:
    assert REL_DIR in rules_dirs()
    rel = {key: check for key, check in load_checks().items() if check.rule_id.startswith("REL-")}
    assert set(rel) == {
        "ack-before-processing",
        "retry-without-backoff",
        "consumer-swallows-exception",
        "consumer-write-without-dedupe",
    }
    by_key = default_registry().for_engine("code")
    for key, check in rel.items():
        assert by_key[key].id == check.rule_id
        assert set(check.languages) == set(LANGUAGES), f"{key}: needs a Python and a TypeScript rule"
        for language, semgrep_id in zip(check.languages, check.semgrep_ids, strict=True):
            text = check.path.with_suffix(LANGUAGES[language]).read_text(encoding="utf-8")
            assert f"ruleid: {semgrep_id}" in text
            assert f"ok: {semgrep_id}" in text


def test_at_least_twelve_reliability_rules() -> None:
    rules = default_registry().select(area=Area.RELIABILITY)
    assert len(rules) >= 12
    assert len([r for r in rules if not r.enforced.is_review]) >= 4
