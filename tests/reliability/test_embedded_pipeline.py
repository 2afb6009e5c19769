"""``python -m feedchat serve`` on the embedded defaults runs the relay and a worker in its own process, so a post
reaches its author's followers' feeds with nothing else started; shutdown stops both threads promptly."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import redis
from fastapi.testclient import TestClient
from feedchat.app import create_app
from feedchat.issuer import DevIssuer
from feedchat.ratelimit import POLICIES
from feedchat.reliability.fanout import feed_key, notifications_key
from feedchat.reliability.streams import GROUP, STREAM, StreamSettings
from feedchat.settings import Settings, SettingsError

from tests.feedchat_process import FeedchatProcess, start_feedchat
from tests.reliability.helpers import follow, wait_until

RATE_LIMITS = "address=100000/minute,creates=100000/minute,writes=100000/minute"
FOLLOWERS = {"ada": ["ben", "cy"], "bo": ["ada"]}
PIPELINE_THREADS = {"feedchat-relay", "feedchat-worker"}


def _pipeline_threads() -> set[str]:
    return {t.name for t in threading.enumerate() if t.name in PIPELINE_THREADS}


def _post(http: httpx.Client | TestClient, issuer: DevIssuer, author: str, title: str) -> str:
    headers = {"Authorization": f"Bearer {issuer.issue(author, ['member'])}", "Idempotency-Key": title}
    response = http.post("/v1/posts", json={"title": title, "body": "Hello, followers."}, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_app_with_pipeline_fans_posts_out_on_embedded_fakeredis(tmp_path: Path, invariants) -> None:
    settings = Settings(dev_keys_dir=tmp_path / "keys", rate_limits=dict.fromkeys(POLICIES, "100000/minute"))
    issuer = DevIssuer.load_or_create(settings.dev_keys_dir, issuer=settings.issuer, audience=settings.audience)
    app = create_app(settings, pipeline=StreamSettings())
    pipeline = app.state.pipeline
    client: redis.Redis = pipeline.client
    assert pipeline.where == "fakeredis" and not pipeline.running, "threads start with the app, not before"
    for author, followers in FOLLOWERS.items():
        follow(client, author, followers)
    created: dict[str, str] = {}
    with TestClient(app) as http:
        assert _pipeline_threads() == PIPELINE_THREADS
        for n in range(5):
            for author in FOLLOWERS:
                created[_post(http, issuer, author, f"{author}-{n}")] = author

        def arrived() -> bool:
            return all(
                set(client.zrange(feed_key(f), 0, -1)) == {p for p, a in created.items() if f in FOLLOWERS[a]}
                for f in {f for fs in FOLLOWERS.values() for f in fs}
            )

        assert wait_until(arrived, timeout=10), "posts did not reach the followers' feeds within 10 s"
        assert wait_until(lambda: client.xpending(STREAM, GROUP)["pending"] == 0, timeout=5)
        started = time.monotonic()
    stopped_in = time.monotonic() - started
    assert not pipeline.running and _pipeline_threads() == set()
    assert stopped_in < 3, f"shutdown took {stopped_in:.2f} s"
    notes = sum(client.llen(notifications_key(f)) for fs in FOLLOWERS.values() for f in fs)
    invariants(posts=len(created), published=pipeline.relay.published, effects=notes, applied=pipeline.worker.applied)
    assert pipeline.relay.published == pipeline.worker.applied == len(created) == 10
    assert notes == sum(len(FOLLOWERS[a]) for a in created.values()) == 15
    assert pipeline.worker.duplicates == pipeline.worker.dead == 0


def test_create_app_starts_no_pipeline_unless_asked(tmp_path: Path) -> None:
    app = create_app(Settings(dev_keys_dir=tmp_path / "keys"))
    with TestClient(app) as http:
        assert http.get("/v1/posts").status_code == 200
        assert app.state.pipeline is None and _pipeline_threads() == set()


@pytest.mark.parametrize(
    ("env", "in_process"),
    [
        ({}, True),
        ({"MONGODB_URI": "mongodb://db:27017"}, False),
        ({"MONGODB_URI": "mongodb://db:27017", "FEEDCHAT_INPROCESS_PIPELINE": "1"}, True),
        ({"FEEDCHAT_INPROCESS_PIPELINE": "off"}, False),
        ({"FEEDCHAT_INPROCESS_PIPELINE": " "}, True),
    ],
    ids=["embedded", "mongodb", "mongodb-forced-on", "embedded-off", "blank"],
)
def test_the_pipeline_runs_in_process_on_the_embedded_store_unless_told(env: dict[str, str], in_process: bool) -> None:
    assert Settings.from_env(env).pipeline_in_process is in_process


def test_a_bad_pipeline_switch_is_a_settings_error() -> None:
    with pytest.raises(SettingsError, match=r"FEEDCHAT_INPROCESS_PIPELINE='maybe' must be 1 or 0"):
        Settings.from_env({"FEEDCHAT_INPROCESS_PIPELINE": "maybe"})


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., FeedchatProcess]]:
    """Start ``python -m feedchat serve`` without MONGODB_URI (and REDIS_URL unless given)."""
    started: list[FeedchatProcess] = []

    def run(**extra: str) -> FeedchatProcess:
        started.append(start_feedchat(tmp_path / f"serve-{len(started)}", rate_limits=RATE_LIMITS, **extra))
        return started[-1]

    yield run
    for service in started:
        service.stop()


def test_serve_on_embedded_defaults_runs_the_pipeline_and_stops_promptly(serve) -> None:
    served = serve()
    with httpx.Client(base_url=served.url, timeout=10) as http:
        _post(http, served.issuer, "ada", "first")
        # The stream lives in the process's fakeredis: the stop line below is the proof that the post went through.
    stopped_in = served.stop()
    log = served.log.read_text()
    assert served.proc.returncode in (0, -signal.SIGTERM) and "Application shutdown complete" in log, log
    assert stopped_in < 8, f"shutdown took {stopped_in:.2f} s"
    assert "in-process pipeline: relay + 1 worker" in log and "on fakeredis" in log, log
    assert "in-process pipeline stopped: published=1 trimmed=0 applied=1 duplicates=0 dead=0" in log, log
    assert "Traceback" not in log


def test_serve_without_mongodb_but_with_redis_url_fans_out_to_that_redis(serve, own_redis_server) -> None:
    client = redis.Redis.from_url(own_redis_server.url, decode_responses=True, socket_timeout=5)
    follow(client, "ada", ["ben"])
    served = serve(REDIS_URL=own_redis_server.url)
    with httpx.Client(base_url=served.url, timeout=10) as http:
        post = _post(http, served.issuer, "ada", "to-real-redis")
    assert wait_until(lambda: client.zrange(feed_key("ben"), 0, -1) == [post], timeout=10), served.log.read_text()
    stopped_in = served.stop()
    log = served.log.read_text()
    assert served.proc.returncode in (0, -signal.SIGTERM) and "Application shutdown complete" in log, log
    assert stopped_in < 8, f"shutdown took {stopped_in:.2f} s"
    assert f"on Redis at 127.0.0.1:{own_redis_server.port}/0" in log, log
    assert client.xpending(STREAM, GROUP)["pending"] == 0
