"""The price list: unit prices of the five license types, and the totals of an order.

Money is integer minor units (kopecks for RUB). The discount is taken off the subtotal once,
rounded half up to a whole minor unit, so that the total is what a person computes by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from activation_server.errors import NotFound
from vendor_portal.accounts import queries as accounts
from vendor_portal.actor import Actor
from vendor_portal.audit import queries as audit
from vendor_portal.pricing import queries
from vendor_portal.pricing.queries import Price


@dataclass(frozen=True)
class PriceList:
    prices: list[Price]
    discount_percent: int | None

    def to_json(self) -> dict[str, Any]:
        currencies = sorted({price.currency for price in self.prices})
        return {
            "currency": currencies[0] if len(currencies) == 1 else None,
            "discount_percent": self.discount_percent,
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


async def price_list(pool: asyncpg.Pool, actor: Actor) -> PriceList:
    async with pool.acquire() as connection:
        prices = await queries.prices(connection)
        discount = None
        if actor.vendor_id is not None:
            vendor = await accounts.vendor(connection, actor.vendor_id)
            discount = vendor.discount_percent if vendor else None
    return PriceList(prices, discount)


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
