"""Renewal orders from uploaded serial numbers (seed 001): check and price each line, lock the
ordered serials, extend them once on payment."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from tests.conftest import fingerprint
from tests.vendor_portal.helpers import ok, pay, product
from tests.vendor_portal.renewals.test_subscriptions import price_list, subscription_price, top_up
from vendor_portal.renewals.service import MAX_UPLOAD_LINES


async def own_serials(factory: Any, vendor: Any, count: int, license_type: str = "SP1") -> list:
    record = await factory.product("ACME", vendor_id=vendor.vendor_id)
    assert record.vendor_id == vendor.vendor_id
    return await factory.serials(license_type, count, product="ACME")


async def set_serial(pool: asyncpg.Pool, serial: str, **columns: Any) -> None:
    async with pool.acquire() as connection:
        for name, value in columns.items():
            assert name in ("updates_until", "valid_until", "status")
            await connection.execute(
                f"UPDATE serials SET {name} = $2 WHERE serial = $1", serial, value
            )


async def ends(pool: asyncpg.Pool, serials: list[str]) -> dict[str, tuple]:
    async with pool.acquire() as connection:
        rows = await connection.fetch(
            "SELECT serial, updates_until, valid_until FROM serials WHERE serial = ANY($1)",
            serials,
        )
    return {row["serial"]: (row["updates_until"], row["valid_until"]) for row in rows}


async def db_now(pool: asyncpg.Pool) -> datetime:
    async with pool.acquire() as connection:
        return await connection.fetchval("SELECT now()")


async def quote(client: Any, account: Any, text: str, **query: Any) -> Any:
    return await client.post(
        "/v1/renewals/quote",
        data=text.encode(),
        headers={**account.headers, "Content-Type": "text/plain"},
        params=query,
    )


async def order(client: Any, account: Any, serials: list[str]) -> Any:
    return await client.post("/v1/renewals", json={"serials": serials}, headers=account.headers)


def typo(serial: str) -> str:
    last = serial[-1]
    return serial[:-1] + ("0" if last != "0" else "1")


async def test_upload_checks_each_line_prices_the_rest_and_names_the_reasons(
    client, pool, factory, staff, vendor, other_vendor
):
    await product(client, vendor)
    running, ended, never, term = await own_serials(factory, vendor, 4)
    blocked = (await own_serials(factory, vendor, 1))[0]
    trial = (await factory.serials("TRIAL30K", 1, product="ACME"))[0]
    await product(client, other_vendor, "OTHER")
    foreign = (await factory.serials("SP1", 1, product="OTHER"))[0]
    now = await db_now(pool)
    await set_serial(pool, running, updates_until=now + timedelta(days=40))
    await set_serial(pool, ended, updates_until=now - timedelta(days=3))
    await set_serial(pool, term, valid_until=now + timedelta(days=10))
    await set_serial(pool, blocked, status="blocked")
    unknown = "ZZZZZ-ZZZZZ-ZZZZZ-ZZZZK"
    upload = "\n".join(
        [
            "serial,comment",
            f"{running},shop 1",
            f'"{ended.lower()}";shop 2',
            "",
            never.replace("-", ""),
            f"{term}\tshop 4",
            typo(running),
            unknown,
            foreign,
            blocked,
            trial,
            running,
        ]
    )
    body = await ok(await quote(client, vendor, upload))
    prices = await price_list(client, vendor)
    sub = subscription_price(prices, "SP1")
    early = prices["early_renewal_percent"]
    assert early == 20
    partner = prices["discount_percent"]

    by_serial = {item["serial"]: item for item in body["items"]}
    assert list(by_serial) == [running, ended, never, term]
    assert by_serial[running]["running"] is True
    assert by_serial[running]["discount_percent"] == partner + early
    assert by_serial[running]["list_price"] == sub["update_renewal"]
    assert by_serial[ended]["running"] is False
    assert by_serial[ended]["discount_percent"] == partner
    assert by_serial[never]["list_price"] == sub["update_first"]
    assert by_serial[never]["previous_end"] is None
    assert by_serial[term]["kind"] == "term"
    assert by_serial[term]["list_price"] == sub["term_month"] * 12
    for item in body["items"]:
        expected = item["list_price"] - (item["list_price"] * item["discount_percent"] + 50) // 100
        assert item["amount"] == expected
    assert body["total"] == sum(item["amount"] for item in body["items"])

    reasons = [(item["line"], item["reason"]) for item in body["refused"]]
    assert reasons == [
        (7, "malformed"),
        (8, "not_found"),
        (9, "not_found"),  # another vendor's serial is indistinguishable from an unknown one
        (10, "blocked"),
        (11, "trial"),
        (12, "duplicate"),
    ]
    assert all(item["message"] for item in body["refused"])


async def test_partner_tier_and_early_renewal_discounts_add_up(
    client, pool, factory, staff, vendor
):
    await product(client, vendor)
    running, ended = await own_serials(factory, vendor, 2)
    now = await db_now(pool)
    await set_serial(pool, running, updates_until=now + timedelta(days=5))
    await set_serial(pool, ended, updates_until=now - timedelta(days=5))
    await ok(
        await client.put(
            "/v1/partner-tiers/gold",
            json={"name": "Gold partner", "discount_percent": 30},
            headers=staff.headers,
        )
    )
    await ok(
        await client.put(
            f"/v1/vendors/{vendor.vendor_id}/partner-tier",
            json={"tier": "gold"},
            headers=staff.headers,
        )
    )
    body = await ok(await quote(client, vendor, f"{running}\n{ended}"))
    percents = {item["serial"]: item["discount_percent"] for item in body["items"]}
    # The seed: 30 % partner status plus 20 % while the subscription runs = 50 % off the list.
    assert percents == {running: 50, ended: 30}
    prices = await price_list(client, vendor)
    assert prices["partner_tier"] == "gold" and prices["discount_percent"] == 30

    # A tier's discount changed by staff reaches its vendors' prices.
    await ok(
        await client.put(
            "/v1/partner-tiers/gold",
            json={"name": "Gold partner", "discount_percent": 35},
            headers=staff.headers,
        )
    )
    body = await ok(await quote(client, vendor, running))
    assert body["items"][0]["discount_percent"] == 55
    refused = await client.put(
        "/v1/partner-tiers/gold",
        json={"name": "Gold", "discount_percent": 101},
        headers=staff.headers,
    )
    assert refused.status == 400
    forbidden = await client.put(
        f"/v1/vendors/{vendor.vendor_id}/partner-tier",
        json={"tier": "gold"},
        headers=vendor.headers,
    )
    assert forbidden.status == 403


async def test_ordered_serials_are_locked_until_paid_or_cancelled(
    client, pool, factory, staff, vendor
):
    await product(client, vendor)
    first, second = await own_serials(factory, vendor, 2)
    placed = await ok(await order(client, vendor, [first]), 201)
    assert placed["kind"] == "renewal" and placed["status"] == "invoiced"
    assert placed["invoice_number"] is not None
    assert [line["serial"] for line in placed["renewals"]] == [first]

    body = await ok(await quote(client, vendor, f"{first}\n{second}"))
    assert [item["serial"] for item in body["items"]] == [second]
    locked = body["refused"][0]
    assert (locked["reason"], locked["order_number"]) == ("locked", placed["number"])

    again = await order(client, vendor, [first, second])
    refusal = await again.json()
    assert again.status == 409
    assert refusal["error"]["code"] == "SERIALS_NOT_RENEWABLE"
    assert [item["serial"] for item in refusal["error"]["refused"]] == [first]

    # The partner deletes its unpaid invoice: the serial is free again.
    await ok(await client.post(f"/v1/orders/{placed['id']}/cancel", headers=vendor.headers))
    replaced = await ok(await order(client, vendor, [first, second]), 201)
    assert replaced["quantity"] == 2

    # Paid: the lock is released, and the paid order can no longer be cancelled.
    await ok(await pay(client, staff, replaced["id"], "BANK-RENEW-1"), 201)
    cancel = await client.post(f"/v1/orders/{replaced['id']}/cancel", headers=vendor.headers)
    assert cancel.status == 409
    body = await ok(await quote(client, vendor, first))
    assert [item["serial"] for item in body["items"]] == [first]


async def test_payment_extends_from_the_previous_end_or_from_payment_and_only_once(
    client, pool, factory, staff, vendor
):
    await product(client, vendor)
    running, ended, never, term = await own_serials(factory, vendor, 4)
    now = await db_now(pool)
    running_end = now + timedelta(days=40)
    term_end = now + timedelta(days=10)
    await set_serial(pool, running, updates_until=running_end)
    await set_serial(pool, ended, updates_until=now - timedelta(days=30))
    await set_serial(pool, term, valid_until=term_end)
    # A machine runs the term serial before the renewal.
    first = await ok(
        await client.post("/v1/activations", json={"serial": term, "fingerprint": fingerprint(9)}),
        201,
    )

    placed = await ok(await order(client, vendor, [running, ended, never, term]), 201)
    paid = await ok(await pay(client, staff, placed["id"], "BANK-RENEW-2"), 201)
    assert paid["status"] == "fulfilled"
    fulfilled_at = datetime.fromisoformat(paid["fulfilled_at"])

    after = await ends(pool, [running, ended, never, term])

    def year_after(start: datetime) -> tuple[int, int]:
        return (start.year + 1, start.month)

    assert after[running][0] > running_end
    assert (after[running][0].year, after[running][0].month) == year_after(running_end)
    assert after[running][0].day == running_end.day
    for serial in (ended, never):
        end = after[serial][0]
        assert 365 <= (end - fulfilled_at).days <= 366
        assert end - fulfilled_at - timedelta(days=(end - fulfilled_at).days) < timedelta(seconds=5)
    assert after[term][1] > term_end and after[term][0] is None
    assert [line["new_end"] is not None for line in paid["renewals"]] == [True] * 4

    # Recording the payment again changes nothing; neither does any later payment.
    repeat = await pay(client, staff, placed["id"], "BANK-RENEW-2")
    assert repeat.status == 200
    other = await pay(client, staff, placed["id"], "BANK-RENEW-3")
    assert other.status == 409
    assert await ends(pool, [running, ended, never, term]) == after

    # The renewed term reaches the machine at its next re-activation.
    again = await ok(
        await client.post("/v1/activations", json={"serial": term, "fingerprint": fingerprint(9)})
    )
    assert again["activation_id"] == first["activation_id"]
    assert datetime.fromisoformat(again["expires_at"]) > datetime.fromisoformat(first["expires_at"])


async def test_paid_from_the_balance_at_once_with_a_ledger_entry(
    client, pool, factory, staff, vendor
):
    await product(client, vendor)
    (serial,) = await own_serials(factory, vendor, 1)
    placed = await ok(await order(client, vendor, [serial]), 201)
    short = await client.post(
        f"/v1/orders/{placed['id']}/payments", json={"method": "balance"}, headers=vendor.headers
    )
    assert short.status == 409
    assert (await short.json())["error"]["code"] == "INSUFFICIENT_BALANCE"
    await top_up(client, staff, vendor, placed["total"] + 500, "TOPUP-RENEW")
    paid = await ok(
        await client.post(
            f"/v1/orders/{placed['id']}/payments",
            json={"method": "balance"},
            headers=vendor.headers,
        ),
        201,
    )
    assert paid["status"] == "fulfilled"
    balance = await ok(await client.get("/v1/balance", headers=vendor.headers))
    assert balance["balance"] == 500
    latest = balance["ledger"][0]
    assert (latest["kind"], latest["amount"], latest["order_id"]) == (
        "order_payment",
        -placed["total"],
        placed["id"],
    )
    assert (await ends(pool, [serial]))[serial][0] is not None


async def test_concurrent_renewal_orders_for_one_serial_exactly_one_wins(client, factory, vendor):
    await product(client, vendor)
    shared, *others = await own_serials(factory, vendor, 9)
    answers = await asyncio.gather(*(order(client, vendor, [shared, other]) for other in others))
    statuses = sorted(answer.status for answer in answers)
    assert statuses == [201] + [409] * (len(others) - 1)


async def test_an_upload_too_large_is_a_clear_size_error(client, factory, vendor):
    await product(client, vendor)
    (serial,) = await own_serials(factory, vendor, 1)
    huge = "\n".join([serial] * 100_000)
    answer = await quote(client, vendor, huge)
    body = await answer.json()
    assert answer.status == 413
    assert f"{MAX_UPLOAD_LINES:,}" in body["error"]["message"]
    # Under the byte limit but over the line limit.
    many_lines = "\n" * (MAX_UPLOAD_LINES + 1) + serial
    answer = await quote(client, vendor, many_lines)
    assert answer.status == 413
    empty = await quote(client, vendor, "\n\n")
    assert empty.status == 400


async def test_another_vendor_cannot_renew_or_see_a_serial(client, factory, vendor, other_vendor):
    await product(client, vendor)
    (serial,) = await own_serials(factory, vendor, 1)
    body = await ok(await quote(client, other_vendor, serial))
    assert [item["reason"] for item in body["refused"]] == ["not_found"]
    answer = await order(client, other_vendor, [serial])
    assert answer.status == 409
    assert (await answer.json())["error"]["refused"][0]["reason"] == "not_found"
