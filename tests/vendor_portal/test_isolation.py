"""Isolation: vendor A's token on every one of vendor B's resources answers 404; vendors on staff
actions answer 403; no token answers 401."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from tests.vendor_portal.helpers import invoice, ok, pay, place, product

ORDER_LINE = {"lines": [{"product": "BEE", "license_type": "SP1", "quantity": 1}]}


async def _b_world(client: TestClient, staff, other_vendor) -> dict:
    await product(client, other_vendor, "BEE")
    order = await place(client, other_vendor, ORDER_LINE["lines"])
    await invoice(client, staff, order["id"])
    await ok(await pay(client, staff, order["id"], "B-1"), 201)
    serials = await ok(
        await client.get(f"/v1/orders/{order['id']}/serials", headers=other_vendor.headers)
    )
    placed = await place(client, other_vendor, ORDER_LINE["lines"])
    key = await ok(
        await client.post("/v1/api-keys", json={"name": "b"}, headers=other_vendor.headers), 201
    )
    return {
        "order": order["id"],
        "placed": placed["id"],
        "serial": serials["serials"][0]["serial"],
        "vendor": other_vendor.vendor_id,
        "user": other_vendor.user_id,
        "key": key["id"],
    }


async def test_another_vendors_resources_answer_404(client, staff, vendor, other_vendor, pool):
    b = await _b_world(client, staff, other_vendor)
    line = {"lines": [{"product": "BEE", "license_type": "SP1", "quantity": 1}]}
    requests = [
        ("GET", "/v1/products/BEE", None),
        ("PATCH", "/v1/products/BEE", {"name": "mine now"}),
        ("GET", f"/v1/orders/{b['order']}", None),
        ("PUT", f"/v1/orders/{b['placed']}", line),
        ("POST", f"/v1/orders/{b['placed']}/cancel", None),
        ("POST", f"/v1/orders/{b['order']}/payments", {"method": "balance"}),
        ("GET", f"/v1/orders/{b['order']}/serials", None),
        ("GET", f"/v1/serials/{b['serial']}", None),
        ("POST", f"/v1/serials/{b['serial']}/block", None),
        ("POST", f"/v1/serials/{b['serial']}/unblock", None),
        ("GET", f"/v1/vendors/{b['vendor']}", None),
        ("GET", f"/v1/vendors/{b['vendor']}/balance", None),
        ("GET", f"/v1/users/{b['user']}", None),
        ("DELETE", f"/v1/api-keys/{b['key']}", None),
        # Ordering another vendor's product is ordering no product at all.
        ("POST", "/v1/orders", line),
    ]
    for method, path, body in requests:
        response = await client.request(method, path, json=body, headers=vendor.headers)
        assert response.status == 404, (method, path, response.status, await response.text())
    # Nothing of B's shows up in A's lists either.
    for path in (
        "/v1/products",
        "/v1/orders",
        "/v1/users",
        "/v1/vendors",
        "/v1/api-keys",
        "/v1/audit",
    ):
        listed = await ok(await client.get(path, headers=vendor.headers))
        text = str(listed)
        assert "BEE" not in text and other_vendor.email not in text, path
    serials = await ok(await client.get("/v1/serials", headers=vendor.headers))
    assert serials["total"] == 0
    # A filter naming B does not widen A's view.
    filtered = await ok(
        await client.get(f"/v1/orders?vendor_id={b['vendor']}", headers=vendor.headers)
    )
    assert filtered["items"] == []
    async with pool.acquire() as connection:
        assert (
            await connection.fetchval("SELECT count(*) FROM serials WHERE status = 'blocked'") == 0
        )


async def test_staff_see_everything(client, staff, vendor, other_vendor):
    b = await _b_world(client, staff, other_vendor)
    await ok(await client.get(f"/v1/orders/{b['order']}", headers=staff.headers))
    await ok(await client.get(f"/v1/serials/{b['serial']}", headers=staff.headers))
    await ok(await client.get(f"/v1/vendors/{b['vendor']}/balance", headers=staff.headers))
    listed = await ok(await client.get("/v1/vendors", headers=staff.headers))
    assert {v["id"] for v in listed["items"]} >= {vendor.vendor_id, other_vendor.vendor_id}


async def test_vendor_on_staff_actions_answers_403(client, staff, vendor):
    await product(client, vendor)
    order = await place(client, vendor)
    requests = [
        ("POST", f"/v1/orders/{order['id']}/invoice", None),
        ("POST", f"/v1/orders/{order['id']}/payments", {"reference": "X", "method": "transfer"}),
        ("PATCH", f"/v1/vendors/{vendor.vendor_id}", {"discount_percent": 90}),
        ("POST", f"/v1/vendors/{vendor.vendor_id}/top-ups", {"amount": 100, "reference": "R"}),
        ("PUT", "/v1/price-list/SP1", {"unit_price": 1}),
        ("POST", "/v1/users", {"email": "x@y.example", "password": "long enough", "role": "staff"}),
    ]
    for method, path, body in requests:
        response = await client.request(method, path, json=body, headers=vendor.headers)
        assert response.status == 403, (method, path, response.status, await response.text())


async def test_no_token_answers_401(client, app):
    for resource in app.router.resources():
        info = resource.get_info()
        path = info.get("path") or info.get("formatter", "")
        if not path.startswith("/v1/") or path.startswith(("/v1/auth/", "/v1/openapi")):
            continue
        if path in (
            "/v1/activations",
            "/v1/validations",
            "/v1/deactivations",
            "/v1/check-ins",
            "/v1/offline-activations",
            "/v1/keys",
            "/v1/vendors/{public_id}/keys",
        ):
            continue
        concrete = (
            path.replace("{order_id}", "1")
            .replace("{vendor_id}", "1")
            .replace("{user_id}", "1")
            .replace("{key_id}", "1")
            .replace("{activation_id}", "00000000-0000-0000-0000-000000000000")
            .replace("{number}", "1")
            .replace("{code}", "ACME")
            .replace("{license_type}", "SP1")
            .replace("{serial}", "01234-56789-ABCDE-FGHJS")
        )
        for route in resource:
            if route.method == "HEAD":
                continue
            for headers in ({}, {"Authorization": "Bearer nonsense"}, {"Authorization": "Basic x"}):
                response = await client.request(route.method, concrete, json={}, headers=headers)
                assert response.status == 401, (route.method, concrete, headers)
                assert response.headers["WWW-Authenticate"] == "Bearer"
