"""The application factory."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import Depends, FastAPI

from feedchat import __version__, problems
from feedchat.auth import TokenVerifier
from feedchat.bodylimit import BodySizeLimit
from feedchat.contract import docs_router
from feedchat.feeds import feeds_for
from feedchat.guard import check_routes, guard
from feedchat.issuer import DevIssuer, load_jwks
from feedchat.jwks import KeySource
from feedchat.ratelimit import RateLimiter, RateLimitHeaders, storage_for
from feedchat.routes import ROUTERS
from feedchat.routes.stream import StreamRegistry
from feedchat.settings import Settings
from feedchat.storage import Store

if TYPE_CHECKING:
    from feedchat.reliability.background import BackgroundPipeline
    from feedchat.reliability.streams import StreamSettings

log = logging.getLogger("feedchat")

PIPELINE_STOP_SECONDS = 10.0
"""How long shutdown waits for the in-process relay and worker threads to end."""


def _lifespan(pipeline: BackgroundPipeline) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Start ``pipeline``'s threads when the app starts; stop them (set the event, join) when it shuts down."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        pipeline.start()
        try:
            yield
        finally:
            await asyncio.to_thread(pipeline.stop, PIPELINE_STOP_SECONDS)

    return lifespan


def create_app(
    settings: Settings | None = None, *, store: Store | None = None, pipeline: StreamSettings | None = None
) -> FastAPI:
    """A Feedchat app: the contract's operations, problem+json errors, bearer auth and the store.

    FastAPI's generated schema is off (``openapi_url=None``): the one contract is ``openapi.yaml``.
    With ``pipeline``, the app also runs the outbox relay and one fan-out worker on background threads
    for its lifespan (:class:`~feedchat.reliability.background.BackgroundPipeline`), on the Redis those
    settings name or on an embedded fakeredis server; ``serve`` asks for it on the embedded store.
    """
    settings = settings or Settings.from_env()
    if settings.jwks_path is not None:
        jwks_path = settings.jwks_path
        keys = KeySource(lambda: load_jwks(jwks_path), refresh_interval=settings.jwks_refresh_seconds)
        log.info("verifying tokens with the JWKS at %s", settings.jwks_path)
    else:
        keys = KeySource(
            lambda: DevIssuer.load_or_create(
                settings.dev_keys_dir, issuer=settings.issuer, audience=settings.audience
            ).jwks(),
            refresh_interval=settings.jwks_refresh_seconds,
        )
        log.warning("no JWKS configured: trusting the development issuer key in %s", settings.dev_keys_dir)
    limiter = RateLimiter(settings.rate_limits, storage_for(settings.redis_url))
    store = store or Store.connect(settings.mongodb_uri, settings.database)
    background = None
    if pipeline is not None:
        from feedchat.reliability.background import BackgroundPipeline

        background = BackgroundPipeline.for_store(store, pipeline)
    app = FastAPI(
        title="Feedchat API",
        version=__version__,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(guard)],
        lifespan=_lifespan(background) if background is not None else None,
    )
    app.state.settings = settings
    app.state.limiter = limiter
    app.state.streams = StreamRegistry(settings.streams.max_per_client)
    app.state.store = store
    app.state.pipeline = background  # the in-process relay and worker, None unless asked for
    app.state.feeds = feeds_for(settings, background)  # follows and timelines; None without a Redis
    app.state.verifier = TokenVerifier(
        keys, issuer=settings.issuer, audience=settings.audience, leeway=settings.clock_skew_seconds
    )
    problems.install(app)
    check_routes(ROUTERS)
    for router in ROUTERS:
        app.include_router(router)
    app.include_router(docs_router(settings.contract_path))
    app.add_middleware(RateLimitHeaders)
    app.add_middleware(BodySizeLimit, limit=settings.max_body_bytes)
    return app
