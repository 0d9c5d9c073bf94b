"""The price list: unit prices of the five license types, and the totals of an order.

Money is integer minor units (kopecks for RUB). The discount is taken off the subtotal once,
rounded half up to a whole minor unit, so that the total is what a person computes by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from activation_server.errors import NotFound
from vendor_portal.accounts import queries as accounts
from vendor_portal.actor import Actor
from vendor_portal.audit import queries as audit
from vendor_portal.errors import VendorNotFound
from vendor_portal.pricing import queries
from vendor_portal.pricing.queries import PartnerTier, Price, SubscriptionPrice
from vendor_portal.products import queries as products
from vendor_portal.products.service import visible_product

# A partner tier's code, as the table's CHECK has it.
TIER_CODE_PATTERN = "^[a-z][a-z0-9_-]{0,31}$"
TIER_CODE = re.compile(TIER_CODE_PATTERN)


@dataclass(frozen=True)
class PriceList:
    prices: list[Price]
    discount_percent: int | None
    subscriptions: list[SubscriptionPrice] = field(default_factory=list)
    tiers: list[PartnerTier] = field(default_factory=list)
    partner_tier: str | None = None
    early_renewal_percent: int | None = None

    def to_json(self) -> dict[str, Any]:
        currencies = sorted({price.currency for price in self.prices})
        return {
            "currency": currencies[0] if len(currencies) == 1 else None,
            "discount_percent": self.discount_percent,
            "partner_tier": self.partner_tier,
            "early_renewal_percent": self.early_renewal_percent,
            "subscriptions": [
                {
                    "license_type": price.license_type,
                    "product": price.product,
                    "update_first": price.update_first,
                    "update_renewal": price.update_renewal,
                    "term_month": price.term_month,
                }
                for price in self.subscriptions
            ],
            "tiers": [
                {"code": tier.code, "name": tier.name, "discount_percent": tier.discount_percent}
                for tier in self.tiers
            ],
            "items": [
                {
                    "license_type": price.license_type,
                    "name": price.name,
                    "type": price.kind,
                    "activations": price.activation_limit,
                    "unit_price": price.unit_price,
                    "currency": price.currency,
                }
                for price in self.prices
            ],
        }


def discount_of(subtotal: int, percent: int) -> int:
    return (subtotal * percent + 50) // 100


async def price_list(
    pool: asyncpg.Pool, actor: Actor, early_renewal_percent: int | None = None
) -> PriceList:
    """The list with its subscription and term prices: a vendor sees its own products' prices
    and its partner tier, staff every product's."""
    async with pool.acquire() as connection:
        prices = await queries.prices(connection)
        discount = None
        tier = None
        own: list[int] | None = None
        if actor.vendor_id is not None:
            vendor = await accounts.vendor(connection, actor.vendor_id)
            discount = vendor.discount_percent if vendor else None
            tier = vendor.partner_tier if vendor else None
            listed = await products.products(connection, actor.vendor_id, 10_000, 0)
            own = [p.id for p in listed]
        subscriptions = await queries.subscription_prices(connection, own)
        tiers = await queries.tiers(connection)
    return PriceList(prices, discount, subscriptions, tiers, tier, early_renewal_percent)


async def set_price(pool: asyncpg.Pool, actor: Actor, license_type: str, unit_price: int) -> None:
    """Changes a unit price for orders placed from now on; placed orders keep their prices."""
    actor.require_staff()
    async with pool.acquire() as connection, connection.transaction():
        if not await queries.set_price(connection, license_type, unit_price):
            raise NotFound(f"No such license type: {license_type[:20]!r}.")
        await audit.record(
            connection,
            actor,
            "price.set",
            vendor_id=None,
            subject=f"price:{license_type}",
            details={"unit_price": unit_price},
        )


# --- subscriptions and terms ---------------------------------------------------------------


@dataclass(frozen=True)
class SubscriptionBook:
    """The subscription and term prices that apply: a product's own over its license type's."""

    prices: list[SubscriptionPrice]

    def find(self, license_type: str, product_id: int) -> SubscriptionPrice | None:
        chosen = None
        for price in self.prices:
            if price.license_type != license_type:
                continue
            if price.product_id == product_id:
                return price
            if price.product_id is None:
                chosen = price
        return chosen


async def subscription_book(
    connection: asyncpg.Connection, product_ids: list[int] | None = None
) -> SubscriptionBook:
    return SubscriptionBook(await queries.subscription_prices(connection, product_ids))


def for_months(yearly: int, months: int) -> int:
    """A yearly price for a number of months, rounded half up to a whole minor unit."""
    return (yearly * months + 6) // 12


def line_unit_price(
    perpetual: int,
    subscription: SubscriptionPrice | None,
    *,
    term_months: int | None,
    updates_months: int | None,
) -> int | None:
    """One serial of an order line: a perpetual license, or a term license priced by the
    month, plus an initial update subscription when asked. None when a price is missing."""
    if term_months is None and updates_months is None:
        return perpetual
    if subscription is None:
        return None
    unit = perpetual if term_months is None else subscription.term_month * term_months
    if updates_months is not None:
        unit += for_months(subscription.update_first, updates_months)
    return unit


def renewal_discount(partner_percent: int, running: bool, early_percent: int) -> int:
    """The seed's rule: the early-renewal discount is added to the partner's, both taken off
    the list price (30 % partner + 20 % renewal = 50 % off)."""
    return min(100, partner_percent + (early_percent if running else 0))


async def set_subscription_price(
    pool: asyncpg.Pool,
    actor: Actor,
    license_type: str,
    product_code: str | None,
    *,
    update_first: int,
    update_renewal: int,
    term_month: int,
) -> None:
    """Staff set a license type's (or one product's) subscription and term prices."""
    actor.require_staff()
    async with pool.acquire() as connection, connection.transaction():
        kinds = {price.license_type: price.kind for price in await queries.prices(connection)}
        if kinds.get(license_type) != "full":
            raise NotFound(f"No full license type {license_type[:20]!r}.")
        product_id = None
        if product_code is not None:
            product_id = (await visible_product(connection, actor, product_code)).id
        await queries.set_subscription_price(
            connection, license_type, product_id, update_first, update_renewal, term_month
        )
        await audit.record(
            connection,
            actor,
            "price.subscription_set",
            vendor_id=None,
            subject=f"price:{license_type}" + (f":{product_code}" if product_code else ""),
            details={
                "update_first": update_first,
                "update_renewal": update_renewal,
                "term_month": term_month,
            },
        )


async def set_tier(pool: asyncpg.Pool, actor: Actor, code: str, name: str, percent: int) -> None:
    """Staff define a partner tier; vendors on it get its discount from now on."""
    actor.require_staff()
    async with pool.acquire() as connection, connection.transaction():
        await queries.set_tier(connection, code, name, percent)
        await audit.record(
            connection,
            actor,
            "tier.set",
            vendor_id=None,
            subject=f"tier:{code}",
            details={"name": name, "discount_percent": percent},
        )


async def assign_tier(pool: asyncpg.Pool, actor: Actor, vendor_id: int, code: str | None) -> None:
    actor.require_staff()
    async with pool.acquire() as connection, connection.transaction():
        if code is not None and code not in {t.code for t in await queries.tiers(connection)}:
            raise NotFound(f"No partner tier {code[:32]!r}.")
        if not await queries.assign_tier(connection, vendor_id, code):
            raise VendorNotFound()
        await audit.record(
            connection,
            actor,
            "vendor.tier_set",
            vendor_id=vendor_id,
            subject=f"vendor:{vendor_id}",
            details={"tier": code},
        )
