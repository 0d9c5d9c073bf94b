"""``create_app(settings)``: the application's substrate; ``add_activation_routes``: the
activation API.

Resources are opened and closed by one ``cleanup_ctx`` generator each: the database (embedded
or external, migrated on start) and the activation service (signing keys, failed-attempt
limiter, batchers).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from activation_server import health, metrics, openapi
from activation_server.activations.service import ActivationService
from activation_server.appkeys import ACTIVATIONS, DB_POOL, SETTINGS
from activation_server.background import background
from activation_server.db.embedded import embedded_database_url
from activation_server.db.migrate import migrate
from activation_server.db.pool import UNAVAILABLE_ERRORS, create_pool
from activation_server.declare import add_routes
from activation_server.keys.keyring import Keyring
from activation_server.middleware import api_middleware
from activation_server.ratelimit.limiter import FailureLimiter
from activation_server.ratelimit.queries import delete_expired
from activation_server.settings import Settings

log = logging.getLogger(__name__)

KEY_REFRESH_SECONDS = 10.0
LIMITER_CLEANUP_SECONDS = 300.0


async def _database(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    url = settings.database_url
    server = None
    if url is None:
        server, url = await embedded_database_url(settings.data_dir)
    pool = await create_pool(url, settings)
    async with pool.acquire() as connection:
        await migrate(connection)
    app[DB_POOL] = pool
    yield
    await pool.close()
    del server  # the embedded server stops when the last process using it exits


async def _every(seconds: float, job: object) -> None:
    while True:
        await asyncio.sleep(seconds)
        try:
            await job()  # type: ignore[operator]
        except UNAVAILABLE_ERRORS as exc:
            log.warning("background job skipped, database unavailable: %r", exc)


async def _activation_service(app: web.Application) -> AsyncIterator[None]:
    """The activation service with its signing keys (reloaded when another process rotates
    them), its failed-attempt limiter (whose expired counters are swept now and then) and its
    batchers. Every surface has it: the portal alone signs with the same keys (revocation
    lists, the signing-keys pages) and activates through the same entry point (the offline
    activation page, the licensee's release)."""
    settings = app[SETTINGS]
    pool = app[DB_POOL]
    async with pool.acquire() as connection:
        keyring = await Keyring.load(
            connection, settings.data_dir / "keys", settings.key_passphrase
        )
    keyring.check()
    limiter = FailureLimiter(
        "activation", settings.rate_limit_failures, settings.rate_limit_window_seconds
    )
    service = ActivationService(pool, keyring, limiter, issuer=settings.issuer)
    app[ACTIVATIONS] = service

    async def refresh() -> None:
        async with pool.acquire() as connection:
            if await keyring.refresh(connection):
                log.info("signing key rotated: %d keys published", len(keyring.rows))

    async def sweep() -> None:
        async with pool.acquire() as connection:
            # The longest window of any limiter sharing the table (sign-ins count for longer).
            await delete_expired(
                connection,
                max(settings.rate_limit_window_seconds, settings.portal.login_rate_window_seconds),
            )

    async with background(
        _every(KEY_REFRESH_SECONDS, refresh), _every(LIMITER_CLEANUP_SECONDS, sweep)
    ):
        yield
    service.close()


def create_app(settings: Settings) -> web.Application:
    """The substrate every surface shares: settings, the error middleware, the database, the
    activation service, and the health and metrics endpoints. The surfaces add their routes
    (see :mod:`activation_server.composition`)."""
    app = web.Application(
        middlewares=[api_middleware],
        client_max_size=settings.max_body_bytes,
    )
    app[SETTINGS] = settings
    app.cleanup_ctx.extend([metrics.publish_periodically, _database, _activation_service])
    app.router.add_get("/healthz", health.get_healthz)
    app.router.add_get("/readyz", health.get_readyz)
    app.router.add_get("/metrics", metrics.get_metrics)
    return app


def add_activation_routes(router: web.UrlDispatcher) -> None:
    """The activation API: what protected applications call."""
    add_routes(router, openapi.ENDPOINTS)
