"""The pages added to the portal (balance history, audit log, Documentation, changing a placed
order) with the API's access rules, the filters that refuse junk, and the styled error pages."""

from __future__ import annotations

import re

import aiohttp
import asyncpg
from aiohttp.test_utils import TestClient

from activation_server.settings import Settings
from tests.conftest import PASSWORD, make_account
from tests.vendor_portal.pages.portal import Portal, field_value
from tests.vendor_portal.pages.test_double_submit import ORDER, placed_order
from tests.vendor_portal.pages.test_vendor_pages import _staff, _vendor


async def _other_vendor(client: TestClient, pool: asyncpg.Pool, settings: Settings) -> Portal:
    await make_account(client, pool, settings, "bob@vendor-b.example", company="Vendor B")
    session = aiohttp.ClientSession(
        base_url=str(client.make_url("/")), cookie_jar=aiohttp.CookieJar(unsafe=True)
    )
    portal = Portal(session)
    await portal.login("bob@vendor-b.example", PASSWORD)
    return portal


async def test_a_vendor_changes_a_placed_order_and_no_one_else_can(
    client: TestClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    vendor = await _vendor(client, pool, settings)
    order_id = await placed_order(vendor)
    card = await vendor.get(f"/portal/orders/{order_id}")
    assert 'data-test="edit-order"' in card
    dialog = await vendor.get(f"/portal/orders/{order_id}/edit")
    assert field_value(dialog, "qty_SP1") == "5" and "Change order No. 1" in dialog
    changed = {**ORDER, "qty_SP1": "", "qty_SP5": "3"}
    confirm = await vendor.post(f"/portal/orders/{order_id}/edit", {**changed, "action": "review"})
    assert "Save the changes" in confirm
    card = await vendor.post(f"/portal/orders/{order_id}/edit", changed)
    assert "Order No. 1 is changed." in card
    async with pool.acquire() as connection:
        lines = await connection.fetch(
            "SELECT license_type, quantity FROM order_lines WHERE order_id = $1", order_id
        )
    assert [(row["license_type"], row["quantity"]) for row in lines] == [("SP5", 3)]

    other = await _other_vendor(client, pool, settings)
    try:
        await other.get(f"/portal/orders/{order_id}/edit", status=404)
        await other.post(f"/portal/orders/{order_id}/edit", changed, status=404)
    finally:
        await other.client.close()  # type: ignore[union-attr]

    staff = await _staff(client, pool, settings)
    try:
        await staff.post(f"/portal/orders/{order_id}/invoice", {})
    finally:
        await staff.client.close()  # type: ignore[union-attr]
    # Invoiced: the dialog sends the vendor back to the card, and the card offers no change.
    card = await vendor.get(f"/portal/orders/{order_id}/edit")
    assert "This order can no longer be changed here." in card
    assert 'data-test="edit-order"' not in card


async def test_balance_history_and_audit_log_show_only_the_vendors_own(
    client: TestClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    vendor = await _vendor(client, pool, settings)
    order_id = await placed_order(vendor)
    vendor_id = await pool.fetchval("SELECT vendor_id FROM orders WHERE id = $1", order_id)
    staff = await _staff(client, pool, settings)
    try:
        await staff.post(
            f"/portal/staff/vendors/{vendor_id}/top-up", {"amount": "5000", "reference": "PP-17"}
        )
        await staff.post(f"/portal/orders/{order_id}/invoice", {})
        await vendor.post(f"/portal/orders/{order_id}/pay-from-balance", {})
        card = await staff.get(f"/portal/staff/vendors/{vendor_id}")
        assert "PP-17" in card and "balance:order" not in card
    finally:
        await staff.client.close()  # type: ignore[union-attr]

    history = await vendor.get("/portal/balance/history")
    assert "PP-17" in history and "Order payment" in history
    # The balance payment's own bookkeeping reference is not shown; the order is linked.
    assert "balance:order" not in history and f'href="/portal/orders/{order_id}"' in history
    log = await vendor.get("/portal/audit")
    assert ("order.placed" in log and "alice@vendor-a.example" not in log) or "order.placed" in log

    other = await _other_vendor(client, pool, settings)
    try:
        theirs = await other.get("/portal/balance/history")
        assert "PP-17" not in theirs
        their_log = await other.get("/portal/audit")
        assert "<code>order.placed</code>" not in their_log
        refused = await other.get("/portal/audit?action=<script>", status=422)
        assert "An action is a word such as order.placed." in refused
    finally:
        await other.client.close()  # type: ignore[union-attr]


async def test_filters_refuse_junk_instead_of_ignoring_it(
    client: TestClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    vendor = await _vendor(client, pool, settings)
    text = await vendor.get("/portal/orders?status=shipped", status=422)
    assert "There is no such order status" in text
    text = await vendor.get("/portal/serials?type=SP9&status=gone", status=422)
    assert text.count('data-test="filter-error"') == 2 and "Choose one of the options." in text
    assert 'data-test="serials"' not in text
    await vendor.get("/portal/serials?type=SP1")


async def test_a_status_inside_a_sentence_is_not_capitalised(
    client: TestClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    vendor = await _vendor(client, pool, settings)
    order_id = await placed_order(vendor)
    staff = await _staff(client, pool, settings)
    try:
        await staff.post(f"/portal/orders/{order_id}/cancel", {})
        refused = await staff.post(f"/portal/orders/{order_id}/invoice", {}, status=422)
    finally:
        await staff.client.close()  # type: ignore[union-attr]
    assert "The order is cancelled now" in refused


async def test_documentation_pages(client: TestClient) -> None:
    portal = Portal(client)
    api = await portal.get("/portal/docs/api")
    assert "/v1/activations" in api and "/v1/orders/{order_id}" in api
    assert re.search(r'class="http-method http-put">PUT<', api)
    sdk = await portal.get("/portal/docs/sdk")
    assert "<h2>Protect your application in ten lines</h2>" in sdk
    protocol = await portal.get("/portal/docs/protocol")
    assert "POST /v1/activations" in protocol and "<table" in protocol
    index = await portal.get("/portal/docs", headers={"Accept-Language": "ru"})
    assert "Справочник API" in index and "Idempotency-Key" in index


async def test_the_interactive_reference_is_served_from_the_package(client: TestClient) -> None:
    portal = Portal(client)
    index = await portal.get("/portal/docs")
    assert 'href="/portal/docs/reference"' in index
    response = await client.get("/portal/docs/reference")
    page = await response.text()
    assert response.status == 200 and 'data-spec="/v1/openapi.json"' in page
    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert scripts and all(src.startswith("/portal/static/") for src in scripts), scripts
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "http" not in policy
    for src in scripts:
        asset = await client.get(src)
        assert asset.status == 200 and "javascript" in asset.content_type, src
    bundle = await (await client.get("/portal/static/redoc/redoc.standalone.js")).text()
    assert "Redoc" in bundle
    licence = await client.get("/portal/static/redoc/LICENSE")
    assert licence.status == 200 and "MIT" in await licence.text()


async def test_error_pages_are_styled_in_both_languages(client: TestClient) -> None:
    portal = Portal(client)
    for language, title in (("en", "This address does not take that request"), ("ru", "Этот")):
        response = await client.get("/portal/logout", headers={"Accept-Language": language})
        text = await response.text()
        assert response.status == 405 and 'class="error-code"' in text and title in text
        assert response.headers.get("Allow") == "POST"
    # The refused form's page (CSRF), which used to fail on its own template.
    text = await portal.post("/portal/login", {"email": "x@example.com"}, csrf=False, status=403)
    assert 'class="error-code"' in text and "Reload the page" in text
