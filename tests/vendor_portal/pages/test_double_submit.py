"""Every portal form that creates something, sent twice with its one-time nonce (a double click,
or Back and send again), creates it once; the second submission lands on the first's result."""

from __future__ import annotations

import asyncio
import re

import asyncpg
from aiohttp.test_utils import TestClient

from activation_server.settings import Settings
from tests.conftest import PASSWORD, Factory, fingerprint, make_account
from tests.vendor_portal.pages.portal import Portal, field_value
from tests.vendor_portal.pages.test_vendor_pages import _create_product, _staff, _vendor

ALREADY = "This form was sent already; here is what it did."
ORDER = {"product": "ACME-CAD", "qty_SP1": "5", "action": "submit"} | {
    f"feature:ACME-CAD:{name}": "on" for name in ("export", "print", "reports")
}


def nonce_of(text: str, action: str) -> str:
    """The nonce of the form posting to ``action`` on the page."""
    start = text.index(f'action="{action}"')
    found = re.search(r'name="form_nonce" value="([^"]+)"', text[start:])
    assert found, text[start : start + 1500]
    return found.group(1)


async def count(pool: asyncpg.Pool, sql: str, *args: object) -> int:
    async with pool.acquire() as connection:
        return int(await connection.fetchval(sql, *args))


async def placed_order(vendor: Portal) -> int:
    await _create_product(vendor)
    await vendor.get("/portal/orders/new")
    card = await vendor.post("/portal/orders/new", ORDER)
    found = re.search(r"/portal/orders/(\d+)/", card)
    assert found, card[:2000]
    return int(found.group(1))


async def twice(portal: Portal, path: str, data: dict[str, str]) -> tuple[str, str]:
    first = await portal.post(path, data)
    second = await portal.post(path, data)
    return first, second


async def test_new_product_twice(client: TestClient, pool: asyncpg.Pool, settings: Settings):
    portal = await _vendor(client, pool, settings)
    page = await portal.get("/portal/products/new")
    data = {
        "code": "TWICE",
        "name": "Twice",
        "features": "a",
        "form_nonce": nonce_of(page, "/portal/products/new"),
    }
    first, second = await twice(portal, "/portal/products/new", data)
    assert ALREADY in second and ALREADY not in first
    assert await count(pool, "SELECT count(*) FROM products WHERE code = 'TWICE'") == 1


async def test_new_order_double_click_and_back_resubmit(
    client: TestClient, pool: asyncpg.Pool, settings: Settings
):
    portal = await _vendor(client, pool, settings)
    await _create_product(portal)
    dialog = await portal.get("/portal/orders/new")
    nonce = nonce_of(dialog, "/portal/orders/new")
    # The confirmation step keeps the dialog's nonce, so its Submit is the same submission.
    confirm = await portal.post(
        "/portal/orders/new", {**ORDER, "action": "review", "form_nonce": nonce}
    )
    assert field_value(confirm, "form_nonce") == nonce
    data = {**ORDER, "form_nonce": nonce}
    # A double click: both requests in flight at once.
    results = await asyncio.gather(
        portal.client.post(
            "/portal/orders/new", data=data | {"csrf_token": portal.token}, allow_redirects=False
        ),
        portal.client.post(
            "/portal/orders/new", data=data | {"csrf_token": portal.token}, allow_redirects=False
        ),
    )
    assert [response.status for response in results] == [303, 303]
    assert results[0].headers["Location"] == results[1].headers["Location"]
    # Back to the confirmation and Submit again.
    again = await portal.post("/portal/orders/new", data)
    assert ALREADY in again and 'data-status="placed"' in again
    assert await count(pool, "SELECT count(*) FROM orders") == 1
    # A fresh dialog is a new order.
    fresh = nonce_of(await portal.get("/portal/orders/new"), "/portal/orders/new")
    assert fresh != nonce
    await portal.post("/portal/orders/new", {**ORDER, "form_nonce": fresh})
    assert await count(pool, "SELECT count(*) FROM orders") == 2


async def test_a_refused_order_keeps_its_nonce_usable(
    client: TestClient, pool: asyncpg.Pool, settings: Settings
):
    portal = await _vendor(client, pool, settings)
    await _create_product(portal)
    nonce = nonce_of(await portal.get("/portal/orders/new"), "/portal/orders/new")
    await portal.post(
        "/portal/orders/new", {**ORDER, "qty_SP1": "x", "form_nonce": nonce}, status=422
    )
    card = await portal.post("/portal/orders/new", {**ORDER, "form_nonce": nonce})
    assert ALREADY not in card and 'data-status="placed"' in card


async def test_order_card_actions_twice(client: TestClient, pool: asyncpg.Pool, settings: Settings):
    vendor = await _vendor(client, pool, settings)
    order_id = await placed_order(vendor)
    staff = await _staff(client, pool, settings)
    try:
        page = await staff.get(f"/portal/orders/{order_id}")
        action = f"/portal/orders/{order_id}/invoice"
        first, second = await twice(staff, action, {"form_nonce": nonce_of(page, action)})
        assert "is issued" in first and ALREADY in second
        page = await staff.get(f"/portal/orders/{order_id}")
        action = f"/portal/orders/{order_id}/payment"
        data = {"reference": "BANK-1", "form_nonce": nonce_of(page, action)}
        first, second = await twice(staff, action, data)
        assert "The payment is recorded." in first and ALREADY in second
        assert await count(pool, "SELECT count(*) FROM payments") == 1
    finally:
        await staff.client.close()  # type: ignore[union-attr]


async def test_pay_from_balance_twice(client: TestClient, pool: asyncpg.Pool, settings: Settings):
    vendor = await _vendor(client, pool, settings)
    order_id = await placed_order(vendor)
    staff = await _staff(client, pool, settings)
    try:
        vendor_id = await count(pool, "SELECT vendor_id FROM orders WHERE id = $1", order_id)
        await staff.post(
            f"/portal/staff/vendors/{vendor_id}/top-up", {"amount": "100000", "reference": "T-1"}
        )
        await staff.post(f"/portal/orders/{order_id}/invoice", {})
    finally:
        await staff.client.close()  # type: ignore[union-attr]
    page = await vendor.get(f"/portal/orders/{order_id}")
    action = f"/portal/orders/{order_id}/pay-from-balance"
    first, second = await twice(vendor, action, {"form_nonce": nonce_of(page, action)})
    assert "paid from the prepaid balance" in first and ALREADY in second
    assert await count(pool, "SELECT count(*) FROM payments") == 1


async def test_top_up_twice(client: TestClient, pool: asyncpg.Pool, settings: Settings):
    account = await make_account(client, pool, settings, "bob@vendor-b.example", company="V B")
    staff = await _staff(client, pool, settings)
    try:
        action = f"/portal/staff/vendors/{account.vendor_id}/top-up"
        page = await staff.get(f"/portal/staff/vendors/{account.vendor_id}")
        data = {"amount": "100", "reference": "TOP-9", "form_nonce": nonce_of(page, action)}
        first, second = await twice(staff, action, data)
        assert "topped up" in first and ALREADY in second
    finally:
        await staff.client.close()  # type: ignore[union-attr]


async def test_api_key_twice(client: TestClient, pool: asyncpg.Pool, settings: Settings):
    portal = await _vendor(client, pool, settings)
    page = await portal.get("/portal/profile")
    data = {"name": "ci", "form_nonce": nonce_of(page, "/portal/profile/api-keys")}
    first, second = await twice(portal, "/portal/profile/api-keys", data)
    assert ALREADY in second and ALREADY not in first
    assert await count(pool, "SELECT count(*) FROM api_keys") == 1


async def test_sign_up_twice(client: TestClient, pool: asyncpg.Pool):
    portal = Portal(client)
    page = await portal.get("/portal/signup")
    data = {
        "company": "Twice Ltd",
        "kind": "individual",
        "email": "twice@acme.example",
        "password": "long enough secret",
        "password_repeat": "long enough secret",
        "form_nonce": nonce_of(page, "/portal/signup"),
    }
    first, second = await twice(portal, "/portal/signup", data)
    assert 'data-test="signup-done"' in first
    assert ALREADY in second
    assert await count(pool, "SELECT count(*) FROM users WHERE email = 'twice@acme.example'") == 1


async def test_colleague_invitation_twice(
    client: TestClient, pool: asyncpg.Pool, settings: Settings
):
    portal = await _vendor(client, pool, settings)
    page = await portal.get("/portal/colleagues")
    data = {
        "email": "bob@vendor-a.example",
        "company_role": "member",
        "form_nonce": nonce_of(page, "/portal/colleagues"),
    }
    first, second = await twice(portal, "/portal/colleagues", data)
    assert "is invited" in first and ALREADY in second
    assert await count(pool, "SELECT count(*) FROM users WHERE email = $1", data["email"]) == 1


async def test_prepayment_invoice_twice(client: TestClient, pool: asyncpg.Pool, settings: Settings):
    portal = await _vendor(client, pool, settings)
    page = await portal.get("/portal/balance")
    data = {"amount": "1500", "form_nonce": nonce_of(page, "/portal/balance")}
    first, second = await twice(portal, "/portal/balance", data)
    assert "is made out" in first and ALREADY in second
    assert await count(pool, "SELECT count(*) FROM prepayment_invoices") == 1


async def test_renewal_invoice_twice(
    client: TestClient, pool: asyncpg.Pool, settings: Settings, factory: Factory
):
    portal = await _vendor(client, pool, settings)
    vendor_id = await count(pool, "SELECT id FROM vendors WHERE name = 'Vendor A'")
    await factory.product("ACME", vendor_id=vendor_id)
    serials = await factory.serials("SP1", 2, product="ACME")
    priced = await portal.post(
        "/portal/renewals", {"action": "check", "serials": "\n".join(serials), "months": "12"}
    )
    data = [
        ("csrf_token", portal.token),
        ("action", "order"),
        ("months", "12"),
        ("form_nonce", nonce_of(priced, "/portal/renewals")),
        *(("serial", serial) for serial in serials),
    ]
    answers = [await client.post("/portal/renewals", data=data) for _ in range(2)]
    first, second = [await answer.text() for answer in answers]
    assert [answer.status for answer in answers] == [200, 200]
    assert 'data-test="renewal-lines"' in first and ALREADY in second
    assert answers[0].url == answers[1].url
    assert await count(pool, "SELECT count(*) FROM orders WHERE kind = 'renewal'") == 1


async def test_next_signing_key_twice(client: TestClient, pool: asyncpg.Pool, settings: Settings):
    portal = await _vendor(client, pool, settings)
    page = await portal.get("/portal/keys")
    action = "/portal/keys/next"
    first, second = await twice(portal, action, {"form_nonce": nonce_of(page, action)})
    assert "The next key is published" in first and ALREADY in second
    assert 'data-state="next"' in second


async def test_machine_release_twice(
    client: TestClient, pool: asyncpg.Pool, settings: Settings, factory: Factory
):
    account = await make_account(client, pool, settings, "carol@vendor-c.example", company="C")
    serial = await factory.serial("SP3", product="MINE", vendor_id=account.vendor_id)
    for host in ("CAD-01", "CAD-02"):
        await client.post(
            "/v1/activations",
            json={"serial": serial, "fingerprint": fingerprint(host), "client": {"hostname": host}},
        )
    portal = Portal(client)
    await portal.login("carol@vendor-c.example", PASSWORD)
    page = await portal.get("/portal/machines")
    action = re.search(r'action="(/portal/machines/[0-9a-f-]+/release)"', page).group(1)
    first, second = await twice(portal, action, {"form_nonce": nonce_of(page, action)})
    assert "The machine is released" in first and ALREADY in second
    assert await count(pool, "SELECT count(*) FROM transfers WHERE serial = $1", serial) == 1


async def test_incoming_orders_actions_twice(
    client: TestClient, pool: asyncpg.Pool, settings: Settings
):
    vendor = await _vendor(client, pool, settings)
    order_id = await placed_order(vendor)
    staff = await _staff(client, pool, settings)
    try:
        page = await staff.get("/portal/staff/orders")
        action = f"/portal/orders/{order_id}/invoice"
        first, second = await twice(staff, action, {"form_nonce": nonce_of(page, action)})
        assert "is issued" in first and ALREADY in second
        page = await staff.get("/portal/staff/orders")
        action = f"/portal/orders/{order_id}/payment"
        data = {"reference": "BANK-7", "form_nonce": nonce_of(page, action)}
        first, second = await twice(staff, action, data)
        assert "The payment is recorded." in first and ALREADY in second
        assert await count(pool, "SELECT count(*) FROM payments") == 1
    finally:
        await staff.client.close()  # type: ignore[union-attr]


async def test_transfer_grant_twice_and_only_by_staff(
    client: TestClient, pool: asyncpg.Pool, settings: Settings, factory: Factory
):
    vendor = await _vendor(client, pool, settings)
    vendor_id = await count(pool, "SELECT id FROM vendors WHERE name = 'Vendor A'")
    serial = await factory.serial("SP3", product="MINE", vendor_id=vendor_id)
    action = f"/portal/serials/{serial}/transfers"
    # The vendor's own card has no such form, and sending it anyway is refused as unknown.
    assert action not in await vendor.get(f"/portal/serials/{serial}")
    await vendor.post(action, {"extra": "5"}, status=404)
    staff = await _staff(client, pool, settings)
    try:
        page = await staff.get(f"/portal/serials/{serial}")
        data = {"extra": "2", "form_nonce": nonce_of(page, action)}
        first, second = await twice(staff, action, data)
        assert "budget: 2 in all" in first and ALREADY in second
        refused = await staff.post(action, {"extra": "0"}, status=422)
        assert 'id="e-extra"' in refused
    finally:
        await staff.client.close()  # type: ignore[union-attr]
    granted = "SELECT transfers_granted FROM serials WHERE serial = $1"
    assert await count(pool, granted, serial) == 2
