"""The live edge: send each probe's requests to the service and record the exchanges.

Requests are built from the contract (path parameters of resources the probes create first, example
bodies); nothing here judges a response — :mod:`checks.engines.contract.judges` does.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from checks.engines.contract.contract import OperationFacts
from checks.engines.contract.exchange import Exchange, Request, Response
from checks.engines.contract.judges import advertised_quota
from checks.engines.contract.tokens import bad_claims, forgeries, parts
from checks.errors import InputError

MAX_BURST = 200
DEFAULT_BURST = 100
WRITE_METHODS = ("PUT", "PATCH", "DELETE")


@dataclass
class Identity:
    """A named caller and its bearer token (``None``: anonymous)."""

    name: str
    token: str | None


@dataclass
class Prober:
    """Sends probe requests within a deadline and records every exchange."""

    base_url: str
    main: Identity
    identities: list[Identity]
    timeout: float
    deadline: float
    signer: Callable[[dict[str, Any]], str] | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)
    roles: frozenset[str] = frozenset()
    exchanges: list[Exchange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.client = httpx.Client(timeout=self.timeout, follow_redirects=False)

    def close(self) -> None:
        """Release the connections."""
        self.client.close()

    @property
    def out_of_time(self) -> bool:
        """The global time budget is spent."""
        return time.monotonic() >= self.deadline

    def preflight(self) -> None:
        """Fail with an input error when the service cannot be reached or does not answer."""
        try:
            self.client.get(self.base_url)
        except httpx.ConnectError as exc:
            raise InputError(f"cannot connect to {self.base_url}: {_reason(exc)}") from None
        except httpx.TimeoutException:
            raise InputError(f"{self.base_url} did not answer within {self.timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise InputError(f"cannot reach {self.base_url}: {_reason(exc)}") from None

    def send(
        self,
        op: OperationFacts,
        probe: str,
        *,
        identity: Identity | None,
        path: str | None = None,
        params: dict[str, Any] | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
        token: str | None = None,
    ) -> Exchange:
        """Send one request for ``op`` and record it."""
        url = self.base_url.rstrip("/") + (path or op.path)
        if params:
            url += "?" + urlencode(params)
        sent = dict(self.extra_headers)
        bearer = token if token is not None else (identity.token if identity else None)
        sent.pop("Authorization", None)
        if bearer:
            sent["Authorization"] = f"Bearer {bearer}"
        text = None
        if body is not None:
            text = json.dumps(body)
            sent["Content-Type"] = op.body_type or "application/json"
        sent.update(headers or {})
        request = Request(op.method, url, sent, text)
        name = identity.name if identity else "anonymous"
        try:
            raw = self.client.request(op.method, url, headers=sent, content=text)
            response = Response(raw.status_code, {k.lower(): v for k, v in raw.headers.items()}, raw.text)
            ex = Exchange(op.label, probe, request, response, identity=name)
        except httpx.TimeoutException:
            ex = Exchange(op.label, probe, request, None, f"no answer within {self.timeout:g} s", name)
        except httpx.HTTPError as exc:
            ex = Exchange(op.label, probe, request, None, _reason(exc), name)
        self.exchanges.append(ex)
        return ex

    # --- resources -------------------------------------------------------------------------

    def resource_path(self, op: OperationFacts, ops: list[OperationFacts], identity: Identity) -> str | None:
        """``op``'s path with each parameter filled by a resource ``identity`` creates; ``None`` if it cannot."""
        path = op.path
        for name in op.path_params:
            marker = "{" + name + "}"
            prefix = path[: path.index(marker)].rstrip("/")
            creator = next((o for o in ops if o.method == "POST" and o.path == _template(op.path, prefix)), None)
            value = self._create(creator, prefix, identity) if creator else None
            if value is None:
                param = next((p for p in op.parameters if p.name == name and p.location == "path"), None)
                if creator is not None or param is None or param.example is None:
                    return None
                value = str(param.example)
            path = path.replace(marker, quote(value, safe=""), 1)
        return path

    def _create(self, creator: OperationFacts, path: str, identity: Identity) -> str | None:
        ex = self.send(creator, "setup", identity=identity, path=path, body=unique(creator.body))
        resp = ex.response
        if resp is None or resp.status not in (200, 201):
            self.notes.append(f"could not create a resource with {creator.label}: {_got(ex)}")
            return None
        data = resp.json()
        if isinstance(data, dict) and isinstance(data.get("id"), str | int):
            return str(data["id"])
        location = resp.header("location")
        return location.rstrip("/").rsplit("/", 1)[-1] if location else None

    # --- probes ----------------------------------------------------------------------------

    def authentication(self, op: OperationFacts, path: str) -> None:
        """Missing, forged and (with a signer) validly signed but invalid tokens."""
        body = unique(op.body)
        self.send(op, "auth:no-token", identity=None, path=path, body=body, token="")
        for variant, token in forgeries(self.main.token).items():
            self.send(op, f"auth:{variant}", identity=None, path=path, body=body, token=token)
        if self.signer is None:
            return
        parsed = parts(self.main.token or "")
        base = parsed[1] if parsed else {}
        for variant, overrides in bad_claims(base).items():
            self.send(op, f"auth:{variant}", identity=None, path=path, body=body, token=self.signer(overrides))

    def object_level(self, op: OperationFacts, ops: list[OperationFacts]) -> None:
        """Another identity changes or deletes a resource the main identity created."""
        if op.method not in WRITE_METHODS or not op.path_params or not op.protected:
            return
        for other in self.identities:
            if other.name in self.roles or other.token == self.main.token:
                continue
            path = self.resource_path(op, ops, self.main)
            if path is None:
                continue
            self.send(op, f"object:{other.name}", identity=other, path=path, body=unique(op.body))

    def function_level(self, op: OperationFacts, ops: list[OperationFacts]) -> None:
        """Each role-named identity whose role the operation does not allow."""
        if not op.roles:
            return
        for other in self.identities:
            if other.name not in self.roles or other.name in op.roles:
                continue
            path = self.resource_path(op, ops, self.main) or op.path
            self.send(op, f"function:{other.name}", identity=other, path=path, body=unique(op.body))

    def deprecation(self, op: OperationFacts, ops: list[OperationFacts]) -> None:
        """One ordinary call of a deprecated operation."""
        if op.deprecated:
            path = self.resource_path(op, ops, self.main) or op.path
            self.send(op, "deprecation:call", identity=self.main, path=path, body=unique(op.body))

    def idempotency(self, op: OperationFacts, ops: list[OperationFacts]) -> None:
        """First call, replay with the same key and body, then the same key with another body."""
        if op.idempotency_key is None or op.body is None:
            return
        path = self.resource_path(op, ops, self.main)
        if path is None:
            return
        key = {op.idempotency_key.name: f"handbook-{uuid.uuid4().hex}"}
        body = unique(op.body)
        first = self.send(op, "idempotency:first", identity=self.main, path=path, body=body, headers=key)
        if first.response is None or not 200 <= first.response.status < 300:
            self.notes.append(f"{op.label}: idempotency not probed, the first request gave {_got(first)}")
            return
        self.send(op, "idempotency:replay", identity=self.main, path=path, body=body, headers=key)
        self.send(op, "idempotency:other-body", identity=self.main, path=path, body=unique(op.body), headers=key)

    def limit(self, op: OperationFacts, ops: list[OperationFacts]) -> None:
        """``limit`` one above the documented maximum."""
        maximum = op.limit_maximum
        if maximum is None:
            return
        path = self.resource_path(op, ops, self.main) or op.path
        self.send(op, "limit:above-maximum", identity=self.main, path=path, params={"limit": maximum + 1})

    def rate_limit(self, op: OperationFacts, ops: list[OperationFacts]) -> None:
        """A burst of at most twice the advertised quota (``MAX_BURST`` at most), stopping at the first 429."""
        if not op.rate_limited:
            return
        path = self.resource_path(op, ops, self.main) or op.path
        first = self.send(op, "rate-limit:burst", identity=self.main, path=path, body=unique(op.body))
        quota = advertised_quota(first.response)
        cap = min(MAX_BURST, 2 * quota + 1) if quota else DEFAULT_BURST
        sent = 1
        while sent < cap and not self.out_of_time:
            if first.response is None or first.response.status == 429:
                break
            first = self.send(op, "rate-limit:burst", identity=self.main, path=path, body=unique(op.body))
            sent += 1


def unique(body: Any) -> Any:
    """A copy of an example body whose top-level strings end in a fresh suffix (so creates do not collide)."""
    if not isinstance(body, dict):
        return body
    suffix = uuid.uuid4().hex[:6]
    return {k: (f"{v}-{suffix}" if isinstance(v, str) and v else v) for k, v in body.items()}


def _template(path: str, prefix: str) -> str:
    """The template of the collection at ``prefix`` (values filled so far put back as parameters)."""
    depth = prefix.count("/")
    return "/".join(path.split("/")[: depth + 1])


def _got(ex: Exchange) -> str:
    return f"{ex.response.status}" if ex.response is not None else (ex.error or "no response")


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    if "Connection refused" in text:
        return "connection refused"
    return text.splitlines()[0]
