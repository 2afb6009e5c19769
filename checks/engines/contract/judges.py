"""The pure core of the live checks: recorded exchanges of one operation in, violations out.

Each function judges one check key. Probes are named ``family:variant`` (``auth:alg-none``); a judge
reads only its own family, so the same list of exchanges can be handed to every judge.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from checks.engines.contract.contract import OperationFacts
from checks.engines.contract.exchange import Exchange, Response

PROBLEM_JSON = "application/problem+json"
AUTH_PROBES = {
    "no-token": "without a token",
    "alg-none": "with an unsigned token (alg: none)",
    "no-signature": "with the signature stripped from a valid token",
    "tampered": "with a tampered payload under the original signature",
    "expired": "with a validly signed but expired token",
    "not-yet-valid": "with a validly signed token that is not yet valid (nbf in the future)",
    "wrong-audience": "with a validly signed token for another audience",
    "wrong-issuer": "with a validly signed token from another issuer",
}


@dataclass(frozen=True, slots=True)
class Violation:
    """A failed expectation and the exchange that shows it."""

    message: str
    exchange: Exchange | None = None


def _probes(exchanges: list[Exchange], family: str) -> list[tuple[str, Exchange]]:
    prefix = family + ":"
    return [(e.probe[len(prefix) :], e) for e in exchanges if e.probe.startswith(prefix)]


def _got(response: Response | None) -> str:
    if response is None:
        return "no response"
    return f"{response.status} {response.media_type or 'without Content-Type'}"


def authentication(op: OperationFacts, exchanges: list[Exchange]) -> Iterator[Violation]:
    """A protected operation answers 401 problem+json to a missing, forged or invalid token."""
    if not op.protected:
        return
    for variant, ex in _probes(exchanges, "auth"):
        resp = ex.response
        if _throttled(resp):
            continue
        how = AUTH_PROBES.get(variant, variant)
        if resp is None or resp.status != 401:
            yield Violation(f"{op.label} {how}: expected 401, got {_got(resp)}", ex)
        elif resp.media_type != PROBLEM_JSON:
            yield Violation(f"{op.label} {how}: the 401 is {resp.media_type or 'untyped'}, not {PROBLEM_JSON}", ex)


def rate_limit(op: OperationFacts, exchanges: list[Exchange]) -> Iterator[Violation]:
    """A burst against an operation that documents 429 meets a 429 with Retry-After and RateLimit headers."""
    if not op.rate_limited:
        return
    burst = [e for variant, e in _probes(exchanges, "rate-limit") if variant == "burst"]
    if not burst:
        return
    limited = [e for e in burst if e.response is not None and e.response.status == 429]
    quotas = [q for e in burst if (q := advertised_quota(e.response)) is not None]
    if not limited and quotas and len(burst) <= min(quotas):
        return  # the advertised quota is larger than the capped burst: inconclusive
    if not limited:
        yield Violation(f"{op.label} documents 429, but a burst of {len(burst)} requests was never limited", burst[-1])
        return
    first = limited[0]
    assert first.response is not None
    missing = [h for h in ("Retry-After", "RateLimit", "RateLimit-Policy") if first.response.header(h) is None]
    retry = first.response.header("Retry-After")
    if retry is not None and not retry.strip().isdigit():
        missing.append("Retry-After as delay-seconds")
    if missing:
        yield Violation(f"{op.label}: the 429 lacks {', '.join(missing)}", first)


def deprecation(op: OperationFacts, exchanges: list[Exchange]) -> Iterator[Violation]:
    """A deprecated operation's successful responses carry ``Deprecation`` and ``Sunset``."""
    if not op.deprecated:
        return
    for _, ex in _probes(exchanges, "deprecation"):
        resp = ex.response
        if resp is None or not 200 <= resp.status < 300:
            continue
        missing = [h for h in ("Deprecation", "Sunset") if resp.header(h) is None]
        if missing:
            yield Violation(f"{op.label} is deprecated, but its {resp.status} lacks {' and '.join(missing)}", ex)


def idempotency(op: OperationFacts, exchanges: list[Exchange]) -> Iterator[Violation]:
    """A replay with the same ``Idempotency-Key`` and body returns the first response; another body is refused."""
    if op.idempotency_key is None:
        return
    probes = dict(_probes(exchanges, "idempotency"))
    first, replay, other = probes.get("first"), probes.get("replay"), probes.get("other-body")
    if first is None or first.response is None or not 200 <= first.response.status < 300:
        return
    if replay is not None:
        resp = replay.response
        if resp is None or resp.status != first.response.status:
            yield Violation(
                f"{op.label}: replaying the same Idempotency-Key and body gave {_got(resp)}, "
                f"the first request {first.response.status}",
                replay,
            )
        elif _canonical(resp.body) != _canonical(first.response.body):
            yield Violation(f"{op.label}: replaying the same Idempotency-Key returned a different body", replay)
    if other is not None:
        resp = other.response
        if resp is None or resp.status not in (409, 422):
            yield Violation(
                f"{op.label}: the same Idempotency-Key with a different body gave {_got(resp)}, expected 409 or 422",
                other,
            )


def limit_bounds(op: OperationFacts, exchanges: list[Exchange]) -> Iterator[Violation]:
    """A ``limit`` above the documented maximum is refused with 400 or 422 problem+json."""
    maximum = op.limit_maximum
    if maximum is None:
        return
    for _, ex in _probes(exchanges, "limit"):
        resp = ex.response
        if resp is None or resp.status not in (400, 422):
            yield Violation(f"{op.label}: limit={maximum + 1} (maximum {maximum}) gave {_got(resp)}", ex)
        elif resp.media_type != PROBLEM_JSON:
            yield Violation(f"{op.label}: the refusal of limit={maximum + 1} is not {PROBLEM_JSON}", ex)


def problem_responses(op: OperationFacts, exchanges: list[Exchange]) -> Iterator[Violation]:
    """Every 4xx and 5xx response with a body is ``application/problem+json``; one violation per status."""
    seen: set[int] = set()
    for ex in exchanges:
        resp = ex.response
        if resp is None or resp.status < 400 or resp.status in seen or ex.request.method == "HEAD":
            continue
        if resp.media_type != PROBLEM_JSON:
            seen.add(resp.status)
            yield Violation(
                f"{op.label} answered {resp.status} as {resp.media_type or 'untyped'}, not {PROBLEM_JSON}", ex
            )


def object_authorization(op: OperationFacts, exchanges: list[Exchange]) -> Iterator[Violation]:
    """Another identity cannot change or delete a resource the main identity created (403 or 404)."""
    for identity, ex in _probes(exchanges, "object"):
        resp = ex.response
        if _throttled(resp):
            continue
        if resp is None or resp.status not in (403, 404):
            yield Violation(
                f"{op.label}: identity {identity!r} acted on a resource of the main identity and got {_got(resp)}, "
                "expected 403 or 404",
                ex,
            )


def function_authorization(op: OperationFacts, exchanges: list[Exchange]) -> Iterator[Violation]:
    """An identity whose role the operation does not allow gets 403."""
    for identity, ex in _probes(exchanges, "function"):
        resp = ex.response
        if _throttled(resp):
            continue
        if resp is None or resp.status != 403:
            allowed = ", ".join(op.roles)
            yield Violation(
                f"{op.label} allows roles {allowed}; identity {identity!r} got {_got(resp)}, expected 403", ex
            )


def advertised_quota(response: Response | None) -> int | None:
    """The smallest quota ``q`` in ``RateLimit-Policy`` (draft-ietf-httpapi-ratelimit-headers)."""
    if response is None:
        return None
    quotas = []
    for item in (response.header("ratelimit-policy") or "").split(","):
        for param in item.split(";")[1:]:
            name, _, value = param.strip().partition("=")
            if name == "q" and value.isdigit():
                quotas.append(int(value))
    return min(quotas) if quotas else None


def _throttled(response: Response | None) -> bool:
    """A 429 refused the request before it was judged: the probe is inconclusive, not failed."""
    return response is not None and response.status == 429


def _canonical(body: str) -> str:
    try:
        return json.dumps(json.loads(body), sort_keys=True)
    except ValueError:
        return body
