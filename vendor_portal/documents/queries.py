"""SQL of the documents: a company's requisites, act numbers and prepayment invoices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

REQUISITE_COLUMNS = (
    "legal_name",
    "address",
    "tax_id",
    "tax_reason_code",
    "bank_name",
    "bank_code",
    "bank_account",
    "correspondent_account",
    "billing_email",
)
SELECT_REQUISITES = """
SELECT id, name, legal_name, address, tax_id, tax_reason_code, bank_name, bank_code,
       bank_account, correspondent_account, billing_email
FROM vendors WHERE id = $1
"""
UPDATE_REQUISITES = """
UPDATE vendors SET legal_name = $2, address = $3, tax_id = $4, tax_reason_code = $5,
    bank_name = $6, bank_code = $7, bank_account = $8, correspondent_account = $9,
    billing_email = $10
WHERE id = $1 RETURNING id
"""
NEXT_ACT = """
WITH n AS (UPDATE counters SET value = value + 1 WHERE name = 'act' RETURNING value)
UPDATE orders SET act_number = (SELECT value FROM n) WHERE id = $1 AND act_number IS NULL
RETURNING act_number
"""
SELECT_ACT_NUMBER = "SELECT act_number FROM orders WHERE id = $1"

INSERT_PREPAYMENT = """
INSERT INTO prepayment_invoices (number, vendor_id, amount, currency, created_by)
VALUES ($1, $2, $3, $4, $5) RETURNING
id, number, vendor_id, amount, currency, created_at, paid_at, reference
"""
SELECT_PREPAYMENT = """
SELECT id, number, vendor_id, amount, currency, created_at, paid_at, reference
FROM prepayment_invoices WHERE number = $1
"""
LOCK_PREPAYMENT = """
SELECT id, number, vendor_id, amount, currency, created_at, paid_at, reference
FROM prepayment_invoices WHERE number = $1 FOR UPDATE
"""
SELECT_PREPAYMENTS = """
SELECT id, number, vendor_id, amount, currency, created_at, paid_at, reference
FROM prepayment_invoices
WHERE ($1::bigint IS NULL OR vendor_id = $1) ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3
"""
COUNT_PREPAYMENTS = "SELECT count(*) FROM prepayment_invoices WHERE vendor_id = $1"
MARK_PREPAYMENT_PAID = """
UPDATE prepayment_invoices SET paid_at = now(), reference = $2 WHERE number = $1
RETURNING
id, number, vendor_id, amount, currency, created_at, paid_at, reference
"""


@dataclass(frozen=True)
class Requisites:
    """A company's details as invoices and acts print them; empty strings where not given."""

    id: int
    name: str
    legal_name: str = ""
    address: str = ""
    tax_id: str = ""
    tax_reason_code: str = ""
    bank_name: str = ""
    bank_code: str = ""
    bank_account: str = ""
    correspondent_account: str = ""
    billing_email: str = ""

    @property
    def display_name(self) -> str:
        return self.legal_name or self.name


@dataclass(frozen=True)
class Prepayment:
    id: int
    number: int
    vendor_id: int
    amount: int
    currency: str
    created_at: datetime
    paid_at: datetime | None
    reference: str | None


async def requisites(connection: asyncpg.Connection, vendor_id: int) -> Requisites | None:
    row = await connection.fetchrow(SELECT_REQUISITES, vendor_id)
    if row is None:
        return None
    values: dict[str, Any] = {key: ("" if value is None else value) for key, value in row.items()}
    return Requisites(**values)


async def set_requisites(connection: asyncpg.Connection, details: Requisites) -> bool:
    values = [getattr(details, name) or None for name in REQUISITE_COLUMNS]
    return await connection.fetchval(UPDATE_REQUISITES, details.id, *values) is not None


async def take_act_number(connection: asyncpg.Connection, order_id: int) -> int:
    """The order's act number, taken from the counter the first time (in the caller's
    transaction, so a rollback gives it back)."""
    number = await connection.fetchval(NEXT_ACT, order_id)
    if number is None:
        number = await connection.fetchval(SELECT_ACT_NUMBER, order_id)
    return int(number)


def _prepayment(row: asyncpg.Record | None) -> Prepayment | None:
    return Prepayment(**dict(row)) if row is not None else None


async def insert_prepayment(
    connection: asyncpg.Connection,
    *,
    number: int,
    vendor_id: int,
    amount: int,
    currency: str,
    created_by: int | None,
) -> Prepayment:
    row = await connection.fetchrow(
        INSERT_PREPAYMENT, number, vendor_id, amount, currency, created_by
    )
    found = _prepayment(row)
    assert found is not None
    return found


async def prepayment(
    connection: asyncpg.Connection, number: int, *, lock: bool = False
) -> Prepayment | None:
    return _prepayment(
        await connection.fetchrow(LOCK_PREPAYMENT if lock else SELECT_PREPAYMENT, number)
    )


async def prepayments(
    connection: asyncpg.Connection, vendor_id: int | None, limit: int = 100, offset: int = 0
) -> list[Prepayment]:
    rows = await connection.fetch(SELECT_PREPAYMENTS, vendor_id, limit, offset)
    return [Prepayment(**dict(row)) for row in rows]


async def count_prepayments(connection: asyncpg.Connection, vendor_id: int) -> int:
    return int(await connection.fetchval(COUNT_PREPAYMENTS, vendor_id))


async def mark_prepayment_paid(
    connection: asyncpg.Connection, number: int, reference: str
) -> Prepayment:
    found = _prepayment(await connection.fetchrow(MARK_PREPAYMENT_PAID, number, reference))
    assert found is not None
    return found
