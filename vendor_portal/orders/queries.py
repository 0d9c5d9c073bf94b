"""SQL of orders, their lines, history and payments."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

# Taken in the transaction that uses the number: rolled back, it is given back (no holes).
NEXT_NUMBER = "UPDATE counters SET value = value + 1 WHERE name = $1 RETURNING value"
INSERT_ORDER = """
INSERT INTO orders AS o (number, vendor_id, currency, discount_percent, subtotal, discount,
                         total, created_by, kind)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
RETURNING
o.id, o.number, o.vendor_id, o.status, o.currency, o.discount_percent, o.subtotal, o.discount,
o.total, o.paid, o.invoice_number, o.created_by, o.created_at, o.updated_at, o.invoiced_at,
o.fulfilled_at, o.cancelled_at, o.kind, o.act_number
"""
UPDATE_TOTALS = """
UPDATE orders AS o SET currency = $2, discount_percent = $3, subtotal = $4, discount = $5,
    total = $6, updated_at = now()
WHERE o.id = $1 RETURNING
o.id, o.number, o.vendor_id, o.status, o.currency, o.discount_percent, o.subtotal, o.discount,
o.total, o.paid, o.invoice_number, o.created_by, o.created_at, o.updated_at, o.invoiced_at,
o.fulfilled_at, o.cancelled_at, o.kind, o.act_number
"""
SELECT_ORDER = """
SELECT
o.id, o.number, o.vendor_id, o.status, o.currency, o.discount_percent, o.subtotal, o.discount,
o.total, o.paid, o.invoice_number, o.created_by, o.created_at, o.updated_at, o.invoiced_at,
o.fulfilled_at, o.cancelled_at, o.kind, o.act_number
 FROM orders o WHERE o.id = $1
"""
LOCK_ORDER = """
SELECT
o.id, o.number, o.vendor_id, o.status, o.currency, o.discount_percent, o.subtotal, o.discount,
o.total, o.paid, o.invoice_number, o.created_by, o.created_at, o.updated_at, o.invoiced_at,
o.fulfilled_at, o.cancelled_at, o.kind, o.act_number
 FROM orders o WHERE o.id = $1 FOR UPDATE
"""
_ORDERS_MATCHING = """
 FROM orders o
WHERE ($1::bigint IS NULL OR o.vendor_id = $1) AND ($2::text IS NULL OR o.status = $2)
"""
SELECT_ORDERS = (
    """
SELECT
o.id, o.number, o.vendor_id, o.status, o.currency, o.discount_percent, o.subtotal, o.discount,
o.total, o.paid, o.invoice_number, o.created_by, o.created_at, o.updated_at, o.invoiced_at,
o.fulfilled_at, o.cancelled_at, o.kind, o.act_number"""
    + _ORDERS_MATCHING
    + """ORDER BY o.created_at DESC, o.id DESC
LIMIT $3 OFFSET $4
"""
)
COUNT_ORDERS = "SELECT count(*)" + _ORDERS_MATCHING
SET_STATUS = """
UPDATE orders AS o SET
    status = $2,
    updated_at = now(),
    invoice_number = coalesce($3, o.invoice_number),
    invoiced_at = CASE WHEN $2 = 'invoiced' THEN now() ELSE o.invoiced_at END,
    fulfilled_at = CASE WHEN $2 = 'fulfilled' THEN now() ELSE o.fulfilled_at END,
    cancelled_at = CASE WHEN $2 = 'cancelled' THEN now() ELSE o.cancelled_at END
WHERE o.id = $1 RETURNING
o.id, o.number, o.vendor_id, o.status, o.currency, o.discount_percent, o.subtotal, o.discount,
o.total, o.paid, o.invoice_number, o.created_by, o.created_at, o.updated_at, o.invoiced_at,
o.fulfilled_at, o.cancelled_at, o.kind, o.act_number
"""
ADD_PAID = """
UPDATE orders AS o SET paid = o.paid + $2, updated_at = now() WHERE o.id = $1
RETURNING
o.id, o.number, o.vendor_id, o.status, o.currency, o.discount_percent, o.subtotal, o.discount,
o.total, o.paid, o.invoice_number, o.created_by, o.created_at, o.updated_at, o.invoiced_at,
o.fulfilled_at, o.cancelled_at, o.kind, o.act_number
"""

INSERT_LINE = """
INSERT INTO order_lines (order_id, position, product_id, license_type, quantity, features,
                         unit_price, amount, term_months, updates_months)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
"""
DELETE_LINES = "DELETE FROM order_lines WHERE order_id = $1"
SELECT_LINES = """
SELECT
l.id, l.order_id, l.position, p.code AS product, l.product_id, l.license_type, l.quantity,
l.features, l.unit_price, l.amount, l.term_months, l.updates_months
 FROM order_lines l JOIN products p ON p.id = l.product_id
WHERE l.order_id = ANY($1::bigint[]) ORDER BY l.order_id, l.position
"""

# The terms an order line asked for, counted from fulfilment (this transaction's time).
APPLY_LINE_TERMS = """
UPDATE serials s SET
    valid_until = CASE WHEN l.term_months IS NOT NULL
                       THEN now() + make_interval(months => l.term_months) END,
    updates_until = CASE WHEN l.updates_months IS NOT NULL
                         THEN now() + make_interval(months => l.updates_months) END
FROM order_lines l
WHERE l.order_id = $1 AND s.order_line_id = l.id
  AND (l.term_months IS NOT NULL OR l.updates_months IS NOT NULL)
"""

INSERT_EVENT = """
INSERT INTO order_events (order_id, actor, user_id, from_status, to_status, note)
VALUES ($1, $2, $3, $4, $5, $6)
"""
SELECT_EVENTS = """
SELECT id, at, actor, from_status, to_status, note FROM order_events
WHERE order_id = $1 ORDER BY id
"""

INSERT_PAYMENT = """
INSERT INTO payments (order_id, reference, method, amount, recorded_by)
VALUES ($1, $2, $3, $4, $5)
RETURNING id, order_id, reference, method, amount, created_at
"""
SELECT_PAYMENT_BY_REFERENCE = """
SELECT id, order_id, reference, method, amount, created_at FROM payments WHERE reference = $1
"""
SELECT_PAYMENTS = """
SELECT id, order_id, reference, method, amount, created_at FROM payments
WHERE order_id = $1 ORDER BY id
"""


@dataclass(frozen=True)
class Order:
    id: int
    number: int
    vendor_id: int
    status: str
    currency: str
    discount_percent: int
    subtotal: int
    discount: int
    total: int
    paid: int
    invoice_number: int | None
    created_by: int | None
    created_at: datetime
    updated_at: datetime
    invoiced_at: datetime | None
    fulfilled_at: datetime | None
    cancelled_at: datetime | None
    # 'serials' (new serials are issued) or 'renewal' (existing serials' subscriptions extended).
    kind: str = "serials"
    # The delivery act's number, taken at fulfilment.
    act_number: int | None = None

    # The state machine (placed -> invoiced -> fulfilled, or cancelled) lives in these methods:
    # the service enforces them, and the API and the pages offer what they allow.

    @property
    def open(self) -> bool:
        """Still waiting for payment: placed or invoiced (fulfilled and cancelled are final)."""
        return self.status in ("placed", "invoiced")

    @property
    def due(self) -> int:
        """What is left to pay: the total less the payments so far while the order is open,
        nothing once it is fulfilled or cancelled."""
        return max(0, self.total - self.paid) if self.open else 0

    def may(self, action: str, *, staff: bool = False) -> bool:
        """Whether the order's state lets ``action`` start, for staff or for the vendor. Whether
        the actor may take a staff-only action at all is the actor's rule, checked apart."""
        if action == "change":
            # A renewal order is not changed: it is cancelled and placed again.
            return self.status == "placed" and self.kind != "renewal"
        if action == "invoice":
            return self.status == "placed"
        if action == "pay":
            return self.status == "invoiced"
        if action == "pay_from_balance":
            # A placed order is invoiced and paid at once.
            return self.open
        if action == "cancel":
            # Vendors cancel their placed orders and their unpaid renewal invoices; staff also
            # cancel invoiced orders (payments so far go to the balance).
            return self.status == "placed" or (
                self.status == "invoiced" and (staff or (self.kind == "renewal" and not self.paid))
            )
        if action == "download":
            return self.status == "fulfilled" and self.kind == "serials"
        raise ValueError(f"no order action {action!r}")


@dataclass(frozen=True)
class OrderLine:
    id: int
    order_id: int
    position: int
    product: str
    product_id: int
    license_type: str
    quantity: int
    features: list[str]
    unit_price: int
    amount: int
    term_months: int | None = None
    updates_months: int | None = None


@dataclass(frozen=True)
class NewLine:
    product_id: int
    license_type: str
    quantity: int
    features: list[str]
    unit_price: int
    term_months: int | None = None
    updates_months: int | None = None

    @property
    def amount(self) -> int:
        return self.unit_price * self.quantity


@dataclass(frozen=True)
class OrderEvent:
    id: int
    at: datetime
    actor: str
    from_status: str | None
    to_status: str
    note: str | None


@dataclass(frozen=True)
class Payment:
    id: int
    order_id: int
    reference: str
    method: str
    amount: int
    created_at: datetime


def _order(row: asyncpg.Record | None) -> Order | None:
    return Order(**dict(row)) if row is not None else None


async def next_number(connection: asyncpg.Connection, counter: str) -> int:
    return int(await connection.fetchval(NEXT_NUMBER, counter))


async def insert_order(
    connection: asyncpg.Connection,
    *,
    number: int,
    vendor_id: int,
    currency: str,
    discount_percent: int,
    subtotal: int,
    discount: int,
    created_by: int | None,
    kind: str = "serials",
) -> Order:
    order = _order(
        await connection.fetchrow(
            INSERT_ORDER,
            number,
            vendor_id,
            currency,
            discount_percent,
            subtotal,
            discount,
            subtotal - discount,
            created_by,
            kind,
        )
    )
    assert order is not None
    return order


async def update_totals(
    connection: asyncpg.Connection,
    order_id: int,
    *,
    currency: str,
    discount_percent: int,
    subtotal: int,
    discount: int,
) -> Order:
    order = _order(
        await connection.fetchrow(
            UPDATE_TOTALS,
            order_id,
            currency,
            discount_percent,
            subtotal,
            discount,
            subtotal - discount,
        )
    )
    assert order is not None
    return order


async def order(connection: asyncpg.Connection, order_id: int) -> Order | None:
    return _order(await connection.fetchrow(SELECT_ORDER, order_id))


async def lock_order(connection: asyncpg.Connection, order_id: int) -> Order | None:
    """The order, locked until the transaction ends: transitions of one order run one by one."""
    return _order(await connection.fetchrow(LOCK_ORDER, order_id))


async def orders(
    connection: asyncpg.Connection,
    *,
    vendor_id: int | None,
    status: str | None,
    limit: int,
    offset: int,
) -> list[Order]:
    rows = await connection.fetch(SELECT_ORDERS, vendor_id, status, limit, offset)
    return [Order(**dict(row)) for row in rows]


async def count_orders(
    connection: asyncpg.Connection, *, vendor_id: int | None, status: str | None
) -> int:
    """How many orders :func:`orders` pages through."""
    return int(await connection.fetchval(COUNT_ORDERS, vendor_id, status))


async def set_status(
    connection: asyncpg.Connection, order_id: int, status: str, invoice_number: int | None = None
) -> Order:
    changed = _order(await connection.fetchrow(SET_STATUS, order_id, status, invoice_number))
    assert changed is not None
    return changed


async def add_paid(connection: asyncpg.Connection, order_id: int, amount: int) -> Order:
    changed = _order(await connection.fetchrow(ADD_PAID, order_id, amount))
    assert changed is not None
    return changed


async def insert_lines(
    connection: asyncpg.Connection, order_id: int, lines: Sequence[NewLine]
) -> None:
    await connection.executemany(
        INSERT_LINE,
        [
            (
                order_id,
                position,
                line.product_id,
                line.license_type,
                line.quantity,
                line.features,
                line.unit_price,
                line.amount,
                line.term_months,
                line.updates_months,
            )
            for position, line in enumerate(lines, start=1)
        ],
    )


async def delete_lines(connection: asyncpg.Connection, order_id: int) -> None:
    await connection.execute(DELETE_LINES, order_id)


async def lines(connection: asyncpg.Connection, order_ids: list[int]) -> list[OrderLine]:
    return [OrderLine(**dict(row)) for row in await connection.fetch(SELECT_LINES, order_ids)]


async def apply_line_terms(connection: asyncpg.Connection, order_id: int) -> None:
    await connection.execute(APPLY_LINE_TERMS, order_id)


async def insert_event(
    connection: asyncpg.Connection,
    order_id: int,
    *,
    actor: str,
    user_id: int | None,
    from_status: str | None,
    to_status: str,
    note: str | None = None,
) -> None:
    await connection.execute(INSERT_EVENT, order_id, actor, user_id, from_status, to_status, note)


async def events(connection: asyncpg.Connection, order_id: int) -> list[OrderEvent]:
    return [OrderEvent(**dict(row)) for row in await connection.fetch(SELECT_EVENTS, order_id)]


async def insert_payment(
    connection: asyncpg.Connection,
    *,
    order_id: int,
    reference: str,
    method: str,
    amount: int,
    recorded_by: int | None,
) -> Payment:
    row = await connection.fetchrow(
        INSERT_PAYMENT, order_id, reference, method, amount, recorded_by
    )
    assert row is not None
    return Payment(**dict(row))


async def payment_by_reference(connection: asyncpg.Connection, reference: str) -> Payment | None:
    row = await connection.fetchrow(SELECT_PAYMENT_BY_REFERENCE, reference)
    return Payment(**dict(row)) if row is not None else None


async def payments(connection: asyncpg.Connection, order_id: int) -> list[Payment]:
    return [Payment(**dict(row)) for row in await connection.fetch(SELECT_PAYMENTS, order_id)]
