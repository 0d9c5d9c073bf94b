"""SQL of vendors' prepaid balances and their ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

# Every change of a balance and its ledger entry, as one statement: the balance check, the
# change and the entry cannot come apart, and two payments at once cannot both spend the same
# money (the row lock of the UPDATE orders them; the column's CHECK guards it once more).
# A debit the balance does not cover changes no row, so nothing is written.
MOVE = """
WITH changed AS (
    UPDATE vendors SET balance = balance + $3
    WHERE id = $1 AND balance + $3 >= 0
    RETURNING id, balance
)
INSERT INTO balance_ledger (vendor_id, kind, amount, balance_after, order_id, reference, user_id)
SELECT changed.id, $2, $3, changed.balance, $4, $5, $6 FROM changed
RETURNING id, vendor_id, at, kind, amount, balance_after, order_id, reference
"""
SELECT_BALANCE = "SELECT balance FROM vendors WHERE id = $1"
SELECT_TOP_UP = """
SELECT id, vendor_id, at, kind, amount, balance_after, order_id, reference
FROM balance_ledger WHERE kind = 'top_up' AND reference = $1
"""
COUNT_LEDGER = "SELECT count(*) FROM balance_ledger WHERE vendor_id = $1"
SELECT_LEDGER = """
SELECT id, vendor_id, at, kind, amount, balance_after, order_id, reference
FROM balance_ledger WHERE vendor_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3
"""


@dataclass(frozen=True)
class LedgerEntry:
    id: int
    vendor_id: int
    at: datetime
    kind: str
    amount: int
    balance_after: int
    order_id: int | None
    reference: str | None


async def balance(connection: asyncpg.Connection, vendor_id: int) -> int | None:
    value = await connection.fetchval(SELECT_BALANCE, vendor_id)
    return int(value) if value is not None else None


async def top_up_by_reference(connection: asyncpg.Connection, reference: str) -> LedgerEntry | None:
    row = await connection.fetchrow(SELECT_TOP_UP, reference)
    return LedgerEntry(**dict(row)) if row is not None else None


async def ledger(
    connection: asyncpg.Connection, vendor_id: int, limit: int, offset: int
) -> list[LedgerEntry]:
    rows = await connection.fetch(SELECT_LEDGER, vendor_id, limit, offset)
    return [LedgerEntry(**dict(row)) for row in rows]


async def ledger_size(connection: asyncpg.Connection, vendor_id: int) -> int:
    return int(await connection.fetchval(COUNT_LEDGER, vendor_id))


async def move(
    connection: asyncpg.Connection,
    *,
    vendor_id: int,
    kind: str,
    amount: int,
    order_id: int | None = None,
    reference: str | None = None,
    user_id: int | None = None,
) -> LedgerEntry | None:
    """Every change of a balance: the change and its ledger entry (:data:`MOVE`). A positive
    amount credits, a negative one debits; None when the balance is short."""
    row = await connection.fetchrow(MOVE, vendor_id, kind, amount, order_id, reference, user_id)
    return LedgerEntry(**dict(row)) if row is not None else None
