"""SQL of vendors' prepaid balances and their ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

# The balance check and the change are one statement, so two payments at once cannot both
# spend the same money (and the column's CHECK guards it once more).
DEBIT = """
UPDATE vendors SET balance = balance - $2 WHERE id = $1 AND balance >= $2 RETURNING balance
"""
CREDIT = "UPDATE vendors SET balance = balance + $2 WHERE id = $1 RETURNING balance"
SELECT_BALANCE = "SELECT balance FROM vendors WHERE id = $1"
INSERT_ENTRY = """
INSERT INTO balance_ledger (vendor_id, kind, amount, balance_after, order_id, reference, user_id)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING id, vendor_id, at, kind, amount, balance_after, order_id, reference
"""
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


async def debit(connection: asyncpg.Connection, vendor_id: int, amount: int) -> int | None:
    value = await connection.fetchval(DEBIT, vendor_id, amount)
    return int(value) if value is not None else None


async def credit(connection: asyncpg.Connection, vendor_id: int, amount: int) -> int:
    return int(await connection.fetchval(CREDIT, vendor_id, amount))


async def balance(connection: asyncpg.Connection, vendor_id: int) -> int | None:
    value = await connection.fetchval(SELECT_BALANCE, vendor_id)
    return int(value) if value is not None else None


async def insert_entry(
    connection: asyncpg.Connection,
    *,
    vendor_id: int,
    kind: str,
    amount: int,
    balance_after: int,
    order_id: int | None = None,
    reference: str | None = None,
    user_id: int | None = None,
) -> LedgerEntry:
    row = await connection.fetchrow(
        INSERT_ENTRY, vendor_id, kind, amount, balance_after, order_id, reference, user_id
    )
    assert row is not None
    return LedgerEntry(**dict(row))


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
    """Every change of a balance: the change and its ledger entry, in the caller's transaction.
    A positive amount credits, a negative one debits; None when the balance is short (nothing
    is written then)."""
    if amount < 0:
        after = await debit(connection, vendor_id, -amount)
        if after is None:
            return None
    else:
        after = await credit(connection, vendor_id, amount)
    return await insert_entry(
        connection,
        vendor_id=vendor_id,
        kind=kind,
        amount=amount,
        balance_after=after,
        order_id=order_id,
        reference=reference,
        user_id=user_id,
    )
