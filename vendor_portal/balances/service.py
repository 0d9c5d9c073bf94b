"""Prepaid balances: staff record top-ups; orders are paid from the balance; every change is in
the ledger (the cabinets' "advance history")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from activation_server.errors import InvalidRequest
from vendor_portal.actor import Actor, iso
from vendor_portal.audit import queries as audit
from vendor_portal.balances import queries
from vendor_portal.balances.queries import LedgerEntry
from vendor_portal.documents import queries as documents
from vendor_portal.documents.queries import Prepayment
from vendor_portal.errors import (
    PaymentReferenceUsed,
    PrepaymentNotFound,
    PrepaymentPaid,
    VendorNotFound,
)
from vendor_portal.mail import notices
from vendor_portal.orders import queries as orders
from vendor_portal.pricing import queries as pricing


@dataclass(frozen=True)
class Balance:
    vendor_id: int
    balance: int
    currency: str
    ledger: list[LedgerEntry]
    # Entries of the whole ledger; ``ledger`` is a page of them.
    entries: int


def entry_json(entry: LedgerEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": iso(entry.at),
        "kind": entry.kind,
        "amount": entry.amount,
        "balance_after": entry.balance_after,
        "order_id": entry.order_id,
        "reference": entry.reference,
    }


async def currency(connection: asyncpg.Connection) -> str:
    prices = await pricing.prices(connection)
    return prices[0].currency if prices else "RUB"


async def get_balance(
    pool: asyncpg.Pool, actor: Actor, vendor_id: int, limit: int = 100, offset: int = 0
) -> Balance:
    if not actor.may_see(vendor_id):
        raise VendorNotFound()
    async with pool.acquire() as connection:
        amount = await queries.balance(connection, vendor_id)
        if amount is None:
            raise VendorNotFound()
        return Balance(
            vendor_id,
            amount,
            await currency(connection),
            await queries.ledger(connection, vendor_id, limit, offset),
            await queries.ledger_size(connection, vendor_id),
        )


async def top_up(
    pool: asyncpg.Pool,
    actor: Actor,
    vendor_id: int,
    amount: int,
    reference: str,
    base_url: str = "",
) -> tuple[LedgerEntry, bool]:
    """Credits the balance; the same reference twice changes nothing (second result False)."""
    actor.require_staff()
    try:
        async with pool.acquire() as connection, connection.transaction():
            existing = await queries.top_up_by_reference(connection, reference)
            if existing is not None:
                if existing.vendor_id != vendor_id:
                    raise PaymentReferenceUsed(
                        "This top-up reference was already recorded for another company."
                    )
                return existing, False
            if await queries.balance(connection, vendor_id) is None:
                raise VendorNotFound()
            moved = await queries.move(
                connection,
                vendor_id=vendor_id,
                kind="top_up",
                amount=amount,
                reference=reference,
                user_id=actor.user_id,
            )
            assert moved is not None
            entry = moved
            after = entry.balance_after
            await audit.record(
                connection,
                actor,
                "balance.top_up",
                vendor_id=vendor_id,
                subject=f"vendor:{vendor_id}",
                details={"amount": amount, "reference": reference, "balance_after": after},
            )
            await notices.balance_topped_up(
                connection,
                vendor_id=vendor_id,
                amount=amount,
                balance=after,
                currency=await currency(connection),
                base_url=base_url,
            )
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name != "balance_ledger_top_up_reference_key":
            raise
        # The same top-up recorded at the same moment by another request: answer as a repeat.
        async with pool.acquire() as connection:
            existing = await queries.top_up_by_reference(connection, reference)
        if existing is None or existing.vendor_id != vendor_id:
            raise PaymentReferenceUsed() from None
        return existing, False
    return entry, True


# --- prepayment invoices -------------------------------------------------------------------

MAX_PREPAYMENT = 10**13


async def request_prepayment(
    pool: asyncpg.Pool, actor: Actor, amount: int, vendor_id: int | None = None
) -> Prepayment:
    """An invoice for topping the balance up (seed 001, 3.3): numbered with the orders'
    invoices; the balance is credited when staff record its payment."""
    if actor.is_staff:
        if vendor_id is None:
            raise InvalidRequest("Staff name the company: the field 'vendor_id' is required.")
    else:
        vendor_id = actor.vendor_id
    assert vendor_id is not None
    if not 1 <= amount <= MAX_PREPAYMENT:
        raise InvalidRequest(f"The amount must be between 1 and {MAX_PREPAYMENT}.")
    async with pool.acquire() as connection, connection.transaction():
        if await queries.balance(connection, vendor_id) is None:
            raise VendorNotFound()
        invoice = await documents.insert_prepayment(
            connection,
            number=await orders.next_number(connection, "invoice"),
            vendor_id=vendor_id,
            amount=amount,
            currency=await currency(connection),
            created_by=actor.user_id,
        )
        await audit.record(
            connection,
            actor,
            "balance.prepayment_invoiced",
            vendor_id=vendor_id,
            subject=f"prepayment:{invoice.number}",
            details={"amount": amount},
        )
        return invoice


async def list_prepayments(pool: asyncpg.Pool, actor: Actor, vendor_id: int) -> list[Prepayment]:
    found, _ = await page_prepayments(pool, actor, vendor_id, 100, 0)
    return found


async def page_prepayments(
    pool: asyncpg.Pool, actor: Actor, vendor_id: int, limit: int, offset: int
) -> tuple[list[Prepayment], int]:
    """A page of the company's prepayment invoices, newest first, and how many it has."""
    if not actor.may_see(vendor_id):
        raise VendorNotFound()
    async with pool.acquire() as connection:
        found = await documents.prepayments(connection, vendor_id, limit, offset)
        return found, await documents.count_prepayments(connection, vendor_id)


async def get_prepayment(pool: asyncpg.Pool, actor: Actor, number: int) -> Prepayment:
    async with pool.acquire() as connection:
        invoice = await documents.prepayment(connection, number)
    if invoice is None or not actor.may_see(invoice.vendor_id):
        raise PrepaymentNotFound()
    return invoice


async def pay_prepayment(
    pool: asyncpg.Pool, actor: Actor, number: int, reference: str, base_url: str = ""
) -> tuple[Prepayment, bool]:
    """Staff record the bank's payment of a prepayment invoice: the balance is credited by its
    amount (a top-up under the bank's reference). The same reference again changes nothing."""
    actor.require_staff()
    try:
        async with pool.acquire() as connection, connection.transaction():
            invoice = await documents.prepayment(connection, number, lock=True)
            if invoice is None:
                raise PrepaymentNotFound()
            if invoice.paid_at is not None:
                if invoice.reference == reference:
                    return invoice, False
                raise PrepaymentPaid()
            if await queries.top_up_by_reference(connection, reference) is not None:
                raise PaymentReferenceUsed()
            entry = await queries.move(
                connection,
                vendor_id=invoice.vendor_id,
                kind="top_up",
                amount=invoice.amount,
                reference=reference,
                user_id=actor.user_id,
            )
            assert entry is not None
            paid = await documents.mark_prepayment_paid(connection, number, reference)
            await audit.record(
                connection,
                actor,
                "balance.top_up",
                vendor_id=invoice.vendor_id,
                subject=f"prepayment:{number}",
                details={
                    "amount": invoice.amount,
                    "reference": reference,
                    "balance_after": entry.balance_after,
                },
            )
            await notices.balance_topped_up(
                connection,
                vendor_id=invoice.vendor_id,
                amount=invoice.amount,
                balance=entry.balance_after,
                currency=invoice.currency,
                base_url=base_url,
            )
            return paid, True
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name != "balance_ledger_top_up_reference_key":
            raise
        raise PaymentReferenceUsed() from None
