"""The serials' operations of the vendor API as declared: every answer as the document says,
the list's envelope, and what the declared types refuse (null, empty query values), with the
caller known before the body is read."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.conftest import Account, Factory, fingerprint
from tests.vendor_portal.helpers import documented, invoice, ok, pay, place, product
from vendor_portal.docs import endpoints as docs
from vendor_portal.keys import endpoints as keys
from vendor_portal.licensee import endpoints as licensee
from vendor_portal.pricing import endpoints as pricing
from vendor_portal.products import endpoints as products
from vendor_portal.serials import endpoints as serials

FEATURES = {
    "serials": serials,
    "licensee": licensee,
    "products": products,
    "pricing": pricing,
    "keys": keys,
    "docs": docs,
}


@pytest.mark.parametrize("feature", list(FEATURES))
async def test_every_declared_operation_is_named_and_described(
    client: TestClient, feature: str
) -> None:
    document = await ok(await client.get("/v1/openapi.json"))
    for endpoint in FEATURES[feature].ENDPOINTS:
        served = document["paths"][endpoint.path][endpoint.method.lower()]
        assert served["operationId"] == endpoint.operation_id
        assert endpoint.operation_id[0].islower() and endpoint.operation_id.isalnum()
        assert served["summary"] and len(served["description"]) > 40, endpoint.operation_id
        if not endpoint.public:
            assert "401" in served["responses"], endpoint.operation_id
        if endpoint.staff:
            assert "403" in served["responses"], endpoint.operation_id
    ids = [
        operation["operationId"]
        for operations in document["paths"].values()
        for operation in operations.values()
        if "operationId" in operation
    ]
    assert len(ids) == len(set(ids))


async def _sold(client: TestClient, staff: Account, vendor: Account, quantity: int) -> Any:
    await product(client, vendor)
    order = await place(
        client, vendor, [{"product": "ACME", "license_type": "SP3", "quantity": quantity}]
    )
    await invoice(client, staff, order["id"])
    await ok(await pay(client, staff, order["id"], f"S-{order['id']}"), 201)
    listed = await ok(await client.get(f"/v1/orders/{order['id']}/serials", headers=vendor.headers))
    return order["id"], [item["serial"] for item in listed["serials"]]


async def test_every_serial_operation_answers_as_documented(
    client: TestClient, staff: Account, vendor: Account, other_vendor: Account
) -> None:
    order_id, sold = await _sold(client, staff, vendor, 3)
    serial = sold[0]
    machine = await ok(
        await client.post(
            "/v1/activations", json={"serial": serial, "fingerprint": fingerprint("api")}
        ),
        201,
    )
    h = vendor.headers

    async def check(method: str, template: str, path: str, status: int, **kw: Any) -> Any:
        response = await client.request(method, path, headers=kw.pop("headers", h), **kw)
        assert response.status == status, (method, path, await response.text())
        return await documented(client, response, method, template)

    listed = await check("GET", "/v1/serials", "/v1/serials?limit=2", 200)
    assert listed["total"] == 3 and len(listed["items"]) == 2
    card = await check("GET", "/v1/serials/{serial}", f"/v1/serials/{serial}", 200)
    assert card["activation_list"][0]["activation_id"] == machine["activation_id"]
    one = "/v1/serials/{serial}"
    await check("GET", one, "/v1/serials/nope", 400)
    await check("GET", one, f"/v1/serials/{serial}", 404, headers=other_vendor.headers)
    await check("GET", one, f"/v1/serials/{serial}", 401, headers={})
    blocked = await check(
        "POST",
        "/v1/serials/{serial}/block",
        f"/v1/serials/{serial}/block",
        200,
        json={"reason": "chargeback"},
    )
    assert blocked["status"] == "blocked"
    await check("POST", "/v1/serials/{serial}/unblock", f"/v1/serials/{serial}/unblock", 200)
    bulk = "/v1/serials/bulk"
    checked = await check("POST", bulk, bulk, 200, json={"serials": [*sold, "bad"]})
    assert checked["summary"] == {"ok": 3, "malformed": 1, "unknown": 0, "duplicate": 0}
    as_csv = {**h, "Content-Type": "text/csv"}
    csv = "\n".join(sold).encode()
    await check("POST", bulk, bulk + "?action=check", 200, data=csv, headers=as_csv)
    grants = "/v1/serials/{serial}/transfer-grants"
    granted = await check(
        "POST", grants, grants.format(serial=serial), 200, json={"extra": 2}, headers=staff.headers
    )
    assert granted == {"serial": serial, "transfers_granted": 2}
    await check("POST", grants, grants.format(serial=serial), 403, json={"extra": 2})
    features = "/v1/serials/{serial}/features"
    changed = await check(
        "POST", features, features.format(serial=serial), 200, json={"features": ["print"]}
    )
    assert changed["features"] == ["print"]
    await check(
        "POST", features, features.format(serial=serial), 400, json={"features": ["teleport"]}
    )
    by_order = "/v1/orders/{order_id}/features"
    whole = await check(
        "POST", by_order, f"/v1/orders/{order_id}/features", 200, json={"features": ["export"]}
    )
    assert whole == {"order_id": order_id, "serials": 3, "features": ["export"]}
    release = "/v1/activations/{activation_id}/release"
    freed = await check(
        "POST", release, release.format(activation_id=machine["activation_id"]), 200
    )
    assert freed["activations"]["used"] == 0
    await check("POST", release, "/v1/activations/not-an-id/release", 404)
    licensee_path = "/v1/serials/{serial}/licensee"
    recorded = await check(
        "PUT",
        licensee_path,
        licensee_path.format(serial=serial),
        200,
        json={"email": "Customer@Example.com"},
    )
    assert recorded["email"] == "customer@example.com"
    await check("GET", licensee_path, licensee_path.format(serial=serial), 200)
    removed = await check(
        "PUT", licensee_path, licensee_path.format(serial=serial), 200, json={"email": None}
    )
    assert removed["email"] is None


async def test_the_list_counts_every_match_past_its_page(
    client: TestClient, vendor: Account, other_vendor: Account, factory: Factory
) -> None:
    mine = await factory.serials("SP1", 7, vendor_id=vendor.vendor_id)
    await factory.serials("SP1", 4, product="BEE", vendor_id=other_vendor.vendor_id)
    await ok(await client.post(f"/v1/serials/{mine[0]}/block", headers=vendor.headers))
    seen: list[str] = []
    for offset in (0, 3, 6):
        page = await ok(
            await client.get(f"/v1/serials?limit=3&offset={offset}", headers=vendor.headers)
        )
        assert (page["total"], page["limit"], page["offset"]) == (7, 3, offset)
        seen += [item["serial"] for item in page["items"]]
    assert sorted(seen) == sorted(mine)
    past = await ok(await client.get("/v1/serials?offset=50", headers=vendor.headers))
    assert past["items"] == [] and past["total"] == 7
    blocked = await ok(
        await client.get("/v1/serials?status=active&limit=1", headers=vendor.headers)
    )
    assert blocked["total"] == 6 and len(blocked["items"]) == 1


async def test_null_and_empty_values_are_refused_and_name_the_field(
    client: TestClient, staff: Account, vendor: Account, factory: Factory
) -> None:
    serial = await factory.serial("SP3", vendor_id=vendor.vendor_id)
    refused: list[tuple[str, str, Any, str, Account]] = [
        ("POST", f"/v1/serials/{serial}/block", {"reason": None}, "reason", vendor),
        ("POST", f"/v1/serials/{serial}/block", {"reason": "  "}, "reason", vendor),
        ("POST", f"/v1/serials/{serial}/features", {"features": None}, "features", vendor),
        ("POST", f"/v1/serials/{serial}/transfer-grants", {"extra": None}, "extra", staff),
        ("POST", f"/v1/serials/{serial}/transfer-grants", {"extra": 0}, "extra", staff),
        ("POST", "/v1/serials/bulk", {"text": None}, "text", vendor),
        ("POST", "/v1/serials/bulk", {"serials": None}, "serials", vendor),
        ("POST", "/v1/serials/bulk", {"action": None, "text": serial}, "action", vendor),
        ("PUT", f"/v1/serials/{serial}/licensee", {}, "email", vendor),
        ("PUT", f"/v1/serials/{serial}/licensee", {"email": 5}, "email", vendor),
    ]
    for method, path, body, field, account in refused:
        answer = await client.request(method, path, json=body, headers=account.headers)
        error = (await answer.json())["error"]
        assert answer.status == 400 and error["code"] == "INVALID_REQUEST", (path, body, error)
        assert f"'{field}" in error["message"], (path, body, error)
    for query in ("q=", "product=", "order_id=", "license_type=", "status=", "limit=", "q=%20"):
        answer = await client.get(f"/v1/serials?{query}", headers=vendor.headers)
        assert answer.status == 400, query
        assert "'" + query.split("=")[0] + "'" in (await answer.json())["error"]["message"]


async def test_the_caller_is_known_before_the_body_is_read(
    client: TestClient, vendor: Account, factory: Factory
) -> None:
    """No token is 401 and a vendor on a staff action 403, whatever the body: a refusal of the
    body would tell a stranger the action's rules."""
    serial = await factory.serial("SP3", vendor_id=vendor.vendor_id)
    for body in ({}, {"extra": None}, {"extra": 10**6}):
        path = f"/v1/serials/{serial}/transfer-grants"
        assert (await client.post(path, json=body)).status == 401
        answer = await client.post(path, json=body, headers=vendor.headers)
        assert answer.status == 403, (body, await answer.text())
    for method, path in (
        ("PUT", f"/v1/serials/{serial}/licensee"),
        ("POST", f"/v1/serials/{serial}/block"),
        ("PUT", "/v1/price-list/SP1"),
        ("PATCH", "/v1/products/ACME"),
    ):
        assert (await client.request(method, path, data=b"[1]")).status == 401, path
