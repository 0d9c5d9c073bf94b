"""Renewal orders from uploaded serial numbers (the partner cabinet's update subscriptions).

    upload (paste or file, one serial a line or CSV) ──▶ each line checked and priced
        ──▶ the vendor picks lines ──▶ a renewal order (placed; its serials are locked)
        ──▶ paid (from the balance at once, or by transfer against the invoice)
        ──▶ fulfilled: every line's subscription or term extended in that transaction

A serial with a term (``valid_until``) renews its term; any other full serial renews (or buys
its first) update subscription (``updates_until``). The price of a line is the list price of
its license type or product for the months bought, less the partner's discount, less the
early-renewal discount while the current subscription or term still runs. A serial is in at
most one unpaid renewal order: the database's unique index on open lines decides between two
orders placed at once. After payment nothing changes: a paid order's lines are closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from activation_server.errors import InvalidRequest, PayloadTooLarge
from vendor_portal.accounts import queries as accounts
from vendor_portal.actor import Actor, iso
from vendor_portal.errors import SerialsNotRenewable, VendorNotFound
from vendor_portal.orders import queries as orders
from vendor_portal.orders.service import (
    OrderView,
    _view,
    issue_invoice,
    record_placed,
    tell_invoiced,
)
from vendor_portal.pricing import queries as pricing
from vendor_portal.pricing.service import (
    SubscriptionBook,
    discount_of,
    for_months,
    renewal_discount,
    subscription_book,
)
from vendor_portal.renewals import queries
from vendor_portal.renewals.queries import Candidate, NewRenewalLine
from vendor_portal.serials.codec import MalformedSerial, canonicalize
from vendor_portal.serials.service import split_list

# Thousands at once, as partners renew for hundreds of customers; far more is a mistake
# answered at once with a size error rather than a long wait.
MAX_UPLOAD_LINES = 20_000
MAX_UPLOAD_BYTES = 1024 * 1024
DEFAULT_MONTHS = 12
MAX_MONTHS = 36

REASONS = {
    "malformed": "Not a serial number: a character is mistyped or missing.",
    "not_found": "No such serial number among your products.",
    "duplicate": "Listed on an earlier line already.",
    "blocked": "The serial number is blocked.",
    "trial": "A trial serial number has no subscription to renew.",
    "locked": "Already in an unpaid renewal order.",
    "no_price": "The price list has no subscription price for this license type.",
}


@dataclass(frozen=True)
class Refused:
    line: int
    text: str
    reason: str
    serial: str | None = None
    order_number: int | None = None

    @property
    def message(self) -> str:
        if self.reason == "locked" and self.order_number is not None:
            return f"Already in unpaid renewal order No. {self.order_number}."
        return REASONS[self.reason]

    def to_json(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "text": self.text,
            "serial": self.serial,
            "reason": self.reason,
            "message": self.message,
            "order_number": self.order_number,
        }


@dataclass(frozen=True)
class Priced:
    line: int
    serial: str
    product: str
    product_name: str
    license_type: str
    kind: str
    previous_end: datetime | None
    running: bool
    months: int
    list_price: int
    discount_percent: int

    @property
    def amount(self) -> int:
        return self.list_price - discount_of(self.list_price, self.discount_percent)

    def to_json(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "serial": self.serial,
            "product": self.product,
            "product_name": self.product_name,
            "license_type": self.license_type,
            "kind": self.kind,
            "previous_end": iso(self.previous_end),
            "running": self.running,
            "months": self.months,
            "list_price": self.list_price,
            "discount_percent": self.discount_percent,
            "amount": self.amount,
        }

    def new_line(self) -> NewRenewalLine:
        return NewRenewalLine(
            self.serial,
            self.kind,
            self.months,
            self.previous_end,
            self.list_price,
            self.discount_percent,
            self.amount,
        )


@dataclass(frozen=True)
class RenewalQuote:
    items: list[Priced]
    refused: list[Refused]
    currency: str
    partner_percent: int
    early_percent: int
    months: int

    @property
    def total(self) -> int:
        return sum(item.amount for item in self.items)

    def to_json(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "months": self.months,
            "partner_discount_percent": self.partner_percent,
            "early_renewal_percent": self.early_percent,
            "items": [item.to_json() for item in self.items],
            "refused": [item.to_json() for item in self.refused],
            "total": self.total,
        }


# --- the upload ----------------------------------------------------------------------------


def check_upload_size(size: int) -> None:
    if size > MAX_UPLOAD_BYTES:
        raise PayloadTooLarge(
            f"An upload holds at most {MAX_UPLOAD_LINES:,} serial numbers "
            f"({MAX_UPLOAD_BYTES // 1024} KiB); split the list into parts."
        )


def parse_upload(text: str) -> tuple[list[tuple[int, str, str]], list[Refused]]:
    """The serials of a pasted list or CSV file (read as group work reads them): (line, text,
    canonical serial) per usable line, and the refused lines."""
    check_upload_size(len(text.encode("utf-8", "surrogatepass")))
    rows = text.count("\n") + 1
    if rows > MAX_UPLOAD_LINES:
        raise PayloadTooLarge(
            f"An upload holds at most {MAX_UPLOAD_LINES:,} lines; this one has {rows:,}. "
            "Split the list into parts."
        )
    found: list[tuple[int, str, str]] = []
    refused: list[Refused] = []
    seen: set[str] = set()
    for number, cell in split_list(text, limit=MAX_UPLOAD_LINES):
        shown = cell[:64]
        try:
            serial = canonicalize(cell)
        except MalformedSerial:
            refused.append(Refused(number, shown, "malformed"))
            continue
        if serial in seen:
            refused.append(Refused(number, shown, "duplicate", serial))
            continue
        seen.add(serial)
        found.append((number, shown, serial))
    if not found and not refused:
        raise InvalidRequest("The upload holds no serial numbers.")
    return found, refused


# --- pricing -------------------------------------------------------------------------------


def _price(
    candidate: Candidate,
    book: SubscriptionBook,
    months: int,
    partner_percent: int,
    early_percent: int,
    now: datetime,
) -> tuple[str, datetime | None, int, int, bool] | str:
    """(kind, previous end, list price, discount, running) or the reason it is refused."""
    if candidate.trial:
        return "trial"
    if candidate.status != "active":
        return "blocked"
    if candidate.locked_by is not None:
        return "locked"
    price = book.find(candidate.license_type, candidate.product_id)
    if price is None:
        return "no_price"
    previous: datetime | None
    if candidate.valid_until is not None:
        kind, previous = "term", candidate.valid_until
        list_price = price.term_month * months
    else:
        kind, previous = "updates", candidate.updates_until
        yearly = price.update_first if previous is None else price.update_renewal
        list_price = for_months(yearly, months)
    running = previous is not None and previous > now
    discount = renewal_discount(partner_percent, running, early_percent)
    return kind, previous, list_price, discount, running


async def price_serials(
    connection: asyncpg.Connection,
    vendor_id: int,
    lines: list[tuple[int, str, str]],
    refused: list[Refused],
    *,
    months: int,
    early_percent: int,
) -> RenewalQuote:
    if not 1 <= months <= MAX_MONTHS:
        raise InvalidRequest(f"A renewal is for 1 to {MAX_MONTHS} months.")
    vendor = await accounts.vendor(connection, vendor_id)
    if vendor is None:
        raise VendorNotFound()
    found = await queries.candidates(connection, [serial for _, _, serial in lines], vendor_id)
    book = await subscription_book(connection, sorted({c.product_id for c in found.values()}))
    now = await queries.now(connection)
    prices = await pricing.prices(connection)
    items: list[Priced] = []
    refused = list(refused)
    for number, text, serial in lines:
        candidate = found.get(serial)
        if candidate is None:
            refused.append(Refused(number, text, "not_found", serial))
            continue
        outcome = _price(candidate, book, months, vendor.discount_percent, early_percent, now)
        if isinstance(outcome, str):
            refused.append(Refused(number, text, outcome, serial, candidate.locked_by))
            continue
        kind, previous, list_price, discount, running = outcome
        items.append(
            Priced(
                number,
                serial,
                candidate.product,
                candidate.product_name,
                candidate.license_type,
                kind,
                previous,
                running,
                months,
                list_price,
                discount,
            )
        )
    refused.sort(key=lambda item: item.line)
    return RenewalQuote(
        items,
        refused,
        prices[0].currency if prices else "RUB",
        vendor.discount_percent,
        early_percent,
        months,
    )


def _vendor_of(actor: Actor, vendor_id: int | None) -> int:
    if actor.is_staff:
        if vendor_id is None:
            raise InvalidRequest("Staff name the company: the field 'vendor_id' is required.")
        return vendor_id
    assert actor.vendor_id is not None
    return actor.vendor_id


async def quote_upload(
    pool: asyncpg.Pool,
    actor: Actor,
    text: str,
    *,
    months: int = DEFAULT_MONTHS,
    early_percent: int,
    vendor_id: int | None = None,
) -> RenewalQuote:
    """Every line of an upload, priced or refused with its reason; nothing is written."""
    vendor_id = _vendor_of(actor, vendor_id)
    lines, refused = parse_upload(text)
    async with pool.acquire() as connection:
        return await price_serials(
            connection, vendor_id, lines, refused, months=months, early_percent=early_percent
        )


async def place_renewal_order(
    pool: asyncpg.Pool,
    actor: Actor,
    serials: list[str],
    *,
    months: int = DEFAULT_MONTHS,
    early_percent: int,
    vendor_id: int | None = None,
    base_url: str = "",
) -> OrderView:
    """A placed renewal order for the chosen serials, priced again now; refused as a whole
    (SerialsNotRenewable, line by line) when any of them cannot be renewed."""
    vendor_id = _vendor_of(actor, vendor_id)
    if not serials:
        raise InvalidRequest("Choose at least one serial number to renew.")
    lines, refused = parse_upload("\n".join(serials))
    try:
        async with pool.acquire() as connection, connection.transaction():
            quote = await price_serials(
                connection, vendor_id, lines, refused, months=months, early_percent=early_percent
            )
            if quote.refused:
                raise SerialsNotRenewable([item.to_json() for item in quote.refused])
            subtotal = sum(item.list_price for item in quote.items)
            order = await orders.insert_order(
                connection,
                number=await orders.next_number(connection, "order"),
                vendor_id=vendor_id,
                currency=quote.currency,
                discount_percent=quote.partner_percent,
                subtotal=subtotal,
                discount=subtotal - quote.total,
                created_by=actor.user_id,
                kind="renewal",
            )
            await queries.insert_lines(connection, order.id, [i.new_line() for i in quote.items])
            await record_placed(connection, actor, order, renewals=len(quote.items))
            # The partner's "make out the invoice": its number is there to quote at once.
            order = await issue_invoice(connection, actor, order)
            await tell_invoiced(connection, order, base_url)
            return await _view(connection, order)
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name != "renewal_lines_open_serial_key":
            raise
    # Another order took one of these serials between our look-up and our insert: name them.
    async with pool.acquire() as connection:
        again = await price_serials(
            connection, vendor_id, lines, [], months=months, early_percent=early_percent
        )
    raise SerialsNotRenewable([item.to_json() for item in again.refused])
