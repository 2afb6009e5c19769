"""Fixtures: an app on the embedded store with a fresh development issuer, and a contract-checking client."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient
from feedchat import capture
from feedchat.app import create_app
from feedchat.issuer import DevIssuer
from feedchat.ratelimit import POLICIES
from feedchat.settings import SERVICE_ROOT, Settings

from .conformance import Contract

CONTRACT_PATH = SERVICE_ROOT / "openapi.yaml"


class CheckedClient(TestClient):
    """A test client that asserts every response conforms to the contract."""

    def __init__(self, app: FastAPI, contract: Contract) -> None:
        super().__init__(app, raise_server_exceptions=False)
        self.contract = contract

    def request(self, method: str, url: httpx._types.URLTypes, **kwargs: Any) -> httpx.Response:  # type: ignore[override]
        response = super().request(method, url, **kwargs)
        violations = self.contract.violations(response)
        assert not violations, "\n".join(violations)
        return response


@pytest.fixture(scope="session", autouse=True)
def mongo_capture() -> Iterator[None]:
    """With FEEDCHAT_MONGO_CAPTURE=FILE, record every query the service runs and write FILE at the end.

    Audit the file with: handbook check mongo --capture FILE
    """
    target = os.environ.get(capture.ENV_VAR)
    if not target:
        yield
        return
    recording = capture.start()
    try:
        yield
    finally:
        capture.stop()
        recording.write(Path(target))


@pytest.fixture(scope="session")
def document() -> dict[str, Any]:
    """The parsed contract (do not mutate; copy it)."""
    return yaml.safe_load(CONTRACT_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def contract(document: dict[str, Any]) -> Contract:
    return Contract(document)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Local defaults, with rate limits far above what a functional test sends (tests/security tests the limits)."""
    return Settings(dev_keys_dir=tmp_path / "dev-keys", rate_limits=dict.fromkeys(POLICIES, "100000/minute"))


@pytest.fixture
def issuer(settings: Settings) -> DevIssuer:
    return DevIssuer.load_or_create(settings.dev_keys_dir, issuer=settings.issuer, audience=settings.audience)


@pytest.fixture
def app(settings: Settings, issuer: DevIssuer) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI, contract: Contract) -> Iterator[CheckedClient]:
    with CheckedClient(app, contract) as checked:
        yield checked


@pytest.fixture
def auth(issuer: DevIssuer) -> Callable[..., dict[str, str]]:
    """Headers with a bearer token for ``sub`` from the development issuer."""

    def headers(sub: str = "alice", roles: tuple[str, ...] = ("member",)) -> dict[str, str]:
        return {"Authorization": f"Bearer {issuer.issue(sub, roles)}"}

    return headers
