"""A vendor's and the staff's pages, on the domain functions of the vendor API: products, the
new-order dialog with its confirmation step, the order card, staff invoicing and payments,
serials, group work, the dashboard and the printable documents."""

from __future__ import annotations

import csv
import io
import re

import asyncpg
from aiohttp.test_utils import TestClient

from activation_server.settings import Settings
from tests.conftest import PASSWORD, fingerprint, make_account
from tests.vendor_portal.pages.portal import Portal, field_value


async def _vendor(client: TestClient, pool: asyncpg.Pool, settings: Settings) -> Portal:
    await make_account(client, pool, settings, "alice@vendor-a.example", company="Vendor A")
    portal = Portal(client)
    await portal.login("alice@vendor-a.example", PASSWORD)
    return portal


async def _staff(client: TestClient, pool: asyncpg.Pool, settings: Settings) -> Portal:
    import aiohttp

    await make_account(client, pool, settings, "staff@operator.example", "staff")
    session = aiohttp.ClientSession(
        base_url=str(client.make_url("/")), cookie_jar=aiohttp.CookieJar(unsafe=True)
    )
    portal = Portal(session)
    await portal.login("staff@operator.example", PASSWORD)
    return portal


def _order_id(text: str) -> int:
    found = re.search(r'href="/portal/orders/(\d+)/invoice"|action="/portal/orders/(\d+)/', text)
    assert found, text[:2000]
    return int(found.group(1) or found.group(2))


async def _create_product(portal: Portal) -> None:
    await portal.get("/portal/products/new")
    await portal.post(
        "/portal/products/new",
        {"code": "ACME-CAD", "name": "ACME CAD", "features": "export, print reports"},
    )


async def test_products_create_refuse_and_edit(
    client: TestClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    portal = await _vendor(client, pool, settings)
    await portal.get("/portal/products/new")
    refused = await portal.post(
        "/portal/products/new",
        {"code": "bad code!", "name": "Kept name", "features": "ok bad/feature"},
        status=422,
    )
    assert "A product code is 1 to 64 letters" in refused
    assert "Feature codes are letters" in refused
    assert field_value(refused, "name") == "Kept name"
    assert field_value(refused, "features") == "ok bad/feature"

    await _create_product(portal)
    listing = await portal.get("/portal/products")
    assert 'data-product="ACME-CAD"' in listing and "reports" in listing

    taken = await portal.post(
        "/portal/products/new", {"code": "ACME-CAD", "name": "Again", "features": ""}, status=422
    )
    assert "This product code is not available" in taken

    await portal.get("/portal/products/ACME-CAD/edit")
    await portal.post(
        "/portal/products/ACME-CAD/edit", {"name": "ACME CAD 2", "features": "export print"}
    )
    listing = await portal.get("/portal/products")
    assert "ACME CAD 2" in listing and ">reports<" not in listing


async def test_order_dialog_confirmation_back_and_submit(
    client: TestClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    portal = await _vendor(client, pool, settings)
    await _create_product(portal)
    dialog = await portal.get("/portal/orders/new")
    assert 'data-test="order-dialog"' in dialog and "order-form.js" in dialog

    typed = {
        "product": "ACME-CAD",
        "qty_SP1": "50",
        "qty_SP3": "",
        "qty_SP5": "2",
        "feature:ACME-CAD:export": "on",
        "feature:ACME-CAD:print": "on",
        "feature:ACME-CAD:reports": "on",
    }
    wrong = await portal.post(
        "/portal/orders/new", {**typed, "qty_SP3": "many", "action": "review"}, status=422
    )
    assert "Enter a whole number." in wrong and field_value(wrong, "qty_SP3") == "many"
    assert field_value(wrong, "qty_SP1") == "50"

    nothing = await portal.post(
        "/portal/orders/new", {"product": "ACME-CAD", "action": "review"}, status=422
    )
    assert "at least one license type" in nothing

    confirm = await portal.post("/portal/orders/new", {**typed, "action": "review"})
    assert "Confirm the order" in confirm
    # 50 × 220.00 + 2 × 800.00 = 12 600.00, priced by the server.
    assert re.search(r'data-test="confirm-total">RUB\s*12,600\.00<', confirm), confirm
    assert "52 pcs." in confirm

    back = await portal.post("/portal/orders/new", {**typed, "action": "back"})
    assert "Create a new order" in back
    assert field_value(back, "qty_SP1") == "50" and field_value(back, "qty_SP5") == "2"

    card = await portal.post("/portal/orders/new", {**typed, "action": "submit"})
    assert "Order No. 1 is placed" in card
    assert 'data-status="placed"' in card
    listing = await portal.get("/portal/orders")
    row = listing[listing.index('data-order="1"') :]
    assert "RUB 12,600.00" in row[: row.index("</tr>")], row[:1500]


async def test_staff_invoice_payment_and_vendor_downloads_serials(
    client: TestClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    vendor = await _vendor(client, pool, settings)
    await _create_product(vendor)
    await vendor.get("/portal/orders/new")
    card = await vendor.post(
        "/portal/orders/new",
        {"product": "ACME-CAD", "qty_SP3": "50", "action": "submit"}
        | {f"feature:ACME-CAD:{name}": "on" for name in ("export", "print", "reports")},
    )
    order_id = _order_id(card)
    staff = await _staff(client, pool, settings)
    try:
        incoming = await staff.get("/portal/staff/orders")
        assert 'data-order="1"' in incoming and "Vendor A" in incoming
        text = await staff.post(f"/portal/orders/{order_id}/invoice", {})
        assert "Invoice No. 1 is issued." in text and 'data-status="invoiced"' in text

        refused = await staff.post(
            f"/portal/orders/{order_id}/payment", {"reference": "", "amount": "12,5.0"}, status=422
        )
        assert "Fill this in." in refused
        text = await staff.post(f"/portal/orders/{order_id}/payment", {"reference": "BANK-77"})
        assert "The payment is recorded." in text and 'data-status="fulfilled"' in text
        again = await staff.post(f"/portal/orders/{order_id}/payment", {"reference": "BANK-77"})
        assert "nothing changed" in again

        invoice = await staff.get(f"/portal/orders/{order_id}/invoice")
        assert 'data-test="invoice-total">RUB 27,500.00' in invoice
        vendors = await staff.get("/portal/staff/vendors")
        assert "Vendor A" in vendors
    finally:
        await staff.client.close()  # type: ignore[union-attr]

    card = await vendor.get(f"/portal/orders/{order_id}")
    assert 'data-test="download-serials"' in card
    response = await client.get(f"/portal/orders/{order_id}/serials.csv")
    assert response.status == 200 and response.content_type == "text/csv"
    rows = list(csv.DictReader(io.StringIO(await response.text())))
    assert len(rows) == 50 and {row["license_type"] for row in rows} == {"SP3"}

    # One serial activated through the API shows on its page with the machine.
    serial = rows[0]["serial"]
    activated = await client.post(
        "/v1/activations",
        json={
            "serial": serial,
            "fingerprint": fingerprint("page"),
            "client": {"hostname": "design-pc-7", "os": "Windows 11", "app_version": "5.1"},
        },
    )
    assert activated.status == 201
    page = await vendor.get(f"/portal/serials/{serial}")
    assert "design-pc-7" in page and "Windows 11" in page and ">1 / 3<" in page

    certificate = await vendor.get(f"/portal/serials/{serial}/certificate")
    assert serial in certificate and "ACME CAD" in certificate and "print.js" in certificate

    blocked = await vendor.post(f"/portal/serials/{serial}/block", {"reason": "refund"})
    assert "The serial number is blocked" in blocked and 'data-status="blocked"' in blocked
    refused = await client.post(
        "/v1/activations", json={"serial": serial, "fingerprint": fingerprint("other")}
    )
    assert refused.status == 403
    unblocked = await vendor.post(f"/portal/serials/{serial}/unblock", {})
    assert "The serial number is unblocked." in unblocked

    listing = await vendor.get("/portal/serials?usage=used")
    assert "Found: 1" in listing and serial in listing
    searched = await vendor.get(f"/portal/serials?q={serial[:8].lower()}")
    assert serial in searched
    bad = await vendor.get("/portal/serials?q=%21%21", status=422)
    assert "Type a part of a serial number" in bad

    dashboard = await vendor.get("/portal/dashboard")
    assert 'data-test="activity-chart"' in dashboard and 'data-count="1"' in dashboard
    assert "Order No. 1" in dashboard

    group = await vendor.post(
        "/portal/serials/group",
        {
            "serials": "\n".join(
                [serial, rows[1]["serial"], serial, "not-a-serial", "01234-56789-ABCDE-FGHJS"]
            ),
            "action": "block",
        },
    )
    assert 'data-test="group-result"' in group
    assert group.count('data-result="ok"') == 2
    assert 'data-result="duplicate"' in group and 'data-result="malformed"' in group
    assert 'data-result="unknown"' in group
    assert "Serial numbers changed: 2." in group


async def test_staff_top_up_and_discount(
    client: TestClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    account = await make_account(client, pool, settings, "alice@vendor-a.example", company="V A")
    staff = await _staff(client, pool, settings)
    try:
        page = await staff.get(f"/portal/staff/vendors/{account.vendor_id}")
        assert 'data-test="vendor-balance"' in page
        refused = await staff.post(
            f"/portal/staff/vendors/{account.vendor_id}/top-up",
            {"amount": "12,34,5", "reference": "TOP-1"},
            status=422,
        )
        assert "Enter an amount such as 1500 or 1500.50." in refused
        assert field_value(refused, "reference") == "TOP-1"
        text = await staff.post(
            f"/portal/staff/vendors/{account.vendor_id}/top-up",
            {"amount": "1 500,50", "reference": "TOP-1"},
        )
        assert "The balance is topped up by RUB" in text and "1,500.50" in text
        text = await staff.post(
            f"/portal/staff/vendors/{account.vendor_id}/discount", {"discount": "101"}, status=422
        )
        assert "Enter a number from 0 to 100." in text
        text = await staff.post(
            f"/portal/staff/vendors/{account.vendor_id}/discount", {"discount": "10"}
        )
        assert "The discount is 10 % for orders placed from now on." in text
        # The staff's views of the whole service.
        assert "The whole service" in await staff.get("/portal/dashboard")
        for path in ("/portal/orders", "/portal/products", "/portal/serials", "/portal/profile"):
            await staff.get(path)
        assert "V A" in await staff.get("/portal/staff/vendors")
    finally:
        await staff.client.close()  # type: ignore[union-attr]
