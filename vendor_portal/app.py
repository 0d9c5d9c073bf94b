"""Mounts the vendor portal onto the activation server's application: the vendor API under
``/v1/`` beside the activation API, and the portal's pages under ``/portal/``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import asyncpg
from aiohttp import web
from aiohttp.typedefs import Handler

from activation_server.appkeys import DB_POOL, SETTINGS
from activation_server.errors import ApiError
from activation_server.ratelimit.limiter import FailureLimiter
from vendor_portal.accounts import handlers as accounts
from vendor_portal.accounts.passwords import Passwords
from vendor_portal.accounts.tokens import SessionTokens, load_secret
from vendor_portal.appkeys import PORTAL, Portal
from vendor_portal.audit import handlers as audit
from vendor_portal.balances import handlers as balances
from vendor_portal.documents import handlers as documents
from vendor_portal.idempotency.handlers import idempotent
from vendor_portal.keys import handlers as keys
from vendor_portal.licensee import handlers as licensee
from vendor_portal.mail import notices, sender
from vendor_portal.mail.sender import Mailer
from vendor_portal.openapi import handlers as openapi
from vendor_portal.orders import handlers as orders
from vendor_portal.pages.app import create_pages_app
from vendor_portal.pricing import handlers as pricing
from vendor_portal.products import handlers as products
from vendor_portal.renewals import handlers as renewals
from vendor_portal.serials import handlers as serials

log = logging.getLogger(__name__)


async def _root(request: web.Request) -> web.Response:
    raise web.HTTPFound("/portal/")


def build_portal(app: web.Application) -> Portal:
    settings = app[SETTINGS]
    return Portal(
        passwords=Passwords.from_settings(settings),
        tokens=SessionTokens(load_secret(settings), settings.issuer, settings.access_token_seconds),
        mailer=Mailer(
            settings.smtp_url,
            settings.mail_from,
            retry_seconds=settings.mail_retry_seconds,
            poll_seconds=settings.mail_poll_seconds,
        ),
        login_limiter=FailureLimiter(
            "login", settings.login_rate_limit, settings.login_rate_window_seconds
        ),
        base_url=settings.base_url,
        address_login_limit=settings.login_address_rate_limit,
        account_login_limit=settings.login_account_rate_limit,
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
    seconds = settings.reminder_interval_seconds

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


# Calls that need no account (sign-up, sign-in, links from mail) have no user to keep keys for.
_UNAUTHENTICATED = "/v1/auth/"


def add_api_routes(router: web.UrlDispatcher) -> None:
    def add(method: str, path: str, handler: Handler) -> None:
        if method != "GET" and not path.startswith(_UNAUTHENTICATED):
            handler = idempotent(handler)
        router.add_route(method, path, handler)

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
    add("GET", "/v1/company", documents.get_company)
    add("PUT", "/v1/company", documents.put_company)
    add("GET", "/v1/price-list", pricing.get_price_list)
    add("PUT", "/v1/price-list/subscriptions/{license_type}", pricing.put_subscription_price)
    add("PUT", "/v1/price-list/{license_type}", pricing.put_price)
    add("PUT", "/v1/partner-tiers/{code}", pricing.put_tier)
    add("PUT", "/v1/vendors/{vendor_id}/partner-tier", pricing.put_vendor_tier)
    add("GET", "/v1/products", products.get_products)
    add("POST", "/v1/products", products.post_product)
    add("GET", "/v1/products/{code}", products.get_product)
    add("PATCH", "/v1/products/{code}", products.patch_product)
    add("GET", "/v1/orders", orders.get_orders)
    add("POST", "/v1/orders", orders.post_order)
    add("GET", "/v1/orders/{order_id}", orders.get_order)
    add("PUT", "/v1/orders/{order_id}", orders.put_order)
    add("POST", "/v1/orders/{order_id}/invoice", orders.post_invoice)
    add("POST", "/v1/orders/{order_id}/payments", orders.post_payment)
    add("POST", "/v1/orders/{order_id}/cancel", orders.post_cancel)
    add("GET", "/v1/orders/{order_id}/serials", orders.get_order_serials)
    add("POST", "/v1/renewals/quote", renewals.post_quote)
    add("POST", "/v1/renewals", renewals.post_renewal_order)
    add("GET", "/v1/serials", serials.get_serials)
    add("POST", "/v1/serials/bulk", serials.post_bulk)
    add("GET", "/v1/serials/{serial}", serials.get_serial)
    add("POST", "/v1/serials/{serial}/block", serials.post_block)
    add("POST", "/v1/serials/{serial}/unblock", serials.post_unblock)
    add("POST", "/v1/serials/{serial}/transfer-grants", serials.post_transfer_grant)
    add("GET", "/v1/serials/{serial}/licensee", licensee.get_licensee)
    add("PUT", "/v1/serials/{serial}/licensee", licensee.put_licensee)
    add("POST", "/v1/serials/{serial}/features", serials.post_serial_features)
    add("POST", "/v1/orders/{order_id}/features", serials.post_order_features)
    add("POST", "/v1/activations/{activation_id}/release", serials.post_release)
    add("GET", "/v1/signing-keys", keys.get_signing_keys)
    add("POST", "/v1/signing-keys", keys.post_signing_key)
    add("POST", "/v1/signing-keys/promote", keys.post_promote)
    add("GET", "/v1/audit", audit.get_audit)
    add("GET", "/v1/openapi.json", openapi.get_openapi)


def setup_portal(app: web.Application) -> None:
    app.cleanup_ctx.append(_portal_state)
    app.cleanup_ctx.append(_renewal_reminders)
    add_api_routes(app.router)
    app.router.add_get("/", _root)
    app.add_subapp("/portal/", create_pages_app(app[SETTINGS]))
