"""What an order would cost, without placing it: the confirmation step of the new-order dialog.

Priced by the very function that prices :func:`vendor_portal.orders.service.place_order`, with
the vendor's current discount, so the confirmation shows exactly what the order will say.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from vendor_portal.accounts import queries as accounts
from vendor_portal.actor import Actor
from vendor_portal.errors import VendorNotFound
from vendor_portal.orders.queries import NewLine
from vendor_portal.orders.service import LineRequest, _priced_lines
from vendor_portal.pricing.service import discount_of


@dataclass(frozen=True)
class Quote:
    lines: list[NewLine]
    currency: str
    discount_percent: int
    subtotal: int
    discount: int

    @property
    def total(self) -> int:
        return self.subtotal - self.discount

    @property
    def quantity(self) -> int:
        return sum(line.quantity for line in self.lines)


async def quote_order(
    pool: asyncpg.Pool, actor: Actor, lines: list[LineRequest], vendor_id: int | None = None
) -> Quote:
    """Raises what place_order would raise for these lines (unknown product, type, feature)."""
    if not actor.is_staff or vendor_id is None:
        vendor_id = actor.vendor_id
    if vendor_id is None:
        raise VendorNotFound()
    async with pool.acquire() as connection:
        vendor = await accounts.vendor(connection, vendor_id)
        if vendor is None:
            raise VendorNotFound()
        priced, currency = await _priced_lines(connection, vendor_id, lines)
    subtotal = sum(line.amount for line in priced)
    return Quote(
        lines=priced,
        currency=currency,
        discount_percent=vendor.discount_percent,
        subtotal=subtotal,
        discount=discount_of(subtotal, vendor.discount_percent),
    )
