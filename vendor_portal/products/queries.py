"""SQL of vendors' products: inserting, finding by code, listing and changing them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

INSERT_VENDOR = "INSERT INTO vendors (name) VALUES ($1) RETURNING id"
INSERT_PRODUCT = """
INSERT INTO products (vendor_id, code, name, features) VALUES ($1, $2, $3, $4)
RETURNING id, vendor_id, code, name, features, created_at,
       check_in_days, grace_days, transfer_budget, binding_tolerance, self_service
"""
# Codes are unique per vendor: with no vendor named, every vendor's product of that code.
SELECT_PRODUCTS_BY_CODE = """
SELECT id, vendor_id, code, name, features, created_at,
       check_in_days, grace_days, transfer_budget, binding_tolerance, self_service FROM products
WHERE code = $1 AND ($2::bigint IS NULL OR vendor_id = $2)
ORDER BY id
"""


@dataclass(frozen=True)
class Product:
    id: int
    vendor_id: int
    code: str
    name: str
    features: list[str]
    created_at: datetime
    # The check-in policy: 0 days is offline forever.
    check_in_days: int = 0
    grace_days: int = 0
    # Machines a serial may free (deactivations and releases) per 365 days; None: no limit.
    transfer_budget: int | None = None
    # Hardware components that may change before a machine counts as new; 0: exact binding.
    binding_tolerance: int = 0
    # Whether the serials' licensees may sign in to the self-service pages.
    self_service: bool = True


async def insert_vendor(connection: asyncpg.Connection, name: str) -> int:
    return int(await connection.fetchval(INSERT_VENDOR, name))


async def insert_product(
    connection: asyncpg.Connection, vendor_id: int, code: str, name: str, features: list[str]
) -> Product:
    row = await connection.fetchrow(INSERT_PRODUCT, vendor_id, code, name, features)
    assert row is not None
    return Product(**dict(row))


async def products_by_code(
    connection: asyncpg.Connection, code: str, vendor_id: int | None
) -> list[Product]:
    rows = await connection.fetch(SELECT_PRODUCTS_BY_CODE, code, vendor_id)
    return [Product(**dict(row)) for row in rows]


async def product_by_code(
    connection: asyncpg.Connection, code: str, vendor_id: int | None
) -> Product | None:
    """The vendor's product of this code (with no vendor named, the oldest of that code)."""
    found = await products_by_code(connection, code, vendor_id)
    return found[0] if found else None


SELECT_PRODUCTS = """
SELECT id, vendor_id, code, name, features, created_at,
       check_in_days, grace_days, transfer_budget, binding_tolerance, self_service FROM products
WHERE ($1::bigint IS NULL OR vendor_id = $1) ORDER BY code
LIMIT $2 OFFSET $3
"""
# How many products the list's filter matches, past its page too.
COUNT_PRODUCTS = "SELECT count(*) FROM products WHERE ($1::bigint IS NULL OR vendor_id = $1)"
UPDATE_PRODUCT = """
UPDATE products SET name = coalesce($2, name), features = coalesce($3, features),
    check_in_days = coalesce($4, check_in_days), grace_days = coalesce($5, grace_days),
    transfer_budget = coalesce($6, transfer_budget),
    binding_tolerance = coalesce($7, binding_tolerance), self_service = coalesce($8, self_service)
WHERE id = $1 RETURNING id, vendor_id, code, name, features, created_at,
       check_in_days, grace_days, transfer_budget, binding_tolerance, self_service
"""
SELECT_PRODUCTS_BY_CODES = """
SELECT id, vendor_id, code, name, features, created_at,
       check_in_days, grace_days, transfer_budget, binding_tolerance, self_service FROM products
WHERE vendor_id = $1 AND code = ANY($2::text[])
"""


async def products(
    connection: asyncpg.Connection, vendor_id: int | None, limit: int, offset: int
) -> list[Product]:
    rows = await connection.fetch(SELECT_PRODUCTS, vendor_id, limit, offset)
    return [Product(**dict(row)) for row in rows]


async def count_products(connection: asyncpg.Connection, vendor_id: int | None) -> int:
    return int(await connection.fetchval(COUNT_PRODUCTS, vendor_id))


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
    binding_tolerance: int | None = None,
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
        binding_tolerance,
        self_service,
    )
    assert row is not None
    return Product(**dict(row))
