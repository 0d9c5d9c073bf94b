"""Mounts the vendor portal onto the activation server's application: the vendor API under
``/v1/`` beside the activation API, and the portal's pages under ``/portal/``.

The portal is composed of features (``vendor_portal/<feature>/``), each holding its service,
SQL, API handlers, pages and templates; each adds its addresses through its ``routes.setup``,
called here in turn."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable

import asyncpg
from aiohttp import web

from activation_server.appkeys import DB_POOL, SETTINGS
from activation_server.background import background
from activation_server.errors import ApiError
from activation_server.ratelimit.limiter import FailureLimiter
from vendor_portal.accounts import routes as accounts
from vendor_portal.accounts.passwords import Passwords
from vendor_portal.accounts.tokens import SessionTokens, load_secret
from vendor_portal.appkeys import API_REFERENCE, PORTAL, Portal
from vendor_portal.audit import routes as audit
from vendor_portal.balances import routes as balances
from vendor_portal.dashboard import routes as dashboard
from vendor_portal.docs import routes as docs
from vendor_portal.documents import routes as documents
from vendor_portal.keys import routes as keys
from vendor_portal.licensee import routes as licensee
from vendor_portal.machines import routes as machines
from vendor_portal.mail import notices, sender
from vendor_portal.mail.sender import Mailer
from vendor_portal.offline import routes as offline
from vendor_portal.openapi.document import ApiReference
from vendor_portal.orders import routes as orders
from vendor_portal.pages.app import create_pages_app
from vendor_portal.pricing import routes as pricing
from vendor_portal.products import routes as products
from vendor_portal.renewals import routes as renewals
from vendor_portal.routing import Routes
from vendor_portal.serials import routes as serials
from vendor_portal.staff import routes as staff

log = logging.getLogger(__name__)


async def _root(request: web.Request) -> web.Response:
    raise web.HTTPFound("/portal/")


def build_portal(app: web.Application) -> Portal:
    settings = app[SETTINGS]
    return Portal(
        passwords=Passwords.from_settings(settings),
        tokens=SessionTokens(
            load_secret(settings), settings.issuer, settings.portal.access_token_seconds
        ),
        mailer=Mailer(
            settings.portal.smtp_url,
            settings.portal.mail_from,
            retry_seconds=settings.portal.mail_retry_seconds,
            poll_seconds=settings.portal.mail_poll_seconds,
        ),
        login_limiter=FailureLimiter(
            "login", settings.portal.login_rate_limit, settings.portal.login_rate_window_seconds
        ),
        base_url=settings.base_url,
        address_login_limit=settings.portal.login_address_rate_limit,
        account_login_limit=settings.portal.login_account_rate_limit,
    )


async def _portal_state(app: web.Application) -> AsyncIterator[None]:
    portal = build_portal(app)
    app[PORTAL] = portal
    async with sender.running(portal.mailer, app[DB_POOL]):
        yield


async def _renewal_reminders(app: web.Application) -> AsyncIterator[None]:
    """Every so often, the 30-day reminders of ending subscriptions (each end is claimed once,
    so several workers share the work without telling anybody twice)."""
    settings = app[SETTINGS]
    seconds = settings.portal.reminder_interval_seconds

    async def loop() -> None:
        while True:
            try:
                await notices.remind_ending(app[DB_POOL], settings.base_url)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, ApiError) as exc:
                log.warning("renewal reminders failed, trying again later: %r", exc)
            await asyncio.sleep(seconds)

    async with background(*((loop(),) if seconds > 0 else ())):
        yield


# Each feature adds its own API endpoints and pages.
FEATURES: tuple[Callable[[Routes], None], ...] = (
    accounts.setup,
    dashboard.setup,
    products.setup,
    orders.setup,
    documents.setup,
    balances.setup,
    audit.setup,
    pricing.setup,
    renewals.setup,
    licensee.setup,
    serials.setup,
    staff.setup,
    keys.setup,
    machines.setup,
    offline.setup,
    docs.setup,
)


def setup_portal(app: web.Application) -> None:
    app.cleanup_ctx.append(_portal_state)
    app.cleanup_ctx.append(_renewal_reminders)
    pages = create_pages_app(app[SETTINGS])
    routes = Routes(app.router, pages.router)
    for setup in FEATURES:
        setup(routes)
    app[API_REFERENCE] = ApiReference(routes.declared)
    app.router.add_get("/", _root)
    app.add_subapp("/portal/", pages)
