"""Orders: placed → invoiced → fulfilled, or cancelled (DESIGN.md §4).

    placed ──invoice (staff)──▶ invoiced ──payments cover the total──▶ fulfilled
      │                            │
      └──cancel (vendor, staff)    └──cancel (staff; payments so far go to the balance)
                 ▼                            ▼
             cancelled                    cancelled

``fulfilled`` and ``cancelled`` are final. Every transition locks the order's row first, so
transitions of one order run one at a time: of two payments arriving together, the second sees
the order fulfilled. Fulfilment creates the serials in the transaction of the status change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import asyncpg

from activation_server.errors import InvalidRequest
from vendor_portal.accounts import queries as accounts
from vendor_portal.actor import Actor, iso
from vendor_portal.audit import queries as audit
from vendor_portal.balances import queries as balances
from vendor_portal.documents import queries as documents
from vendor_portal.errors import (
    InsufficientBalance,
    OrderNotFound,
    OrderStateConflict,
    PaymentReferenceUsed,
    ProductNotFound,
    VendorNotFound,
)
from vendor_portal.mail import notices
from vendor_portal.orders import queries
from vendor_portal.orders.fulfilment import issue_order_serials
from vendor_portal.orders.queries import NewLine, Order, OrderEvent, OrderLine, Payment
from vendor_portal.pricing import queries as pricing
from vendor_portal.pricing.service import discount_of, line_unit_price, subscription_book
from vendor_portal.products import queries as products
from vendor_portal.renewals import queries as renewal_queries
from vendor_portal.renewals.queries import RenewalLine

STATUSES = ("placed", "invoiced", "fulfilled", "cancelled")
MAX_LINES = 50
MAX_LINE_QUANTITY = 100_000
MAX_ORDER_QUANTITY = 100_000
MAX_TERM_MONTHS = 120
PAYMENT_METHODS = ("transfer", "balance")


@dataclass(frozen=True)
class LineRequest:
    product: str
    license_type: str
    quantity: int
    features: list[str] | None = None
    # A term license (months until the serials stop working) and an initial update
    # subscription (months of versions the serials may run), both counted from fulfilment.
    term_months: int | None = None
    updates_months: int | None = None


@dataclass(frozen=True)
class OrderView:
    order: Order
    lines: list[OrderLine]
    history: list[OrderEvent] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    renewals: list[RenewalLine] = field(default_factory=list)
    # How many serials a renewal order renews (its lines are loaded only in detail).
    renewal_count: int = 0

    @property
    def quantity(self) -> int:
        if self.order.kind == "renewal":
            return max(self.renewal_count, len(self.renewals))
        return sum(line.quantity for line in self.lines)

    def to_json(self, detail: bool = False) -> dict[str, Any]:
        order = self.order
        body: dict[str, Any] = {
            "id": order.id,
            "number": order.number,
            "vendor_id": order.vendor_id,
            "status": order.status,
            "kind": order.kind,
            "currency": order.currency,
            "lines": [
                {
                    "product": line.product,
                    "license_type": line.license_type,
                    "quantity": line.quantity,
                    "features": list(line.features),
                    "unit_price": line.unit_price,
                    "amount": line.amount,
                    "term_months": line.term_months,
                    "updates_months": line.updates_months,
                }
                for line in self.lines
            ],
            "quantity": self.quantity,
            "subtotal": order.subtotal,
            "discount_percent": order.discount_percent,
            "discount": order.discount,
            "total": order.total,
            "paid": order.paid,
            "due": order.due,
            "invoice_number": order.invoice_number,
            "act_number": order.act_number,
            "created_at": iso(order.created_at),
            "updated_at": iso(order.updated_at),
            "invoiced_at": iso(order.invoiced_at),
            "fulfilled_at": iso(order.fulfilled_at),
            "cancelled_at": iso(order.cancelled_at),
        }
        if detail:
            body["history"] = [
                {
                    "at": iso(event.at),
                    "actor": event.actor,
                    "from": event.from_status,
                    "to": event.to_status,
                    "note": event.note,
                }
                for event in self.history
            ]
            body["payments"] = [
                {
                    "reference": payment.reference,
                    "method": payment.method,
                    "amount": payment.amount,
                    "at": iso(payment.created_at),
                }
                for payment in self.payments
            ]
            if order.kind == "renewal":
                body["renewals"] = [
                    {
                        "serial": line.serial,
                        "product": line.product,
                        "license_type": line.license_type,
                        "kind": line.kind,
                        "months": line.months,
                        "previous_end": iso(line.previous_end),
                        "list_price": line.list_price,
                        "discount_percent": line.discount_percent,
                        "amount": line.amount,
                        "new_end": iso(line.new_end),
                    }
                    for line in self.renewals
                ]
        return body


# --- reading -------------------------------------------------------------------------------


async def _view(connection: asyncpg.Connection, order: Order, detail: bool = True) -> OrderView:
    lines = await queries.lines(connection, [order.id])
    if not detail:
        return OrderView(order, lines)
    renewals = await renewal_queries.lines(connection, order.id) if order.kind == "renewal" else []
    return OrderView(
        order,
        lines,
        await queries.events(connection, order.id),
        await queries.payments(connection, order.id),
        renewals,
        len(renewals),
    )


async def _visible(
    connection: asyncpg.Connection, actor: Actor, order_id: int, *, lock: bool
) -> Order:
    order = await (queries.lock_order if lock else queries.order)(connection, order_id)
    if order is None or not actor.may_see(order.vendor_id):
        raise OrderNotFound()
    return order


async def get_order(pool: asyncpg.Pool, actor: Actor, order_id: int) -> OrderView:
    async with pool.acquire() as connection:
        return await _view(connection, await _visible(connection, actor, order_id, lock=False))


async def list_orders(
    pool: asyncpg.Pool,
    actor: Actor,
    *,
    status: str | None = None,
    vendor_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[OrderView]:
    """Newest first."""
    async with pool.acquire() as connection:
        return await _list(connection, actor.scoped(vendor_id), status, limit, offset)


async def page_orders(
    pool: asyncpg.Pool,
    actor: Actor,
    *,
    status: str | None,
    vendor_id: int | None,
    limit: int,
    offset: int,
) -> tuple[list[OrderView], int]:
    """A page of :func:`list_orders` and how many orders the filters match in all."""
    vendor_id = actor.scoped(vendor_id)
    async with pool.acquire() as connection:
        found = await _list(connection, vendor_id, status, limit, offset)
        return found, await queries.count_orders(connection, vendor_id=vendor_id, status=status)


async def _list(
    connection: asyncpg.Connection,
    vendor_id: int | None,
    status: str | None,
    limit: int,
    offset: int,
) -> list[OrderView]:
    found = await queries.orders(
        connection, vendor_id=vendor_id, status=status, limit=limit, offset=offset
    )
    by_order: dict[int, list[OrderLine]] = {order.id: [] for order in found}
    for line in await queries.lines(connection, list(by_order)):
        by_order[line.order_id].append(line)
    renewing = [order.id for order in found if order.kind == "renewal"]
    counts = await renewal_queries.line_counts(connection, renewing) if renewing else {}
    return [
        OrderView(order, by_order[order.id], renewal_count=counts.get(order.id, 0))
        for order in found
    ]


# --- placing and editing -------------------------------------------------------------------


async def _priced_lines(
    connection: asyncpg.Connection, vendor_id: int, requests: list[LineRequest]
) -> tuple[list[NewLine], str]:
    if not requests:
        raise InvalidRequest("An order needs at least one line.")
    if len(requests) > MAX_LINES:
        raise InvalidRequest(f"An order has at most {MAX_LINES} lines.")
    if sum(line.quantity for line in requests) > MAX_ORDER_QUANTITY:
        raise InvalidRequest(f"An order has at most {MAX_ORDER_QUANTITY} serials.")
    prices = {price.license_type: price for price in await pricing.prices(connection)}
    codes = sorted({line.product for line in requests})
    catalog = {p.code: p for p in await products.products_by_codes(connection, vendor_id, codes)}
    book = await subscription_book(connection, [p.id for p in catalog.values()])
    priced: list[NewLine] = []
    currencies: set[str] = set()
    for number, line in enumerate(requests, start=1):
        product = catalog.get(line.product)
        # Another vendor's product is "no such product", as everywhere.
        if product is None or product.vendor_id != vendor_id:
            raise ProductNotFound(f"Line {number}: no such product: {line.product!r}.")
        price = prices.get(line.license_type)
        if price is None:
            raise InvalidRequest(
                f"Line {number}: unknown license type {line.license_type[:20]!r}; "
                f"one of {', '.join(prices)}."
            )
        features = sorted(set(product.features if line.features is None else line.features))
        unknown = sorted(set(features) - set(product.features))
        if unknown:
            raise InvalidRequest(
                f"Line {number}: product {product.code} has no feature(s) {', '.join(unknown)}."
            )
        if (line.term_months or line.updates_months) and price.kind == "trial":
            raise InvalidRequest(f"Line {number}: a trial has no term or update subscription.")
        unit_price = line_unit_price(
            price.unit_price,
            book.find(line.license_type, product.id),
            term_months=line.term_months,
            updates_months=line.updates_months,
        )
        if unit_price is None:
            raise InvalidRequest(
                f"Line {number}: the price list has no term or subscription price for "
                f"{line.license_type}."
            )
        currencies.add(price.currency)
        priced.append(
            NewLine(
                product.id,
                line.license_type,
                line.quantity,
                features,
                unit_price,
                line.term_months,
                line.updates_months,
            )
        )
    if len(currencies) != 1:
        raise InvalidRequest("The price list mixes currencies; an order needs one.")
    return priced, currencies.pop()


async def place_order(
    pool: asyncpg.Pool, actor: Actor, lines: list[LineRequest], vendor_id: int | None = None
) -> OrderView:
    """A new order in status placed, priced from the price list and the vendor's discount."""
    if actor.is_staff:
        if vendor_id is None:
            raise InvalidRequest("Staff name the company: the field 'vendor_id' is required.")
    else:
        vendor_id = actor.vendor_id
    assert vendor_id is not None
    async with pool.acquire() as connection, connection.transaction():
        vendor = await accounts.vendor(connection, vendor_id)
        if vendor is None:
            raise VendorNotFound()
        priced, currency = await _priced_lines(connection, vendor_id, lines)
        subtotal = sum(line.amount for line in priced)
        order = await queries.insert_order(
            connection,
            number=await queries.next_number(connection, "order"),
            vendor_id=vendor_id,
            currency=currency,
            discount_percent=vendor.discount_percent,
            subtotal=subtotal,
            discount=discount_of(subtotal, vendor.discount_percent),
            created_by=actor.user_id,
        )
        await queries.insert_lines(connection, order.id, priced)
        await record_placed(connection, actor, order)
        return await _view(connection, order)


async def update_order(
    pool: asyncpg.Pool, actor: Actor, order_id: int, lines: list[LineRequest]
) -> OrderView:
    """Replaces the lines of a placed order and prices it anew."""
    async with pool.acquire() as connection, connection.transaction():
        order = await _visible(connection, actor, order_id, lock=True)
        if not order.may("change", staff=actor.is_staff):
            if order.status != "placed":
                raise OrderStateConflict(order.status, "changed")
            raise InvalidRequest("A renewal order is not changed: cancel it and place another.")
        vendor = await accounts.vendor(connection, order.vendor_id)
        assert vendor is not None
        priced, currency = await _priced_lines(connection, order.vendor_id, lines)
        await queries.delete_lines(connection, order.id)
        await queries.insert_lines(connection, order.id, priced)
        subtotal = sum(line.amount for line in priced)
        order = await queries.update_totals(
            connection,
            order.id,
            currency=currency,
            discount_percent=vendor.discount_percent,
            subtotal=subtotal,
            discount=discount_of(subtotal, vendor.discount_percent),
        )
        await audit.record(
            connection,
            actor,
            "order.changed",
            vendor_id=order.vendor_id,
            subject=f"order:{order.id}",
            details={"total": order.total},
        )
        return await _view(connection, order)


# --- transitions ---------------------------------------------------------------------------


async def _transition_event(
    connection: asyncpg.Connection,
    actor: Actor,
    order: Order,
    from_status: str | None,
    to_status: str,
    note: str | None = None,
) -> None:
    await queries.insert_event(
        connection,
        order.id,
        actor=actor.name,
        user_id=actor.user_id,
        from_status=from_status,
        to_status=to_status,
        note=note,
    )


async def record_placed(
    connection: asyncpg.Connection, actor: Actor, order: Order, **details: Any
) -> None:
    """The history's first event and the audit row of a new order."""
    await _transition_event(connection, actor, order, None, "placed")
    await audit.record(
        connection,
        actor,
        "order.placed",
        vendor_id=order.vendor_id,
        subject=f"order:{order.id}",
        details={"number": order.number, "total": order.total, **details},
    )


async def _fulfil(
    connection: asyncpg.Connection,
    actor: Actor,
    order: Order,
    trial_days: int,
    base_url: str = "",
) -> Order:
    details: dict[str, Any]
    if order.kind == "renewal":
        count = await renewal_queries.extend(connection, order.id)
        details = {"renewed": count}
    else:
        lines = await queries.lines(connection, [order.id])
        count = await issue_order_serials(connection, lines, trial_days)
        details = {"serials": count}
    # Every fulfilled order has its delivery act, numbered when the order is fulfilled.
    details["act_number"] = await documents.take_act_number(connection, order.id)
    fulfilled = await queries.set_status(connection, order.id, "fulfilled")
    await _transition_event(connection, actor, order, order.status, "fulfilled")
    await audit.record(
        connection,
        actor,
        "order.fulfilled",
        vendor_id=order.vendor_id,
        subject=f"order:{order.id}",
        details=details,
    )
    await notices.order_fulfilled(
        connection,
        vendor_id=order.vendor_id,
        order_id=order.id,
        order_number=order.number,
        kind=order.kind,
        count=count,
        base_url=base_url,
    )
    return fulfilled


async def tell_invoiced(connection: asyncpg.Connection, order: Order, base_url: str) -> None:
    """The invoice's mail, for an order that stays invoiced (one paid at once gets none)."""
    assert order.invoice_number is not None
    await notices.order_invoiced(
        connection,
        vendor_id=order.vendor_id,
        order_id=order.id,
        order_number=order.number,
        invoice_number=order.invoice_number,
        amount=order.due,
        currency=order.currency,
        base_url=base_url,
    )


async def issue_invoice(connection: asyncpg.Connection, actor: Actor, order: Order) -> Order:
    """The next invoice number for a placed order whose row the caller holds locked."""
    number = await queries.next_number(connection, "invoice")
    invoiced = await queries.set_status(connection, order.id, "invoiced", number)
    await _transition_event(connection, actor, order, "placed", "invoiced")
    await audit.record(
        connection,
        actor,
        "order.invoiced",
        vendor_id=order.vendor_id,
        subject=f"order:{order.id}",
        details={"invoice_number": number, "amount": order.total},
    )
    return invoiced


async def invoice_order(
    pool: asyncpg.Pool,
    actor: Actor,
    order_id: int,
    *,
    trial_days: int = 30,
    base_url: str = "",
) -> OrderView:
    """Staff issue the invoice: the next invoice number, the order's total as its amount.
    An order that costs nothing (a full discount) is fulfilled at once."""
    actor.require_staff()
    async with pool.acquire() as connection, connection.transaction():
        order = await _visible(connection, actor, order_id, lock=True)
        if not order.may("invoice", staff=True):
            raise OrderStateConflict(order.status, "invoiced")
        invoiced = await issue_invoice(connection, actor, order)
        if invoiced.total == 0:
            invoiced = await _fulfil(connection, actor, invoiced, trial_days, base_url)
        else:
            await tell_invoiced(connection, invoiced, base_url)
        return await _view(connection, invoiced)


async def record_payment(
    pool: asyncpg.Pool,
    actor: Actor,
    order_id: int,
    *,
    method: str,
    reference: str | None = None,
    amount: int | None = None,
    trial_days: int = 30,
    base_url: str = "",
) -> tuple[OrderView, bool]:
    """Records a payment of an invoiced order; returns the order and whether anything changed.

    Staff record bank transfers (by the bank's reference); the vendor, or staff for it, pay
    from the prepaid balance. A reference recorded before changes nothing. When the payments
    cover the total the order is fulfilled in the same transaction; an overpayment goes to the
    balance.
    """
    if method == "transfer":
        actor.require_staff()
        if reference is None:
            raise InvalidRequest("A transfer needs the bank's 'reference'.")
    elif method == "balance":
        if amount is not None:
            raise InvalidRequest("A payment from the balance pays the amount due: omit 'amount'.")
        # One balance payment per order, so a repeated request is recognised as a repeat. The
        # reference lives under the order's own name, so that a vendor cannot ask whether some
        # other order (another vendor's) was paid with a reference of its choice.
        own = f"balance:order:{order_id}"
        reference = own if reference is None else f"{own}:{reference}"
    else:
        raise InvalidRequest(f"The field 'method' must be one of: {', '.join(PAYMENT_METHODS)}.")
    assert reference is not None
    try:
        async with pool.acquire() as connection, connection.transaction():
            order = await _visible(connection, actor, order_id, lock=True)
            previous = await queries.payment_by_reference(connection, reference)
            if previous is not None:
                if previous.order_id != order.id:
                    raise PaymentReferenceUsed()
                return await _view(connection, order), False
            if method == "balance" and order.status == "placed":
                # Paying a placed order from the balance needs no staff: the invoice is issued
                # and paid, and the order fulfilled, in this one transaction.
                order = await issue_invoice(connection, actor, order)
            if not order.may("pay", staff=actor.is_staff):
                raise OrderStateConflict(order.status, "paid")
            due = order.due
            if due == 0:
                order = await _fulfil(connection, actor, order, trial_days, base_url)
                return await _view(connection, order), True
            if method == "balance":
                amount = due
                entry = await balances.move(
                    connection,
                    vendor_id=order.vendor_id,
                    kind="order_payment",
                    amount=-due,
                    order_id=order.id,
                    reference=reference,
                    user_id=actor.user_id,
                )
                if entry is None:
                    current = await balances.balance(connection, order.vendor_id)
                    raise InsufficientBalance(current or 0, due)
            amount = due if amount is None else amount
            await queries.insert_payment(
                connection,
                order_id=order.id,
                reference=reference,
                method=method,
                amount=amount,
                recorded_by=actor.user_id,
            )
            order = await queries.add_paid(connection, order.id, amount)
            await audit.record(
                connection,
                actor,
                "order.payment_recorded",
                vendor_id=order.vendor_id,
                subject=f"order:{order.id}",
                details={"reference": reference, "method": method, "amount": amount},
            )
            if order.paid >= order.total:
                excess = order.paid - order.total
                if excess > 0:
                    await balances.move(
                        connection,
                        vendor_id=order.vendor_id,
                        kind="overpayment",
                        amount=excess,
                        order_id=order.id,
                        reference=reference,
                        user_id=actor.user_id,
                    )
                order = await _fulfil(connection, actor, order, trial_days, base_url)
            return await _view(connection, order), True
    except asyncpg.UniqueViolationError as exc:
        # Recorded for another order by a request that committed between our check and insert.
        if exc.constraint_name == "payments_reference_key":
            raise PaymentReferenceUsed() from None
        raise


async def cancel_order(
    pool: asyncpg.Pool, actor: Actor, order_id: int, reason: str | None = None
) -> OrderView:
    """Vendors cancel their placed orders; staff also invoiced ones, whose payments so far are
    credited to the vendor's balance."""
    async with pool.acquire() as connection, connection.transaction():
        order = await _visible(connection, actor, order_id, lock=True)
        if not order.may("cancel", staff=actor.is_staff):
            raise OrderStateConflict(order.status, "cancelled")
        if order.paid > 0:
            await balances.move(
                connection,
                vendor_id=order.vendor_id,
                kind="refund",
                amount=order.paid,
                order_id=order.id,
                user_id=actor.user_id,
            )
        if order.kind == "renewal":
            # The serials are free for another renewal order again.
            await renewal_queries.close_lines(connection, order.id)
        cancelled = await queries.set_status(connection, order.id, "cancelled")
        await _transition_event(connection, actor, order, order.status, "cancelled", reason)
        await audit.record(
            connection,
            actor,
            "order.cancelled",
            vendor_id=order.vendor_id,
            subject=f"order:{order.id}",
            details={"from": order.status, "reason": reason},
        )
        return await _view(connection, cancelled)
