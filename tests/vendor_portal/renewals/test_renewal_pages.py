"""The renewal pages: upload → priced list → select → order → pay from the balance → extended."""

from __future__ import annotations

import re
from datetime import timedelta

import asyncpg
from aiohttp.test_utils import TestClient

from activation_server.settings import Settings
from tests.conftest import Factory
from tests.vendor_portal.pages.test_vendor_pages import _vendor


async def test_upload_price_select_order_pay_and_see_the_extension(
    client: TestClient, pool: asyncpg.Pool, settings: Settings, factory: Factory
) -> None:
    portal = await _vendor(client, pool, settings)
    async with pool.acquire() as connection:
        vendor_id = await connection.fetchval("SELECT id FROM vendors WHERE name = 'Vendor A'")
    await factory.product("ACME", vendor_id=vendor_id)
    first, second, skipped = await factory.serials("SP1", 3, product="ACME")
    async with pool.acquire() as connection:
        now = await connection.fetchval("SELECT now()")
        await connection.execute(
            "UPDATE serials SET updates_until = $2 WHERE serial = $1", first, now + timedelta(30)
        )

    page = await portal.get("/portal/renewals")
    assert 'data-test="renewal-upload"' in page
    text = f"{first}\n{second}\n{skipped}\nNOT-A-SERIAL"
    priced = await portal.post(
        "/portal/renewals", {"action": "check", "serials": text, "months": "12"}
    )
    assert priced.count('name="serial" value=') == 3
    assert 'data-reason="malformed"' in priced
    assert "running" in priced

    # The vendor unticks one line and makes out the invoice.
    response = await client.post(
        "/portal/renewals",
        data=[
            ("csrf_token", portal.token),
            ("action", "order"),
            ("months", "12"),
            ("serial", first),
            ("serial", second),
        ],
    )
    card = await response.text()
    assert response.status == 200, card[:2000]
    assert 'data-test="renewal-lines"' in card
    assert first in card and second in card and skipped not in card
    order_id = int(re.search(r'action="/portal/orders/(\d+)/cancel"', card).group(1))
    async with pool.acquire() as connection:
        total = await connection.fetchval("SELECT total FROM orders WHERE id = $1", order_id)
        await connection.execute("UPDATE vendors SET balance = $2 WHERE id = $1", vendor_id, total)

    # A second upload sees them locked by this order.
    again = await portal.post("/portal/renewals", {"action": "check", "serials": first})
    assert 'data-reason="locked"' in again

    paid = await portal.post(f"/portal/orders/{order_id}/pay-from-balance", {})
    assert 'data-status="fulfilled"' in paid
    async with pool.acquire() as connection:
        ends = dict(
            await connection.fetch(
                "SELECT serial, updates_until FROM serials WHERE serial = ANY($1)",
                [first, second, skipped],
            )
        )
    assert ends[first] > now + timedelta(days=390)
    assert ends[second] > now + timedelta(days=360) and ends[skipped] is None
    shown = re.findall(r'data-test="new-end">([^<]*)<', paid)
    assert len(shown) == 2 and "—" not in shown
