"""What the portal tells a vendor's people by e-mail when something happened to their orders,
subscriptions or balance: each message in its recipient's language, as plain text, written to
the outbox in the transaction of what it tells (so it is sent if and only if that happened);
the background sender delivers it.

    order invoiced   (the invoice's number, amount, purpose of payment and links)
    order fulfilled  (serials ready)        renewal done (subscriptions extended)
    subscription ending in 30 days          balance topped up
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from vendor_portal.mail import outbox
from vendor_portal.pages import i18n

REMIND_DAYS = 30
# Serials named in one reminder; the rest are counted.
REMIND_LISTED = 50

SELECT_RECIPIENTS = """
SELECT email, language FROM users
WHERE vendor_id = $1 AND role = 'vendor' AND confirmed_at IS NOT NULL ORDER BY id
"""
# Claims the ends to remind of (once per end, whoever runs it), grouped by vendor.
CLAIM_ENDING = """
WITH due AS (
    SELECT s.serial, coalesce(s.valid_until, s.updates_until) AS ends
    FROM serials s
    WHERE s.status = 'active' AND NOT s.trial
      AND coalesce(s.valid_until, s.updates_until) > now()
      AND coalesce(s.valid_until, s.updates_until) <= now() + make_interval(days => $1)
      AND s.reminded_end IS DISTINCT FROM coalesce(s.valid_until, s.updates_until)
    ORDER BY s.serial
    LIMIT $2
    FOR UPDATE SKIP LOCKED
),
claimed AS (
    UPDATE serials s SET reminded_end = d.ends FROM due d WHERE s.serial = d.serial
    RETURNING s.serial, s.product_id, d.ends
)
SELECT p.vendor_id, c.serial, p.code AS product, c.ends
FROM claimed c JOIN products p ON p.id = c.product_id
ORDER BY p.vendor_id, c.ends, c.serial
"""


@dataclass(frozen=True)
class Recipient:
    email: str
    language: str


Compose = Callable[[], tuple[str, str]]


@contextmanager
def _language(language: str) -> Iterator[None]:
    token = i18n.activate(language if language in i18n.LANGUAGE_CODES else i18n.DEFAULT_LANGUAGE)
    try:
        yield
    finally:
        i18n.deactivate(token)


async def recipients(connection: asyncpg.Connection, vendor_id: int) -> list[Recipient]:
    rows = await connection.fetch(SELECT_RECIPIENTS, vendor_id)
    return [Recipient(row["email"], row["language"] or i18n.DEFAULT_LANGUAGE) for row in rows]


async def tell_vendor(connection: asyncpg.Connection, vendor_id: int, compose: Compose) -> int:
    """Writes one message per person of the vendor, composed in that person's language."""
    people = await recipients(connection, vendor_id)
    for person in people:
        with _language(person.language):
            subject, body = compose()
        await outbox.enqueue(
            connection,
            recipient=person.email,
            subject=subject,
            text=body,
            language=person.language,
        )
    return len(people)


def _signature() -> str:
    return "\n\n-- \n" + i18n.gettext("Activation Server")


def _link(base_url: str, path: str) -> str:
    return f"{base_url.rstrip('/')}/portal/{path}"


# --- the messages --------------------------------------------------------------------------


async def order_invoiced(
    connection: asyncpg.Connection,
    *,
    vendor_id: int,
    order_id: int,
    order_number: int,
    invoice_number: int,
    amount: int,
    currency: str,
    base_url: str,
) -> None:
    def compose() -> tuple[str, str]:
        gettext = i18n.gettext
        subject = gettext(
            "Invoice No. %(invoice)s for order No. %(order)s",
            invoice=invoice_number,
            order=order_number,
        )
        body = "\n\n".join(
            [
                gettext(
                    "Invoice No. %(invoice)s is made out for your order No. %(order)s: "
                    "%(amount)s to pay.",
                    invoice=invoice_number,
                    order=order_number,
                    amount=i18n.money(amount, currency),
                ),
                gettext(
                    "Please state “Invoice No. %(invoice)s, order No. %(order)s” as the purpose of "
                    "the payment.",
                    invoice=invoice_number,
                    order=order_number,
                ),
                gettext("The invoice: %(link)s", link=_link(base_url, f"orders/{order_id}/invoice"))
                + "\n"
                + gettext(
                    "As PDF: %(link)s",
                    link=_link(base_url, f"orders/{order_id}/invoice?format=pdf"),
                ),
            ]
        )
        return subject, body + _signature()

    await tell_vendor(connection, vendor_id, compose)


async def order_fulfilled(
    connection: asyncpg.Connection,
    *,
    vendor_id: int,
    order_id: int,
    order_number: int,
    kind: str,
    count: int,
    base_url: str,
) -> None:
    def compose() -> tuple[str, str]:
        gettext = i18n.gettext
        if kind == "renewal":
            subject = gettext("Renewal done: order No. %(order)s", order=order_number)
            text = gettext(
                "Order No. %(order)s is paid: the subscriptions of %(count)s serial numbers are "
                "extended. The machines receive them at their next check-in or activation.",
                order=order_number,
                count=i18n.number(count),
            )
        else:
            subject = gettext("Order No. %(order)s is fulfilled", order=order_number)
            text = gettext(
                "Order No. %(order)s is paid and fulfilled: %(count)s serial numbers are ready.",
                order=order_number,
                count=i18n.number(count),
            )
        body = "\n\n".join(
            [
                text,
                gettext("The order: %(link)s", link=_link(base_url, f"orders/{order_id}"))
                + "\n"
                + gettext(
                    "The delivery act: %(link)s", link=_link(base_url, f"orders/{order_id}/act")
                ),
            ]
        )
        return subject, body + _signature()

    await tell_vendor(connection, vendor_id, compose)


async def balance_topped_up(
    connection: asyncpg.Connection,
    *,
    vendor_id: int,
    amount: int,
    balance: int,
    currency: str,
    base_url: str,
) -> None:
    def compose() -> tuple[str, str]:
        gettext = i18n.gettext
        subject = gettext(
            "Your balance is topped up by %(amount)s", amount=i18n.money(amount, currency)
        )
        body = "\n\n".join(
            [
                gettext(
                    "Your prepaid balance is topped up by %(amount)s and is now %(balance)s. "
                    "Orders can be paid from it at once.",
                    amount=i18n.money(amount, currency),
                    balance=i18n.money(balance, currency),
                ),
                gettext("The balance: %(link)s", link=_link(base_url, "balance")),
            ]
        )
        return subject, body + _signature()

    await tell_vendor(connection, vendor_id, compose)


async def remind_ending(pool: asyncpg.Pool, base_url: str, limit: int = 10_000) -> int:
    """Tells each vendor once about its serials whose subscription or term ends within
    ``REMIND_DAYS`` days; returns how many serials were named."""
    async with pool.acquire() as connection, connection.transaction():
        rows = await connection.fetch(CLAIM_ENDING, REMIND_DAYS, limit)
        by_vendor: dict[int, list[tuple[str, str, datetime]]] = {}
        for row in rows:
            by_vendor.setdefault(row["vendor_id"], []).append(
                (row["serial"], row["product"], row["ends"])
            )
        for vendor_id, ending in by_vendor.items():

            def compose(ending: list[tuple[str, str, datetime]] = ending) -> tuple[str, str]:
                gettext = i18n.gettext
                subject = gettext(
                    "Subscriptions ending within %(days)s days: %(count)s serial numbers",
                    days=REMIND_DAYS,
                    count=len(ending),
                )
                lines = [
                    f"{serial}  {product}  {i18n.day(ends)}"
                    for serial, product, ends in ending[:REMIND_LISTED]
                ]
                if len(ending) > REMIND_LISTED:
                    lines.append(gettext("…and %(count)s more.", count=len(ending) - REMIND_LISTED))
                body = "\n\n".join(
                    [
                        gettext(
                            "These subscriptions end within %(days)s days. Renew them while they "
                            "still run and the renewal costs less:",
                            days=REMIND_DAYS,
                        ),
                        "\n".join(lines),
                        gettext("Renewals: %(link)s", link=_link(base_url, "renewals")),
                    ]
                )
                return subject, body + _signature()

            await tell_vendor(connection, vendor_id, compose)
        return len(rows)
