"""The OpenAPI lint: ``lint(spec) -> list[Finding]``, one check function per rule."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from functools import cache
from typing import NamedTuple

from checks.engines.openapi.spec import Spec, Where
from checks.findings import Finding, Location
from checks.modules import submodule_names
from checks.rules import Rule


class Violation(NamedTuple):
    """What a check reports: a message and the node it is about."""

    message: str
    where: Where


CheckFn = Callable[[Spec], Iterator[Violation]]
CHECKS: dict[str, CheckFn] = {}


def check(key: str) -> Callable[[CheckFn], CheckFn]:
    """Register a check function under the rule key it enforces."""

    def register(func: CheckFn) -> CheckFn:
        if key in CHECKS:
            raise ValueError(f"duplicate OpenAPI check key {key!r}")
        CHECKS[key] = func
        return func

    return register


def load_checks() -> dict[str, CheckFn]:
    """Import every module in ``checks.engines.openapi.rules`` so their checks register."""
    _import_rule_modules()
    return CHECKS


@cache
def _import_rule_modules() -> None:
    from checks.engines.openapi import rules

    for name in submodule_names(rules.__path__):
        importlib.import_module(f"{rules.__name__}.{name}")


def lint(spec: Spec, rules: dict[str, Rule], *, only: set[str] | None = None) -> list[Finding]:
    """Run every check that has a rule (or only the keys in ``only``) and return findings."""
    found: list[tuple[Rule, Violation]] = []
    with spec.frozen():
        for key, func in load_checks().items():
            rule = rules.get(key)
            if rule is None or (only is not None and key not in only):
                continue
            found.extend((rule, violation) for violation in func(spec))
    places: dict[int, dict[str, tuple[int | None, int | None]]] = {}
    for doc in {id(v.where.doc): v.where.doc for _, v in found}.values():
        places[id(doc)] = doc.locate_many(v.where.pointer for _, v in found if v.where.doc is doc)
    findings: list[Finding] = []
    for rule, violation in found:
        where = violation.where
        line, column = places[id(where.doc)][where.pointer]
        findings.append(
            Finding(
                rule_id=rule.id,
                severity=rule.severity,
                message=violation.message,
                location=Location(file=where.doc.path, line=line, column=column, pointer=where.pointer),
                engine="openapi",
            )
        )
    return findings
