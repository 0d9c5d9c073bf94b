"""SQL of the price list."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

SELECT_PRICES = """
SELECT p.license_type, t.name, t.kind, t.activation_limit, p.unit_price, p.currency
FROM prices p JOIN license_types t ON t.code = p.license_type
ORDER BY t.position
"""
UPDATE_PRICE = """
UPDATE prices SET unit_price = $2 WHERE license_type = $1 RETURNING license_type
"""


@dataclass(frozen=True)
class Price:
    license_type: str
    name: str
    kind: str
    activation_limit: int
    unit_price: int
    currency: str


async def prices(connection: asyncpg.Connection) -> list[Price]:
    return [Price(**dict(row)) for row in await connection.fetch(SELECT_PRICES)]


async def set_price(connection: asyncpg.Connection, license_type: str, unit_price: int) -> bool:
    return await connection.fetchval(UPDATE_PRICE, license_type, unit_price) is not None


SELECT_SUBSCRIPTION_PRICES = """
SELECT sp.id, sp.license_type, sp.product_id, p.code AS product, sp.update_first,
       sp.update_renewal, sp.term_month
FROM subscription_prices sp LEFT JOIN products p ON p.id = sp.product_id
WHERE $1::bigint[] IS NULL OR sp.product_id IS NULL OR sp.product_id = ANY($1::bigint[])
ORDER BY sp.license_type, sp.product_id NULLS FIRST
"""
UPSERT_TYPE_SUBSCRIPTION_PRICE = """
INSERT INTO subscription_prices (license_type, update_first, update_renewal, term_month)
VALUES ($1, $2, $3, $4)
ON CONFLICT (license_type) WHERE product_id IS NULL
DO UPDATE SET update_first = $2, update_renewal = $3, term_month = $4
"""
UPSERT_PRODUCT_SUBSCRIPTION_PRICE = """
INSERT INTO subscription_prices (license_type, product_id, update_first, update_renewal,
                                 term_month)
VALUES ($1, $5, $2, $3, $4)
ON CONFLICT (license_type, product_id) WHERE product_id IS NOT NULL
DO UPDATE SET update_first = $2, update_renewal = $3, term_month = $4
"""
SELECT_TIERS = """
SELECT code, name, discount_percent FROM partner_tiers ORDER BY discount_percent, code
"""
UPSERT_TIER = """
INSERT INTO partner_tiers (code, name, discount_percent) VALUES ($1, $2, $3)
ON CONFLICT (code) DO UPDATE SET name = $2, discount_percent = $3
"""
# A vendor's partner discount follows its tier: set with the tier, and again when the tier's
# discount changes, so that every price is computed from the one column.
APPLY_TIER_DISCOUNT = """
UPDATE vendors v SET discount_percent = t.discount_percent
FROM partner_tiers t WHERE t.code = $1 AND v.partner_tier = t.code
"""
ASSIGN_TIER = """
UPDATE vendors v SET partner_tier = $2,
    discount_percent = coalesce((SELECT discount_percent FROM partner_tiers WHERE code = $2),
                                v.discount_percent)
WHERE v.id = $1 RETURNING v.id
"""


@dataclass(frozen=True)
class SubscriptionPrice:
    """Per license type (product None) or per product, which wins over its type."""

    id: int
    license_type: str
    product_id: int | None
    product: str | None
    update_first: int
    update_renewal: int
    term_month: int


@dataclass(frozen=True)
class PartnerTier:
    code: str
    name: str
    discount_percent: int


async def subscription_prices(
    connection: asyncpg.Connection, product_ids: list[int] | None = None
) -> list[SubscriptionPrice]:
    """Every type's prices and those of the given products (of all products when None)."""
    rows = await connection.fetch(SELECT_SUBSCRIPTION_PRICES, product_ids)
    return [SubscriptionPrice(**dict(row)) for row in rows]


async def set_subscription_price(
    connection: asyncpg.Connection,
    license_type: str,
    product_id: int | None,
    update_first: int,
    update_renewal: int,
    term_month: int,
) -> None:
    if product_id is None:
        await connection.execute(
            UPSERT_TYPE_SUBSCRIPTION_PRICE, license_type, update_first, update_renewal, term_month
        )
    else:
        await connection.execute(
            UPSERT_PRODUCT_SUBSCRIPTION_PRICE,
            license_type,
            update_first,
            update_renewal,
            term_month,
            product_id,
        )


async def tiers(connection: asyncpg.Connection) -> list[PartnerTier]:
    return [PartnerTier(**dict(row)) for row in await connection.fetch(SELECT_TIERS)]


async def set_tier(connection: asyncpg.Connection, code: str, name: str, percent: int) -> None:
    await connection.execute(UPSERT_TIER, code, name, percent)
    await connection.execute(APPLY_TIER_DISCOUNT, code)


async def assign_tier(connection: asyncpg.Connection, vendor_id: int, code: str | None) -> bool:
    return await connection.fetchval(ASSIGN_TIER, vendor_id, code) is not None
