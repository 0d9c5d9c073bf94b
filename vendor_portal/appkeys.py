"""Typed keys of the vendor portal's state in the aiohttp application."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from activation_server.ratelimit.limiter import FailureLimiter
from vendor_portal.accounts.passwords import Passwords
from vendor_portal.accounts.tokens import SessionTokens
from vendor_portal.mail.sender import Mailer
from vendor_portal.openapi.document import ApiReference


@dataclass(frozen=True)
class Portal:
    """What the account functions need besides the database."""

    passwords: Passwords
    tokens: SessionTokens
    mailer: Mailer
    login_limiter: FailureLimiter
    base_url: str
    # Sign-in limits per address over all accounts and per account over all addresses (the
    # limiter's own limit is per account from one address).
    address_login_limit: int = 30
    account_login_limit: int = 100


PORTAL = web.AppKey("portal", Portal)
# The OpenAPI document of what the features declared.
API_REFERENCE = web.AppKey("api_reference", ApiReference)
