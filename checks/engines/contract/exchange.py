"""Recorded HTTP exchanges: what the live checks sent and got, and the curl line that repeats it."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from typing import Any

SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})
_BEARER = re.compile(r"^(Bearer|Basic|Token)\s+\S.*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Request:
    """One request as sent: method, absolute URL, headers and body text."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None

    def curl(self, *, show_secrets: bool = False) -> str:
        """A curl command line that sends this request again; credentials redacted unless asked."""
        parts = ["curl", "-X", self.method.upper()]
        for name, value in self.headers.items():
            shown = value if show_secrets else redact(name, value)
            parts += ["-H", f"{name}: {shown}"]
        if self.body is not None:
            parts += ["--data-raw", self.body]
        parts.append(self.url)
        return " ".join(shlex.quote(p) for p in parts)


@dataclass(frozen=True, slots=True)
class Response:
    """One response as received: status, headers (lower-case names) and body text."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""

    def header(self, name: str) -> str | None:
        """A header's value by case-insensitive name."""
        return self.headers.get(name.lower())

    @property
    def media_type(self) -> str:
        """The ``Content-Type`` without parameters, lower-case ("" when absent)."""
        return (self.header("content-type") or "").split(";", 1)[0].strip().lower()

    def json(self) -> Any:
        """The body parsed as JSON, or ``None`` when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class Exchange:
    """A probe's request and its response (``None`` with ``error`` set when none came)."""

    operation: str
    probe: str
    request: Request
    response: Response | None
    error: str | None = None
    identity: str = "main"


def redact(name: str, value: str) -> str:
    """Hide a credential header's secret part: ``Bearer <redacted>``."""
    if name.lower() not in SECRET_HEADERS:
        return value
    match = _BEARER.match(value.strip())
    return f"{match.group(1)} <redacted>" if match else "<redacted>"


def exchange_from_dict(data: dict[str, Any], *, base_url: str = "http://localhost:8080") -> Exchange:
    """An exchange written as YAML/JSON (the rule examples' format)."""
    req = data.get("request") or {}
    resp = data.get("response")
    url = str(req.get("url") or "")
    if url.startswith("/"):
        url = base_url.rstrip("/") + url
    body = req.get("body")
    request = Request(
        method=str(req.get("method", "GET")).upper(),
        url=url,
        headers={str(k): str(v) for k, v in (req.get("headers") or {}).items()},
        body=body if body is None or isinstance(body, str) else json.dumps(body),
    )
    response = None
    if isinstance(resp, dict):
        rbody = resp.get("body", "")
        response = Response(
            status=int(resp.get("status", 0)),
            headers={str(k).lower(): str(v) for k, v in (resp.get("headers") or {}).items()},
            body=rbody if isinstance(rbody, str) else json.dumps(rbody),
        )
    return Exchange(
        operation=str(data.get("operation", "")),
        probe=str(data.get("probe", "")),
        request=request,
        response=response,
        identity=str(data.get("identity", "main")),
    )
