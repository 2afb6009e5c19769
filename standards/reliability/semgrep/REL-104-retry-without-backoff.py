import asyncio
import random
import time

import requests


def fetch_forever(url: str) -> requests.Response:
    # ruleid: retry-without-backoff.python
    while True:
        try:
            return requests.get(url, timeout=5)
        except requests.ConnectionError:
            continue


def fetch_five_times(url: str) -> requests.Response | None:
    # ruleid: retry-without-backoff.python
    for _attempt in range(5):
        try:
            return requests.get(url, timeout=5)
        except requests.Timeout:
            pass
    return None


def publish_forever_with_fixed_sleep(send) -> None:
    # ruleid: retry-without-backoff.python
    while True:
        try:
            send()
            break
        except ConnectionError:
            time.sleep(1)


def fetch_with_backoff(url: str) -> requests.Response:
    # ok: retry-without-backoff.python
    for attempt in range(6):
        try:
            return requests.get(url, timeout=5)
        except requests.ConnectionError:
            if attempt == 5:
                raise
            time.sleep(random.uniform(0, min(10.0, 0.1 * 2**attempt)))
    raise AssertionError("unreachable")


async def send_with_backoff(send) -> None:
    attempt = 0
    # ok: retry-without-backoff.python
    while True:
        try:
            await send()
            return
        except ConnectionError:
            attempt += 1
            if attempt >= 5:
                raise
            await asyncio.sleep(random.uniform(0, min(10.0, 0.1 * 2**attempt)))


def first_valid(lines: list[str]) -> int | None:
    # ok: retry-without-backoff.python
    for line in lines:
        try:
            return int(line)
        except ValueError:
            continue
    return None
