"""SQL of vendors and products."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

INSERT_VENDOR = "INSERT INTO vendors (name) VALUES ($1) RETURNING id"
INSERT_PRODUCT = """
INSERT INTO products (vendor_id, code, name, features) VALUES ($1, $2, $3, $4)
RETURNING id, vendor_id, code, name, features, created_at,
       check_in_days, grace_days, transfer_budget, self_service
"""
# Codes are unique per vendor: with no vendor named, every vendor's product of that code.
SELECT_PRODUCTS_BY_CODE = """
SELECT id, vendor_id, code, name, features, created_at,
       check_in_days, grace_days, transfer_budget, self_service FROM products
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
