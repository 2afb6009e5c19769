import urllib.request

import httpx
import requests


def profile(user_id: str) -> dict:
    # ruleid: outbound-http-timeout.python
    return requests.get(f"https://profiles.internal/v1/users/{user_id}").json()


def notify(payload: dict) -> None:
    # ruleid: outbound-http-timeout.python
    requests.post("https://hooks.internal/v1/events", json=payload, timeout=None)


def with_session(urls: list[str]) -> list[int]:
    session = requests.Session()
    # ruleid: outbound-http-timeout.python
    return [session.get(url).status_code for url in urls]


def forever() -> httpx.Client:
    # ruleid: outbound-http-timeout.python
    return httpx.Client(base_url="https://profiles.internal", timeout=None)


def legacy(url: str) -> bytes:
    # ruleid: outbound-http-timeout.python
    return urllib.request.urlopen(url).read()


def profile_ok(user_id: str) -> dict:
    # ok: outbound-http-timeout.python
    return requests.get(f"https://profiles.internal/v1/users/{user_id}", timeout=(3.05, 10)).json()


def session_ok(urls: list[str]) -> list[int]:
    with requests.Session() as session:
        # ok: outbound-http-timeout.python
        return [session.get(url, timeout=5).status_code for url in urls]


def httpx_default() -> httpx.Client:
    # httpx applies a 5 second timeout unless told otherwise.
    # ok: outbound-http-timeout.python
    return httpx.Client(base_url="https://profiles.internal")


def httpx_call(url: str) -> int:
    # ok: outbound-http-timeout.python
    return httpx.get(url, timeout=httpx.Timeout(5.0, connect=2.0)).status_code


def legacy_ok(url: str) -> bytes:
    # ok: outbound-http-timeout.python
    return urllib.request.urlopen(url, timeout=10).read()


def cache_lookup(cache: dict, key: str) -> object:
    # dict.get is not an HTTP call.
    # ok: outbound-http-timeout.python
    return cache.get(key)
