"""Schemathesis over the contract: every built-in check, examples, coverage, fuzzing and stateful links."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import schemathesis
from schemathesis.core.errors import InvalidSchema
from schemathesis.engine import events, from_schema
from schemathesis.specs.openapi import checks as openapi_checks

from checks.engines.contract.exchange import Exchange, Request, Response, redact
from checks.errors import InputError

# Schema-valid data may still meet these: an unknown ID, a foreign cursor, a taken name, a body over the
# service's size limit (schema lengths count characters, the limit counts bytes), a spent quota. A status the
# operation does not document is still a failure of status_code_conformance.
ACCEPTED = ["2xx", "400", "401", "403", "404", "409", "413", "429"]
# Schema-violating data must be refused with one of these; 413 is a refusal too (a body too large to read).
REJECTED = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx"]
RESPONSE_CHECKS = [
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.response_headers_conformance,
]


@dataclass(frozen=True, slots=True)
class Failure:
    """One failed schemathesis check: which operation, which check, and how to repeat it."""

    operation: str
    method: str
    path: str
    check: str
    title: str
    message: str
    curl: str


@dataclass
class FuzzResult:
    """What a schemathesis run found, and every exchange it recorded (for the problem+json check)."""

    failures: list[Failure] = field(default_factory=list)
    exchanges: dict[tuple[str, str], list[Exchange]] = field(default_factory=dict)
    stop_reason: str = "completed"


def _config(base_url: str, settings: dict[str, Any]) -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "base-url": base_url,
            "seed": settings["seed"],
            "request-timeout": settings["request_timeout"],
            "headers": settings["headers"],
            "generation": {"max-examples": settings["max_examples"]},
            "checks": {
                "positive_data_acceptance": {"expected-statuses": ACCEPTED},
                "negative_data_rejection": {"expected-statuses": REJECTED},
            },
            "output": {"sanitization": {"enabled": not settings["show_secrets"]}},
        }
    )


def build_schema(document: dict[str, Any], *, base_url: str, settings: dict[str, Any]) -> Any:
    """A schemathesis schema of ``document`` aimed at ``base_url``."""
    try:
        return schemathesis.openapi.from_dict(document, config=_config(base_url, settings))
    except (InvalidSchema, ValueError) as exc:
        raise InputError(f"schemathesis cannot load the contract: {_first_line(exc)}") from None


def build_schema_from_path(path: str, *, base_url: str, settings: dict[str, Any]) -> Any:
    """Like :func:`build_schema`, reading the contract (and the files its ``$ref``s name) from ``path``."""
    try:
        return schemathesis.openapi.from_path(path, config=_config(base_url, settings))
    except (InvalidSchema, ValueError, OSError) as exc:
        raise InputError(f"schemathesis cannot load the contract: {_first_line(exc)}", file=path) from None


def run(schema: Any, *, seconds: float) -> FuzzResult:
    """Run every phase once, stopping at ``seconds``; collect failures and exchanges."""
    result = FuzzResult()
    stream = from_schema(schema).execute()
    timer = threading.Timer(max(seconds, 0.1), stream.stop)
    timer.daemon = True
    timer.start()
    seen: set[tuple[str, str, str]] = set()
    try:
        for event in stream:
            if isinstance(event, events.ScenarioFinished):
                _harvest(event, result, seen)
            elif isinstance(event, events.FatalError):
                raise InputError(f"schemathesis stopped: {_first_line(event.exception)}")
            elif isinstance(event, events.NonFatalError) and not event.related_to_operation:
                raise InputError(f"schemathesis cannot test the contract: {_first_line(event.value)}")
            elif isinstance(event, events.EngineFinished):
                result.stop_reason = str(event.stop_reason.value)
    finally:
        timer.cancel()
    return result


def _harvest(event: events.ScenarioFinished, result: FuzzResult, seen: set[tuple[str, str, str]]) -> None:
    recorder = event.recorder
    for case_id, interaction in recorder.interactions.items():
        node = recorder.cases.get(case_id)
        if node is None or interaction.response is None:
            continue
        op = node.value.operation
        key = (op.method.upper(), op.path)
        req = interaction.request
        resp = interaction.response
        exchange = Exchange(
            operation=op.label,
            probe="fuzz",
            request=Request(
                req.method,
                req.uri,
                {k: v[0] for k, v in req.headers.items() if v},
                req.encoded_body if req.body is not None else None,
            ),
            response=Response(
                resp.status_code,
                {k.lower(): v[0] for k, v in resp.headers.items() if v},
                resp.content.decode("utf-8", "replace"),
            ),
        )
        result.exchanges.setdefault(key, []).append(exchange)
    for case_id, checks in recorder.checks.items():
        node = recorder.cases.get(case_id)
        for check in checks:
            info = check.failure_info
            if info is None or node is None:
                continue
            op = node.value.operation
            failure = info.failure
            ident = (op.label, check.name, failure.title)
            if ident in seen:
                continue
            seen.add(ident)
            message = (failure.message or "").strip().splitlines()
            result.failures.append(
                Failure(
                    operation=op.label,
                    method=op.method.upper(),
                    path=op.path,
                    check=check.name,
                    title=failure.title,
                    message=message[0] if message else "",
                    curl=_sanitized(info.code_sample),
                )
            )


def validate(schema: Any, method: str, path: str, exchange: Exchange) -> list[str]:
    """Run the response checks of schemathesis on one recorded exchange (the rule example's way in)."""
    operation = schema[path][method.upper()]
    assert exchange.response is not None
    request = httpx.Request(exchange.request.method, exchange.request.url, headers=exchange.request.headers)
    response = httpx.Response(
        exchange.response.status,
        headers=exchange.response.headers,
        content=exchange.response.body.encode(),
        request=request,
    )
    response.read()
    response.elapsed = timedelta(0)
    case = operation.Case()
    try:
        case.validate_response(response, checks=RESPONSE_CHECKS)
    except AssertionError as exc:
        return _failure_lines(exc)
    except BaseExceptionGroup as group:
        return [line for e in group.exceptions for line in _failure_lines(e)]
    return []


def _failure_lines(exc: BaseException) -> list[str]:
    title = getattr(exc, "title", None)
    return [str(title) if title else _first_line(exc)]


def _sanitized(sample: str) -> str:
    lines = [ln.strip() for ln in sample.strip().splitlines() if ln.strip().startswith("curl ")]
    text = lines[-1] if lines else sample.strip().splitlines()[-1].strip()
    return text.replace("Authorization: [Filtered]", f"Authorization: {redact('authorization', 'Bearer x')}")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
