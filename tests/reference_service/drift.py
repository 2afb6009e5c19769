"""Compare the running app with its contract: the route table, and a schemathesis run."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import fastapi.routing
import schemathesis
from fastapi import FastAPI
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, Phase, given, seed, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi import checks as openapi_checks

from .conformance import METHODS

SEED = 20240604
CHECKS = [
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.positive_data_acceptance,
    openapi_checks.negative_data_rejection,
    not_a_server_error,
]
# Valid data may still meet a 400: a random string is a schema-valid but foreign pagination cursor.
ACCEPTED = ["2xx", "400", "401", "403", "404", "409"]

Operation = tuple[str, str, str]
"""(METHOD, path template, operationId)"""


def contract_operations(document: dict[str, Any]) -> dict[Operation, dict[str, Any]]:
    """Every operation of the contract, with its path-level parameters merged in."""
    found: dict[Operation, dict[str, Any]] = {}
    for template, item in document.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                op = item[method]
                merged = {**op, "parameters": [*item.get("parameters", []), *op.get("parameters", [])]}
                found[(method.upper(), template, str(op.get("operationId")))] = merged
    return found


def all_routes(app: FastAPI) -> list[Any]:
    """The app's routes with included routers flattened, as FastAPI's own schema generator sees them."""
    iterate = getattr(fastapi.routing, "iter_route_contexts", None)
    return list(iterate(app.routes)) if iterate else list(app.routes)


def api_routes(app: FastAPI) -> dict[Operation, Any]:
    """Every API route of the app (documentation routes are excluded from the schema and from here)."""
    found: dict[Operation, Any] = {}
    for route in all_routes(app):
        if isinstance(getattr(route, "original_route", route), APIRoute) and route.include_in_schema:
            for method in route.methods:
                found[(method, route.path, route.name)] = route
    return found


def _parameter(document: dict[str, Any], parameter: dict[str, Any]) -> dict[str, Any]:
    ref = parameter.get("$ref")
    if isinstance(ref, str):
        node: Any = document
        for part in ref.lstrip("#/").split("/"):
            node = node[part]
        return node
    return parameter


def route_drift(app: FastAPI, document: dict[str, Any]) -> list[str]:
    """Differences between the app's route table and the contract; empty when they agree."""
    contract = contract_operations(document)
    routes = api_routes(app)
    drift = [f"{m} {p} ({o}) is served but not in the contract" for m, p, o in sorted(set(routes) - set(contract))]
    drift += [f"{m} {p} ({o}) is in the contract but not served" for m, p, o in sorted(set(contract) - set(routes))]
    for key in sorted(set(routes) & set(contract)):
        route, op = routes[key], contract[key]
        label = f"{key[0]} {key[1]} ({key[2]})"
        params = [_parameter(document, p) for p in op["parameters"]]
        for where, served in (
            ("path", {p.name for p in route.dependant.path_params}),
            ("query", {p.alias for p in route.dependant.query_params}),
            ("header", {p.alias.lower() for p in route.dependant.header_params}),
        ):
            declared = {
                str(p["name"]).lower() if where == "header" else str(p["name"]) for p in params if p["in"] == where
            }
            if served != declared:
                drift.append(
                    f"{label}: {where} parameters {sorted(served)} in code, {sorted(declared)} in the contract"
                )
        has_body = route.body_field is not None
        if has_body != ("requestBody" in op):
            drift.append(f"{label}: request body {'in code only' if has_body else 'in the contract only'}")
        served_statuses = {str(route.status_code or 200)} | {str(s) for s in route.responses}
        declared_statuses = {str(s) for s in op.get("responses", {})}
        if served_statuses - declared_statuses:
            drift.append(
                f"{label}: statuses {sorted(served_statuses - declared_statuses)} not declared in the contract"
            )
        if declared_statuses - served_statuses:
            drift.append(f"{label}: statuses {sorted(declared_statuses - served_statuses)} declared but never returned")
    return drift


def fuzz(
    app: FastAPI,
    document: dict[str, Any],
    token: str,
    *,
    existing: Callable[[], dict[str, str]],
    operations: Iterable[str] | None = None,
    max_examples: int = 25,
) -> list[str]:
    """Run schemathesis over the contract against the in-process app; return one line per failed check.

    Each operation runs with generated valid data (random IDs, then IDs of resources that exist) and with
    generated invalid data. A bearer token of the development issuer authenticates every request.
    """
    config = schemathesis.Config.from_dict({"checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}}})
    schema = schemathesis.openapi.from_dict(document, config=config)
    schema.app = app
    wanted = set(operations) if operations is not None else None
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if wanted is not None and schema.get_operation_id(operation) not in wanted:
            continue
        names = {p.name for p in operation.path_parameters}
        runs: list[tuple[GenerationMode, dict[str, str] | None]] = [(GenerationMode.POSITIVE, None)]
        if names:
            runs.append((GenerationMode.POSITIVE, {k: v for k, v in existing().items() if k in names}))
        runs.append((GenerationMode.NEGATIVE, None))
        for mode, path_parameters in runs:
            strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)
            label = f"{operation.label} [{mode.value}]"
            _runner(strategy, label, token, max_examples, failures)()
    return sorted(set(failures))


def _runner(strategy: Any, label: str, token: str, max_examples: int, failures: list[str]) -> Callable[[], None]:
    """A Hypothesis test over ``strategy`` that records each failed check in ``failures``."""

    @seed(SEED)
    @settings(
        max_examples=max_examples,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    @given(case=strategy)
    def run(case: schemathesis.Case) -> None:
        if _negates_the_token(case):
            return  # the valid token sent below replaces the negated one
        try:
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
        except AssertionError as exc:
            failures.append(f"{label}: {_first_line(exc)}")
        except BaseExceptionGroup as group:
            failures.extend(f"{label}: {_first_line(e)}" for e in group.exceptions)

    return run


def _negates_the_token(case: schemathesis.Case) -> bool:
    """Whether a negative case negates its ``Authorization`` header, which :func:`_runner` replaces with a valid one.

    What the service receives then lacks that negation; with only ignorable ones left (an unknown query
    parameter), a 2xx would be reported as negative data accepted.
    """
    meta = case.meta
    if meta is None or not meta.generation.mode.is_negative:
        return False
    data = meta.phase.data
    header = meta.components.get(ParameterLocation.HEADER)
    return bool(header and header.mode.is_negative) and (
        getattr(data, "parameter", None) == "Authorization"
        or "Authorization" in (getattr(data, "description", "") or "")
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"
