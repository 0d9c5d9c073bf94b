"""Mail that tells a vendor's people what happened, each in the person's language, written to
the outbox with what it tells: invoiced, fulfilled, renewal done, ending soon, topped up."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import make_account
from tests.vendor_portal.helpers import ok, pay, product
from tests.vendor_portal.renewals.test_renewals import db_now, order, own_serials, set_serial
from tests.vendor_portal.renewals.test_subscriptions import top_up
from vendor_portal.mail import notices


async def outbox(pool, recipient: str) -> list[tuple[str, str]]:
    async with pool.acquire() as connection:
        rows = await connection.fetch(
            "SELECT subject, body FROM outbox WHERE recipient = $1 ORDER BY id", recipient
        )
    return [(row["subject"], row["body"]) for row in rows]


async def test_each_event_is_told_in_the_recipients_language(
    client, pool, settings, factory, staff, vendor
):
    colleague = await make_account(
        client, pool, settings, "ivan@vendor-a.example", company="Vendor A"
    )
    assert colleague.vendor_id == vendor.vendor_id
    async with pool.acquire() as connection:
        await connection.execute(
            "UPDATE users SET language = 'ru' WHERE id = $1", colleague.user_id
        )
    await product(client, vendor)
    first, second = await own_serials(factory, vendor, 2)

    placed = await ok(await order(client, vendor, [first, second]), 201)
    english = await outbox(pool, vendor.email)
    russian = await outbox(pool, colleague.email)
    invoice = placed["invoice_number"]
    assert english[-1][0] == f"Invoice No. {invoice} for order No. {placed['number']}"
    assert russian[-1][0] == f"Счёт №{invoice} по заказу №{placed['number']}"
    assert f"/portal/orders/{placed['id']}/invoice?format=pdf" in english[-1][1]
    assert "назначении платежа" in russian[-1][1]

    await ok(await pay(client, staff, placed["id"], "BANK-N-1"), 201)
    assert (await outbox(pool, vendor.email))[-1][
        0
    ] == f"Renewal done: order No. {placed['number']}"
    assert "2" in (await outbox(pool, colleague.email))[-1][1]

    await top_up(client, staff, vendor, 12345, "TOPUP-N")
    subject, body = (await outbox(pool, colleague.email))[-1]
    assert subject.startswith("Ваш баланс пополнен") and "123,45" in subject
    assert "/portal/balance" in body

    # Ending within 30 days: told once per end.
    now = await db_now(pool)
    await set_serial(pool, first, updates_until=now + timedelta(days=10))
    await set_serial(pool, second, updates_until=now + timedelta(days=45))
    assert await notices.remind_ending(pool, "http://portal.example") == 1
    subject, body = (await outbox(pool, vendor.email))[-1]
    assert "30 days" in subject and first in body and second not in body
    assert await notices.remind_ending(pool, "http://portal.example") == 0
    # A renewal moves the end; the new end is told again when it comes near.
    await set_serial(pool, first, updates_until=now + timedelta(days=20))
    assert await notices.remind_ending(pool, "http://portal.example") == 1
