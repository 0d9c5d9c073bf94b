"""Terms and prices: staff edit the price list, subscription prices and tiers; a vendor reads
its terms; staff assign a vendor's tier and record a prepayment invoice's payment."""

from __future__ import annotations

import re

import asyncpg
from aiohttp.test_utils import TestClient

from activation_server.settings import Settings
from tests.vendor_portal.pages.test_vendor_pages import _staff, _vendor


async def test_staff_edit_prices_and_tiers_and_the_vendor_reads_its_terms(
    client: TestClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    vendor = await _vendor(client, pool, settings)
    staff = await _staff(client, pool, settings)
    try:
        page = await staff.get("/portal/prices")
        assert 'data-test="edit-unit-price"' in page
        saved = await staff.post(
            "/portal/prices/unit", {"license_type": "SP1", "unit_price": "250.00"}
        )
        assert "The price list is saved." in saved and "RUB 250.00" in saved
        saved = await staff.post(
            "/portal/prices/subscription",
            {
                "license_type": "SP3",
                "product": "",
                "update_first": "120.00",
                "update_renewal": "100.00",
                "term_month": "9.99",
            },
        )
        assert "RUB 9.99" in saved
        refused = await staff.post(
            "/portal/prices/subscription",
            {"license_type": "SP3", "update_first": "-1", "update_renewal": "1", "term_month": "1"},
            status=422,
        )
        assert 'data-test="form-error"' in refused
        refused = await staff.post(
            "/portal/prices/tier",
            {"code": "Gold!", "name": "G", "discount_percent": "10"},
            status=422,
        )
        await staff.post(
            "/portal/prices/tier",
            {"code": "platinum", "name": "Platinum", "discount_percent": "40"},
        )
        async with pool.acquire() as connection:
            vendor_id = await connection.fetchval("SELECT id FROM vendors WHERE name = 'Vendor A'")
            prices = await connection.fetchrow(
                "SELECT update_first, update_renewal, term_month FROM subscription_prices "
                "WHERE license_type = 'SP3' AND product_id IS NULL"
            )
        assert tuple(prices) == (12000, 10000, 999)
        card = await staff.post(f"/portal/staff/vendors/{vendor_id}/tier", {"tier": "platinum"})
        assert "The partner status is saved" in card

        terms = await vendor.get("/portal/prices")
        assert "Platinum, 40 % off the list prices" in terms
        assert 'data-test="edit-unit-price"' not in terms
        forbidden = await vendor.post("/portal/prices/unit", {"license_type": "SP1"}, status=404)
        assert forbidden

        # The vendor requests a prepayment invoice; staff record its payment on the card.
        requested = await vendor.post("/portal/balance", {"amount": "300"})
        number = re.search(r"Prepayment invoice No\. (\d+)", requested).group(1)
        paid = await staff.post(
            f"/portal/staff/vendors/{vendor_id}/prepayment",
            {"invoice_number": number, "prepayment_reference": "BANK-PP-9"},
        )
        assert f"Prepayment invoice No. {number} is paid." in paid
        assert 'data-test="vendor-balance">RUB 300.00' in paid
    finally:
        await staff.client.close()  # type: ignore[union-attr]


async def test_the_order_dialog_asks_for_a_term_and_an_update_subscription(
    client: TestClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    vendor = await _vendor(client, pool, settings)
    await vendor.post(
        "/portal/products/new", {"code": "ACME", "name": "Acme", "features": "export"}
    )
    dialog = await vendor.get("/portal/orders/new")
    assert 'data-test="order-terms"' in dialog
    values = {"product": "ACME", "qty_SP1": "2", "term_months": "12", "updates_months": "12"}
    confirm = await vendor.post("/portal/orders/new", {"action": "review", **values})
    assert "term license, 12 months" in confirm and "update subscription, 12 months" in confirm
    async with pool.acquire() as connection:
        prices = await connection.fetchrow(
            "SELECT term_month, update_first FROM subscription_prices "
            "WHERE license_type = 'SP1' AND product_id IS NULL"
        )
    unit = prices["term_month"] * 12 + prices["update_first"]
    assert f"RUB {unit * 2 / 100:,.2f}" in confirm
    placed = await vendor.post("/portal/orders/new", {"action": "submit", **values})
    assert "is placed" in placed
    async with pool.acquire() as connection:
        line = await connection.fetchrow(
            "SELECT term_months, updates_months, unit_price FROM order_lines"
        )
    assert tuple(line) == (12, 12, unit)
    refused = await vendor.post(
        "/portal/orders/new", {"action": "review", **values, "term_months": "-3"}, status=422
    )
    assert 'data-test="form-error"' in refused
