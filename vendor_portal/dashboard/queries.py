"""SQL of a vendor's activity: activations per day, serials near their limit, counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import asyncpg

# Days are UTC days; the series has every day, with zero where nothing happened.
ACTIVATIONS_PER_DAY = """
WITH bounds AS (
    SELECT (now() AT TIME ZONE 'UTC')::date - ($2::int - 1) AS first_day,
           (now() AT TIME ZONE 'UTC')::date AS last_day
), counted AS (
    SELECT (a.created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS activations
    FROM activations a
    JOIN serials s ON s.serial = a.serial
    JOIN products p ON p.id = s.product_id
    WHERE a.created_at >= (SELECT first_day FROM bounds)::timestamp AT TIME ZONE 'UTC'
      AND ($1::bigint IS NULL OR p.vendor_id = $1)
    GROUP BY 1
)
SELECT d::date AS day, coalesce(c.activations, 0) AS activations
FROM bounds, generate_series(bounds.first_day, bounds.last_day, interval '1 day') AS d
LEFT JOIN counted c ON c.day = d::date
ORDER BY d
"""

NEAR_LIMIT = """
SELECT s.serial, p.code AS product, s.license_type, s.used, s.activation_limit, s.status
FROM serials s
JOIN products p ON p.id = s.product_id
WHERE ($1::bigint IS NULL OR p.vendor_id = $1)
  AND s.used > 0
  AND s.used * 100 >= s.activation_limit * $2
ORDER BY s.used::float8 / s.activation_limit DESC, s.used DESC, s.serial
LIMIT $3
"""

TOTALS = """
SELECT
    (SELECT count(*) FROM serials s JOIN products p ON p.id = s.product_id
     WHERE $1::bigint IS NULL OR p.vendor_id = $1) AS serials,
    (SELECT coalesce(sum(s.used), 0) FROM serials s JOIN products p ON p.id = s.product_id
     WHERE $1::bigint IS NULL OR p.vendor_id = $1) AS live_activations,
    (SELECT count(*) FROM products p WHERE $1::bigint IS NULL OR p.vendor_id = $1) AS products,
    (SELECT count(*) FROM orders o
     WHERE ($1::bigint IS NULL OR o.vendor_id = $1) AND o.status IN ('placed', 'invoiced'))
        AS open_orders
"""


@dataclass(frozen=True)
class DayCount:
    day: date
    activations: int


@dataclass(frozen=True)
class NearLimit:
    serial: str
    product: str
    license_type: str
    used: int
    activation_limit: int
    status: str


@dataclass(frozen=True)
class Totals:
    serials: int
    live_activations: int
    products: int
    open_orders: int


async def activations_per_day(
    connection: asyncpg.Connection, vendor_id: int | None, days: int
) -> list[DayCount]:
    rows = await connection.fetch(ACTIVATIONS_PER_DAY, vendor_id, days)
    return [DayCount(row["day"], int(row["activations"])) for row in rows]


async def near_limit(
    connection: asyncpg.Connection, vendor_id: int | None, percent: int, limit: int
) -> list[NearLimit]:
    rows = await connection.fetch(NEAR_LIMIT, vendor_id, percent, limit)
    return [NearLimit(**dict(row)) for row in rows]


async def totals(connection: asyncpg.Connection, vendor_id: int | None) -> Totals:
    row = await connection.fetchrow(TOTALS, vendor_id)
    assert row is not None
    return Totals(**{key: int(value) for key, value in dict(row).items()})
