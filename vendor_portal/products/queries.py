"""SQL of a vendor's products (inserting and finding by code are in the catalog's queries)."""

from __future__ import annotations

import asyncpg

from activation_server.catalog.queries import Product

SELECT_PRODUCTS = """
SELECT id, vendor_id, code, name, features, created_at,
       check_in_days, grace_days, transfer_budget, self_service FROM products
WHERE ($1::bigint IS NULL OR vendor_id = $1) ORDER BY code
LIMIT $2 OFFSET $3
"""
UPDATE_PRODUCT = """
UPDATE products SET name = coalesce($2, name), features = coalesce($3, features),
    check_in_days = coalesce($4, check_in_days), grace_days = coalesce($5, grace_days),
    transfer_budget = coalesce($6, transfer_budget), self_service = coalesce($7, self_service)
WHERE id = $1 RETURNING id, vendor_id, code, name, features, created_at,
       check_in_days, grace_days, transfer_budget, self_service
"""
SELECT_PRODUCTS_BY_CODES = """
SELECT id, vendor_id, code, name, features, created_at,
       check_in_days, grace_days, transfer_budget, self_service FROM products
WHERE vendor_id = $1 AND code = ANY($2::text[])
"""


async def products(
    connection: asyncpg.Connection, vendor_id: int | None, limit: int, offset: int
) -> list[Product]:
    rows = await connection.fetch(SELECT_PRODUCTS, vendor_id, limit, offset)
    return [Product(**dict(row)) for row in rows]


async def products_by_codes(
    connection: asyncpg.Connection, vendor_id: int, codes: list[str]
) -> list[Product]:
    """The vendor's products of these codes."""
    rows = await connection.fetch(SELECT_PRODUCTS_BY_CODES, vendor_id, codes)
    return [Product(**dict(row)) for row in rows]


async def update_product(
    connection: asyncpg.Connection,
    product_id: int,
    name: str | None,
    features: list[str] | None,
    check_in_days: int | None = None,
    grace_days: int | None = None,
    transfer_budget: int | None = None,
    self_service: bool | None = None,
) -> Product:
    row = await connection.fetchrow(
        UPDATE_PRODUCT,
        product_id,
        name,
        features,
        check_in_days,
        grace_days,
        transfer_budget,
        self_service,
    )
    assert row is not None
    return Product(**dict(row))
