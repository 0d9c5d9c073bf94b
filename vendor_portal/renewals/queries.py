"""SQL of renewal orders: the serials an upload names, the lines of an order, the extension."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

# One statement for the whole upload. Another vendor's serial is left out, exactly as an unknown
# one; the open renewal line (if any) is the lock held by an unpaid order.
SELECT_CANDIDATES = """
SELECT s.serial, s.license_type, s.trial, s.status, s.valid_until, s.updates_until,
       s.product_id, p.code AS product, p.name AS product_name,
       (SELECT o.number FROM renewal_lines r JOIN orders o ON o.id = r.order_id
        WHERE r.serial = s.serial AND r.open) AS locked_by
FROM unnest($1::text[]) AS u(serial)
JOIN serials s ON s.serial = u.serial
JOIN products p ON p.id = s.product_id
WHERE p.vendor_id = $2
"""
SELECT_NOW = "SELECT now()"

LINE_COLUMNS = (
    "order_id",
    "position",
    "serial",
    "kind",
    "months",
    "previous_end",
    "list_price",
    "discount_percent",
    "amount",
)

SELECT_LINES = """
SELECT r.position, r.serial, p.code AS product, s.license_type, r.kind, r.months,
       r.previous_end, r.list_price, r.discount_percent, r.amount, r.new_end, r.open
FROM renewal_lines r
JOIN serials s ON s.serial = r.serial
JOIN products p ON p.id = s.product_id
WHERE r.order_id = $1
ORDER BY r.position
"""

# The extension, in the fulfilling transaction: from the current end when it is still ahead,
# from now (the payment) otherwise. Only open lines move, and the lines close in the same
# statement, so an order's serials are extended once whatever happens after.
EXTEND = """
WITH lines AS (
    SELECT r.id, r.serial, r.kind, r.months FROM renewal_lines r
    WHERE r.order_id = $1 AND r.open
),
extended AS (
    UPDATE serials s SET
        updates_until = CASE WHEN l.kind = 'updates'
            THEN greatest(s.updates_until, now()) + make_interval(months => l.months)
            ELSE s.updates_until END,
        valid_until = CASE WHEN l.kind = 'term'
            THEN greatest(s.valid_until, now()) + make_interval(months => l.months)
            ELSE s.valid_until END
    FROM lines l
    WHERE s.serial = l.serial
    RETURNING l.id, CASE WHEN l.kind = 'updates' THEN s.updates_until ELSE s.valid_until END
        AS new_end
)
UPDATE renewal_lines r SET new_end = e.new_end, open = false
FROM extended e WHERE r.id = e.id
"""
CLOSE_LINES = "UPDATE renewal_lines SET open = false WHERE order_id = $1 AND open"
COUNT_LINES = """
SELECT order_id, count(*) AS lines FROM renewal_lines WHERE order_id = ANY($1::bigint[])
GROUP BY order_id
"""


@dataclass(frozen=True)
class Candidate:
    serial: str
    license_type: str
    trial: bool
    status: str
    valid_until: datetime | None
    updates_until: datetime | None
    product_id: int
    product: str
    product_name: str
    locked_by: int | None


@dataclass(frozen=True)
class RenewalLine:
    position: int
    serial: str
    product: str
    license_type: str
    kind: str
    months: int
    previous_end: datetime | None
    list_price: int
    discount_percent: int
    amount: int
    new_end: datetime | None
    open: bool


@dataclass(frozen=True)
class NewRenewalLine:
    serial: str
    kind: str
    months: int
    previous_end: datetime | None
    list_price: int
    discount_percent: int
    amount: int


async def candidates(
    connection: asyncpg.Connection, serials: list[str], vendor_id: int
) -> dict[str, Candidate]:
    rows = await connection.fetch(SELECT_CANDIDATES, serials, vendor_id)
    return {row["serial"]: Candidate(**dict(row)) for row in rows}


async def now(connection: asyncpg.Connection) -> datetime:
    moment: datetime = await connection.fetchval(SELECT_NOW)
    return moment


async def insert_lines(
    connection: asyncpg.Connection, order_id: int, lines: Sequence[NewRenewalLine]
) -> None:
    """By COPY: thousands of lines in one round trip (a unique violation of the open-serial
    index still aborts it, as an INSERT would)."""
    await connection.copy_records_to_table(
        "renewal_lines",
        columns=LINE_COLUMNS,
        records=[
            (
                order_id,
                position,
                line.serial,
                line.kind,
                line.months,
                line.previous_end,
                line.list_price,
                line.discount_percent,
                line.amount,
            )
            for position, line in enumerate(lines, start=1)
        ],
    )


async def lines(connection: asyncpg.Connection, order_id: int) -> list[RenewalLine]:
    return [RenewalLine(**dict(row)) for row in await connection.fetch(SELECT_LINES, order_id)]


async def extend(connection: asyncpg.Connection, order_id: int) -> int:
    """Extends the open lines' serials; returns how many."""
    status = await connection.execute(EXTEND, order_id)
    return int(status.split()[-1])


async def close_lines(connection: asyncpg.Connection, order_id: int) -> None:
    await connection.execute(CLOSE_LINES, order_id)


async def line_counts(connection: asyncpg.Connection, order_ids: list[int]) -> dict[int, int]:
    rows = await connection.fetch(COUNT_LINES, order_ids)
    return {row["order_id"]: row["lines"] for row in rows}
