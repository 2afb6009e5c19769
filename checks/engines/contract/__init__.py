"""``handbook check contract``: test a running service against its OpenAPI contract.

Schemathesis runs every built-in check over generated, example and stateful requests; the handbook's own
probes then check authentication, authorization, rate limits, deprecation headers, idempotency, ``limit``
bounds and problem+json errors. Judging is pure (:mod:`.judges`); sending is at the edge (:mod:`.probes`).
"""

from __future__ import annotations

import sys
import time
from argparse import ArgumentParser, Namespace
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field

from checks.config import Config
from checks.engines import Engine
from checks.engines.contract import fuzz, judges
from checks.engines.contract.contract import OperationFacts, operations
from checks.engines.contract.exchange import Exchange, exchange_from_dict
from checks.engines.contract.probes import Identity, Prober
from checks.engines.contract.tokens import command_signer, key_signer, load_signing_key, run_token_command
from checks.engines.openapi.spec import Spec
from checks.errors import InputError, UsageError
from checks.findings import Finding, Location, Report
from checks.output import Command, add_output_options, config_for, emit, float_range, int_range, options_from
from checks.registry import default_registry
from checks.rules import Example, Rule
from checks.settings import EngineSettings
from checks.sources import Document

Judge = Callable[[OperationFacts, list[Exchange]], Iterator[judges.Violation]]
JUDGES: dict[str, Judge] = {
    "authentication": judges.authentication,
    "object-authorization": judges.object_authorization,
    "function-authorization": judges.function_authorization,
    "rate-limit": judges.rate_limit,
    "deprecation-headers": judges.deprecation,
    "idempotency": judges.idempotency,
    "limit-bounds": judges.limit_bounds,
    "problem-responses": judges.problem_responses,
}
SCHEMATHESIS_KEY = "schema-conformance"
SCHEMATHESIS_SHARE = 0.6
"""Share of ``--max-time`` the schemathesis run may use; the probes get the rest."""


class ContractSettings(EngineSettings):
    """``[tool.handbook.contract]``: the contract and how to reach and authenticate to the service."""

    spec: str
    url: str | None = None
    seed: int = 20240604
    max_examples: int = Field(default=20, alias="max-examples", ge=1, le=10000)
    max_time: float = Field(default=120, alias="max-time", gt=0)
    request_timeout: float = Field(default=10, alias="request-timeout", gt=0)
    headers: list[str] = Field(default_factory=list)
    token_command: str | None = Field(default=None, alias="token-command")
    signing_key: str | None = Field(default=None, alias="signing-key")
    identities: dict[str, str] = Field(default_factory=dict)


class ContractEngine(Engine):
    """Live contract tests: schemathesis plus the handbook's security and protocol probes."""

    name = "contract"
    title = "Contract tests against a live service"
    usage = "handbook check contract --spec SPEC --url URL"

    def parse_settings(self, data: Any) -> ContractSettings:
        return ContractSettings.parse(data)

    def keys(self) -> dict[str, Any]:
        return {SCHEMATHESIS_KEY: fuzz.run, **JUDGES}

    def check_example(self, rule: Rule, example: Example) -> list[Finding]:
        """Judge the exchanges an example records (``contract`` and ``exchanges`` in one YAML mapping)."""
        data = yaml.load(example.code, Loader=yaml.CSafeLoader)
        if not isinstance(data, dict) or not isinstance(data.get("contract"), dict):
            raise InputError(f"{rule.id}: a contract example is a mapping with 'contract' and 'exchanges'")
        doc = Document.from_text(yaml.safe_dump(data["contract"], sort_keys=False), name=f"{rule.id}.yaml")
        spec = Spec.from_document(doc)
        ops = operations(spec)
        exchanges = [exchange_from_dict(e) for e in data.get("exchanges") or []]
        key = rule.enforced.key or ""
        if key == SCHEMATHESIS_KEY:
            schema = fuzz.build_schema(data["contract"], base_url="http://localhost:8080", settings=_fuzz_settings())
            out: list[Finding] = []
            for ex in exchanges:
                op = _operation_of(ops, ex)
                for title in fuzz.validate(schema, op.method, op.path, ex) if op and ex.response else []:
                    out.append(_finding(rule, op, f"{op.label}: {title}", ex.request.curl(), doc.path, key))
            return out
        return _judge(rule, key, ops, exchanges, doc.path, show_secrets=False)

    def run(self, settings: ContractSettings, *, show_secrets: bool = False) -> Report:
        """Test the service at ``settings.url`` against ``settings.spec``."""
        if not settings.url:
            raise UsageError("give --url URL of the running service (or url in [tool.handbook.contract])")
        started = time.monotonic()
        spec = Spec.load(settings.spec)
        ops = operations(spec)
        if not ops:
            raise InputError("the contract has no operations to test", file=settings.spec)
        registry = default_registry().for_engine(self.name)
        report = Report(engines=[self.name], rules_checked=sorted(r.id for r in registry.values()))
        report.inputs += [settings.spec, settings.url]
        headers, main = _main_identity(settings)
        identities = [_identity(name, value) for name, value in settings.identities.items()]
        signer = None
        if settings.signing_key:
            signer = key_signer(load_signing_key(Path(settings.signing_key)), main.token)
        elif settings.token_command:
            signer = command_signer(settings.token_command)
        roles = frozenset(r for op in ops for r in op.roles)
        prober = Prober(
            base_url=settings.url,
            main=main,
            identities=identities,
            timeout=settings.request_timeout,
            deadline=started + settings.max_time,
            signer=signer,
            extra_headers=headers,
            roles=roles,
        )
        try:
            prober.preflight()
            fuzz_settings = _fuzz_settings(settings, headers, main, show_secrets)
            schema = fuzz.build_schema_from_path(settings.spec, base_url=settings.url, settings=fuzz_settings)
            budget = settings.max_time * SCHEMATHESIS_SHARE - (time.monotonic() - started)
            result = fuzz.run(schema, seconds=budget)
            rule = registry[SCHEMATHESIS_KEY]
            for failure in result.failures:
                op = next((o for o in ops if (o.method, o.path) == (failure.method, failure.path)), None)
                message = f"{failure.check}: {failure.title}" + (f" ({failure.message})" if failure.message else "")
                report.findings.append(
                    _finding(
                        rule,
                        op,
                        f"{op.label if op else failure.operation} {message}",
                        failure.curl,
                        settings.spec,
                        SCHEMATHESIS_KEY,
                    )
                )
            for op in ops:
                if prober.out_of_time:
                    break
                path = prober.resource_path(op, ops, prober.main) or op.path
                if op.protected:
                    prober.authentication(op, path)
                for probe in (
                    prober.limit,
                    prober.idempotency,
                    prober.deprecation,
                    prober.object_level,
                    prober.function_level,
                ):
                    if not prober.out_of_time:
                        probe(op, ops)
            for op in ops:
                if not prober.out_of_time:
                    prober.rate_limit(op, ops)
        finally:
            prober.close()
        exchanges = prober.exchanges + [e for group in result.exchanges.values() for e in group]
        report.findings += _judge_all(registry, ops, exchanges, settings.spec, show_secrets)
        for note in prober.notes:
            print(f"note: {note}", file=sys.stderr)
        return report

    def run_configured(self, config: Config) -> Report | None:
        settings = config.engines.get(self.name)
        if settings is None:
            return None
        if not settings.url:  # a section for `check contract --url …` only: say why nothing ran
            print("note: [tool.handbook.contract] has no url: contract tests skipped", file=sys.stderr)
            return None
        return self.run(_resolved(settings, config))

    def command(self) -> Command:
        def run(args: Namespace) -> None:
            opts = options_from(args)
            config = config_for(opts, self.name)
            settings = _merge(config, vars(args))
            emit(self.run(settings, show_secrets=args.show_secrets), opts, config, inputs=[Path(settings.spec)])

        return Command(
            "Test a running service against its OpenAPI contract (schemathesis and handbook probes).", _arguments, run
        )


def _arguments(parser: ArgumentParser) -> None:
    """The options of ``handbook check contract``: each overrides its key in ``[tool.handbook.contract]``."""
    parser.add_argument("--spec", type=Path, metavar="PATH", help="The OpenAPI contract.")
    parser.add_argument("--url", metavar="TEXT", help="Base URL of the running service.")
    parser.add_argument("--seed", type=int, metavar="INTEGER", help="Seed of the generated data [default: 20240604].")
    parser.add_argument(
        "--max-examples",
        type=int_range(1, 10000),
        metavar="INTEGER",
        help="Examples per operation [default: 20].  [1<=x<=10000]",
    )
    parser.add_argument(
        "--max-time", type=float_range(1), metavar="FLOAT", help="Seconds for the whole run [default: 120].  [x>=1]"
    )
    parser.add_argument(
        "--request-timeout",
        type=float_range(0.1),
        metavar="FLOAT",
        help="Seconds per request [default: 10].  [x>=0.1]",
    )
    parser.add_argument(
        "--header", dest="headers", action="append", metavar="TEXT", help="'Name: value' sent with every request."
    )
    parser.add_argument(
        "--token-command", metavar="TEXT", help="Command printing the main bearer token; run with --claim k=v too."
    )
    parser.add_argument(
        "--identity", dest="identities", action="append", metavar="TEXT", help="NAME=TOKEN or NAME=cmd:COMMAND."
    )
    parser.add_argument("--signing-key", type=Path, metavar="PATH", help="The test issuer's private JWK.")
    parser.add_argument("--show-secrets", action="store_true", help="Show tokens in the curl lines of findings.")
    add_output_options(parser)


def _merge(config: Config, given: dict[str, Any]) -> ContractSettings:
    """Command-line options over ``[tool.handbook.contract]``."""
    base: ContractSettings | None = config.engines.get("contract")
    data: dict[str, Any] = base.model_dump() if base else {}
    if base:
        data = _resolved(base, config).model_dump()
    for name in ("url", "seed", "max_examples", "max_time", "request_timeout", "token_command"):
        if given.get(name) is not None:
            data[name] = given[name]
    if given.get("spec") is not None:
        data["spec"] = str(given["spec"])
    if given.get("signing_key") is not None:
        data["signing_key"] = str(given["signing_key"])
    if given.get("headers"):
        data["headers"] = [*data.get("headers", []), *given["headers"]]
    for item in given.get("identities") or ():
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value:
            raise UsageError(f"--identity {item!r}: write NAME=TOKEN or NAME=cmd:COMMAND")
        data.setdefault("identities", {})[name.strip()] = value
    if "spec" not in data:
        raise UsageError("give --spec SPEC (or spec in [tool.handbook.contract])")
    return ContractSettings.model_validate(data)


def _resolved(settings: ContractSettings, config: Config) -> ContractSettings:
    updates: dict[str, Any] = {"spec": str(config.path(settings.spec))}
    if settings.signing_key:
        updates["signing_key"] = str(config.path(settings.signing_key))
    return settings.model_copy(update=updates)


def _main_identity(settings: ContractSettings) -> tuple[dict[str, str], Identity]:
    headers: dict[str, str] = {}
    for raw in settings.headers:
        name, sep, value = raw.partition(":")
        if not sep or not name.strip():
            raise UsageError(f"--header {raw!r}: write 'Name: value'")
        headers[name.strip()] = value.strip()
    auth = next((k for k in headers if k.lower() == "authorization"), None)
    token = None
    if auth is not None:
        value = headers.pop(auth)
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise UsageError("--header Authorization: give 'Authorization: Bearer TOKEN'")
        token = token.strip()
    elif settings.token_command:
        token = run_token_command(settings.token_command)
    return headers, Identity("main", token)


def _identity(name: str, value: str) -> Identity:
    if value.startswith("cmd:"):
        return Identity(name, run_token_command(value[4:]))
    return Identity(name, value.removeprefix("Bearer ").strip())


def _fuzz_settings(
    settings: ContractSettings | None = None,
    headers: dict[str, str] | None = None,
    main: Identity | None = None,
    show_secrets: bool = False,
) -> dict[str, Any]:
    sent = dict(headers or {})
    if main is not None and main.token:
        sent["Authorization"] = f"Bearer {main.token}"
    return {
        "seed": settings.seed if settings else 20240604,
        "max_examples": settings.max_examples if settings else 1,
        "request_timeout": settings.request_timeout if settings else 10,
        "headers": sent,
        "show_secrets": show_secrets,
    }


def _judge_all(
    registry: dict[str, Rule], ops: list[OperationFacts], exchanges: list[Exchange], file: str, show_secrets: bool
) -> list[Finding]:
    out: list[Finding] = []
    for key, rule in registry.items():
        if key in JUDGES:
            out += _judge(rule, key, ops, exchanges, file, show_secrets=show_secrets)
    return out


def _judge(
    rule: Rule, key: str, ops: list[OperationFacts], exchanges: list[Exchange], file: str, *, show_secrets: bool
) -> list[Finding]:
    out: list[Finding] = []
    by_op: dict[str, list[Exchange]] = {}
    for ex in exchanges:
        op = _operation_of(ops, ex)
        if op is not None:
            by_op.setdefault(op.label, []).append(ex)
    for op in ops:
        for violation in JUDGES[key](op, by_op.get(op.label, [])):
            curl = violation.exchange.request.curl(show_secrets=show_secrets) if violation.exchange else ""
            out.append(_finding(rule, op, violation.message, curl, file, key))
    return out


def _operation_of(ops: list[OperationFacts], ex: Exchange) -> OperationFacts | None:
    """The operation an exchange belongs to: by its label, else by method and URL path."""
    for op in ops:
        if ex.operation in (op.label, op.operation_id, f"{op.method} {op.path}"):
            return op
    from urllib.parse import urlsplit

    path = urlsplit(ex.request.url).path
    for op in ops:
        if op.method == ex.request.method and _matches(op.path, path):
            return op
    return None


def _matches(template: str, path: str) -> bool:
    left, right = template.strip("/").split("/"), path.strip("/").split("/")
    return len(left) == len(right) and all(t.startswith("{") or t == p for t, p in zip(left, right, strict=True))


def _finding(rule: Rule, op: OperationFacts | None, message: str, curl: str, file: str, key: str) -> Finding:
    details = {"check": f"contract:{key}"}
    if op is not None:
        details["operation"] = op.label
    if curl:
        details["curl"] = curl
    return Finding(
        rule_id=rule.id,
        severity=rule.severity,
        message=message,
        location=Location(file=file, line=op.line if op else None, logical=op.label if op else None),
        engine="contract",
        details=details,
    )


ENGINE = ContractEngine()
