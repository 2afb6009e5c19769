"""Fixtures of the attack suite: an app with small rate limits, an issuer, and service processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from feedchat.app import create_app
from feedchat.issuer import DevIssuer
from feedchat.settings import Settings

from tests.net import free_port

SMALL_LIMITS = {"address": "1000/minute", "auth-failures": "5/minute", "writes": "50/minute", "creates": "5/minute"}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(dev_keys_dir=tmp_path / "dev-keys", rate_limits=dict(SMALL_LIMITS), max_body_bytes=64 * 1024)


@pytest.fixture
def issuer(settings: Settings) -> DevIssuer:
    return DevIssuer.load_or_create(settings.dev_keys_dir, issuer=settings.issuer, audience=settings.audience)


@pytest.fixture
def app(settings: Settings, issuer: DevIssuer) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def bearer(issuer: DevIssuer) -> Callable[..., dict[str, str]]:
    """``Authorization`` headers for ``sub`` with ``roles``."""

    def headers(sub: str = "alice", *roles: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {issuer.issue(sub, roles or ('member',))}"}

    return headers


class Service:
    """``python -m feedchat serve`` in a subprocess on a free loopback port."""

    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "feedchat", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/openapi.json", timeout=0.5).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the service did not start on port {self.port}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


@pytest.fixture
def services() -> Iterator[Callable[[dict[str, str]], Service]]:
    """Start service processes with extra environment; all are stopped after the test."""
    started: list[Service] = []

    def start(env: dict[str, str]) -> Service:
        service = Service(env)
        started.append(service)
        return service

    yield start
    for service in started:
        service.stop()
