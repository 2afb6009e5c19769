"""Every machine-checked rule: its bad example makes its check fire, its good example passes.

The cases come from the registry, so adding a rule adds its test.
"""

from __future__ import annotations

import pytest

from checks.engines import all_engines
from checks.registry import default_registry
from checks.render import rule_page, satisfied_snippet

ENFORCED = [r for r in default_registry() if not r.enforced.is_review]


@pytest.mark.parametrize("rule", ENFORCED, ids=lambda r: r.id)
def test_bad_example_fires(rule) -> None:
    findings = all_engines()[rule.enforced.engine].check_example(rule, rule.examples.bad)
    fired = [f for f in findings if f.rule_id == rule.id]
    assert fired, f"{rule.id}: its bad example produced no {rule.id} finding"
    assert all(f.severity == rule.severity for f in fired)
    assert all(f.location.line or f.location.logical for f in fired), f"{rule.id}: findings must be located"


@pytest.mark.parametrize("rule", ENFORCED, ids=lambda r: r.id)
def test_good_example_passes(rule) -> None:
    findings = all_engines()[rule.enforced.engine].check_example(rule, rule.examples.good)
    fired = [f"{f.location.render()}: {f.message}" for f in findings if f.rule_id == rule.id]
    assert not fired, f"{rule.id}: its good example was flagged: {fired}"


@pytest.mark.parametrize("rule", list(default_registry()), ids=lambda r: r.id)
def test_page_renders_with_reference_code(rule) -> None:
    page = rule_page(rule)
    assert page.startswith(f"# {rule.id}: {rule.title}")
    assert rule.examples.bad.code.strip().splitlines()[0] in page
    for place in rule.satisfied_by:
        title, _, code = satisfied_snippet(place)
        assert code.strip(), f"{rule.id}: satisfied_by {title} is empty"
