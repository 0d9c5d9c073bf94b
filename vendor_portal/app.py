"""Mounts the vendor portal onto the activation server's application: the vendor API under
``/v1/`` beside the activation API, and the portal's pages under ``/portal/``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

import asyncpg
from aiohttp import web

from activation_server.appkeys import DB_POOL, SETTINGS
from activation_server.errors import ApiError
from activation_server.ratelimit.limiter import FailureLimiter
from vendor_portal.accounts import handlers as accounts
from vendor_portal.accounts.passwords import Passwords
from vendor_portal.accounts.tokens import SessionTokens, load_secret
from vendor_portal.appkeys import PORTAL, Portal
from vendor_portal.audit import handlers as audit
from vendor_portal.balances import handlers as balances
from vendor_portal.dashboard import routes as dashboard
from vendor_portal.docs import routes as docs
from vendor_portal.documents import routes as documents
from vendor_portal.keys import routes as keys
from vendor_portal.machines import routes as machines
from vendor_portal.mail import notices, sender
from vendor_portal.mail.sender import Mailer
from vendor_portal.orders import routes as orders
from vendor_portal.pages.app import create_pages_app
from vendor_portal.pages.routes import add_routes as add_page_routes
from vendor_portal.pricing import handlers as pricing
from vendor_portal.products import routes as products
from vendor_portal.renewals import handlers as renewals
from vendor_portal.routing import Routes
from vendor_portal.serials import handlers as serials

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

    task = asyncio.create_task(loop()) if seconds > 0 else None
    yield
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def add_api_routes(routes: Routes) -> None:
    add = routes.api
    add("POST", "/v1/auth/register", accounts.post_register)
    add("GET", "/v1/auth/confirm", accounts.get_confirm)
    add("POST", "/v1/auth/confirm", accounts.post_confirm)
    add("POST", "/v1/auth/token", accounts.post_token)
    add("POST", "/v1/auth/password-reset", accounts.post_password_reset)
    add("POST", "/v1/auth/password-reset/confirm", accounts.post_password_reset_confirm)
    add("POST", "/v1/auth/password", accounts.post_password)
    add("GET", "/v1/me", accounts.get_me)
    add("GET", "/v1/api-keys", accounts.get_api_keys)
    add("POST", "/v1/api-keys", accounts.post_api_key)
    add("DELETE", "/v1/api-keys/{key_id}", accounts.delete_api_key)
    add("GET", "/v1/users", accounts.get_users)
    add("POST", "/v1/users", accounts.post_user)
    add("GET", "/v1/users/{user_id}", accounts.get_user)
    add("POST", "/v1/users/{user_id}/disable", accounts.post_disable_user)
    add("POST", "/v1/users/{user_id}/enable", accounts.post_enable_user)
    add("GET", "/v1/colleagues", accounts.get_colleagues)
    add("POST", "/v1/colleagues", accounts.post_colleague)
    add("GET", "/v1/vendors", accounts.get_vendors)
    add("GET", "/v1/vendors/{vendor_id}", accounts.get_vendor)
    add("PATCH", "/v1/vendors/{vendor_id}", accounts.patch_vendor)
    add("GET", "/v1/vendors/{vendor_id}/balance", balances.get_balance)
    add("POST", "/v1/vendors/{vendor_id}/top-ups", balances.post_top_up)
    add("GET", "/v1/balance", balances.get_own_balance)
    add("POST", "/v1/balance/prepayment-invoices", balances.post_prepayment)
    add("GET", "/v1/balance/prepayment-invoices", balances.get_prepayments)
    add("POST", "/v1/prepayment-invoices/{number}/payments", balances.post_prepayment_payment)
    add("GET", "/v1/price-list", pricing.get_price_list)
    add("PUT", "/v1/price-list/subscriptions/{license_type}", pricing.put_subscription_price)
    add("PUT", "/v1/price-list/{license_type}", pricing.put_price)
    add("PUT", "/v1/partner-tiers/{code}", pricing.put_tier)
    add("PUT", "/v1/vendors/{vendor_id}/partner-tier", pricing.put_vendor_tier)
    add("POST", "/v1/renewals/quote", renewals.post_quote)
    add("POST", "/v1/renewals", renewals.post_renewal_order)
    add("GET", "/v1/serials", serials.get_serials)
    add("POST", "/v1/serials/bulk", serials.post_bulk)
    add("GET", "/v1/serials/{serial}", serials.get_serial)
    add("POST", "/v1/serials/{serial}/block", serials.post_block)
    add("POST", "/v1/serials/{serial}/unblock", serials.post_unblock)
    add("POST", "/v1/serials/{serial}/transfer-grants", serials.post_transfer_grant)
    add("POST", "/v1/serials/{serial}/features", serials.post_serial_features)
    add("POST", "/v1/orders/{order_id}/features", serials.post_order_features)
    add("POST", "/v1/activations/{activation_id}/release", serials.post_release)
    add("GET", "/v1/audit", audit.get_audit)


# Each feature adds its own API endpoints and pages.
_FEATURES: tuple[Callable[[Routes], None], ...] = (
    dashboard.setup,
    products.setup,
    orders.setup,
    documents.setup,
    keys.setup,
    machines.setup,
    docs.setup,
)


def setup_portal(app: web.Application) -> None:
    app.cleanup_ctx.append(_portal_state)
    app.cleanup_ctx.append(_renewal_reminders)
    pages = create_pages_app(app[SETTINGS])
    routes = Routes(app.router, pages.router)
    add_api_routes(routes)
    add_page_routes(routes)
    for setup in _FEATURES:
        setup(routes)
    app.router.add_get("/", _root)
    app.add_subapp("/portal/", pages)
