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
