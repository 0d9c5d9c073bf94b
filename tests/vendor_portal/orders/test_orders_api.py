"""/v1/orders as declared: the list envelope, what the declared types refuse, and every answer
as the served document describes it."""

from __future__ import annotations

from tests.vendor_portal.conformance import check_answer
from tests.vendor_portal.declared import (
    check_described,
    check_page,
    check_refused,
    served_document,
)
from tests.vendor_portal.helpers import invoice, ok, pay, place, product
from vendor_portal.orders.endpoints import ENDPOINTS


async def test_every_order_operation_is_described(client):
    check_described(await served_document(client), ENDPOINTS)


async def test_order_list_counts_every_matching_order_not_just_the_page(
    client, staff, vendor, other_vendor
):
    await product(client, vendor)
    await product(client, other_vendor)
    placed = [await place(client, vendor) for _ in range(5)]
    await place(client, other_vendor)
    await ok(await client.post(f"/v1/orders/{placed[0]['id']}/cancel", headers=vendor.headers))

    def listed(**query):
        return client.get("/v1/orders", params=query, headers=vendor.headers)

    newest = [order["id"] for order in reversed(placed)]
    page = check_page(await ok(await listed(limit=2, offset=1)), total=5, limit=2, offset=1)
    assert [order["id"] for order in page] == newest[1:3]
    last = check_page(await ok(await listed(limit=2, offset=4)), total=5, limit=2, offset=4)
    assert [order["id"] for order in last] == newest[4:]
    check_page(await ok(await listed(offset=9)), total=5, limit=50, offset=9)
    check_page(await ok(await listed(status="placed", limit=1)), total=4, limit=1, offset=0)
    check_page(await ok(await listed(status="cancelled")), total=1, limit=50, offset=0)
    # Staff see both companies' orders, or one company's.
    everyone = await ok(await client.get("/v1/orders", headers=staff.headers))
    check_page(everyone, total=6, limit=50, offset=0)
    one = await client.get(
        "/v1/orders", params={"vendor_id": other_vendor.vendor_id}, headers=staff.headers
    )
    check_page(await ok(one), total=1, limit=50, offset=0)


async def test_order_serials_are_paged_beside_the_deprecated_serials_key(client, staff, vendor):
    await product(client, vendor)
    order = await place(client, vendor, [{"product": "ACME", "license_type": "SP1", "quantity": 5}])
    await invoice(client, staff, order["id"])
    await ok(await pay(client, staff, order["id"], "BANK-1"), 201)
    path = f"/v1/orders/{order['id']}/serials"
    everything = await ok(await client.get(path, headers=vendor.headers))
    assert everything["order_id"] == order["id"]
    serials = check_page(everything, total=5, limit=100_000, offset=0)
    assert everything["serials"] == serials
    page = await ok(
        await client.get(path, params={"limit": 2, "offset": 3}, headers=vendor.headers)
    )
    assert check_page(page, total=5, limit=2, offset=3) == serials[3:]
    assert page["serials"] == page["items"]
    # The CSV file is every serial, whatever the page.
    csv = await client.get(path, params={"format": "csv", "limit": 1}, headers=vendor.headers)
    assert csv.status == 200 and csv.content_type == "text/csv"
    assert len((await csv.text()).strip().splitlines()) == 1 + 5


async def test_null_where_a_value_is_required_and_empty_query_values_are_refused(client, vendor):
    await product(client, vendor)
    order = await place(client, vendor)
    line = {"product": "ACME", "license_type": "SP1", "quantity": 1}
    refused = [
        ("POST", "/v1/orders", {"lines": [{**line, "term_months": None}]}, "lines[0].term_months"),
        ("POST", "/v1/orders", {"lines": [{**line, "quantity": None}]}, "lines[0].quantity"),
        ("POST", "/v1/orders", {"lines": None}, "lines"),
        ("POST", "/v1/orders", {"lines": [line], "vendor_id": None}, "vendor_id"),
        ("PUT", f"/v1/orders/{order['id']}", {"lines": [{**line, "product": None}]}, "product"),
        ("POST", f"/v1/orders/{order['id']}/cancel", {"reason": None}, "reason"),
        ("POST", f"/v1/orders/{order['id']}/cancel", {"reason": "   "}, "reason"),
        ("POST", f"/v1/orders/{order['id']}/payments", {"method": None}, "method"),
        ("POST", f"/v1/orders/{order['id']}/payments", {"method": "cash"}, "method"),
        ("POST", f"/v1/orders/{order['id']}/payments", {"amount": None}, "amount"),
    ]
    for method, path, body, field in refused:
        response = await client.request(method, path, json=body, headers=vendor.headers)
        await check_refused(response, field, path, body)
    for query in ({"status": ""}, {"vendor_id": ""}, {"limit": ""}, {"offset": " 1"}):
        response = await client.get("/v1/orders", params=query, headers=vendor.headers)
        await check_refused(response, next(iter(query)), query)
    listed = await client.get("/v1/orders", params={"status": "shipped"}, headers=vendor.headers)
    assert listed.status == 400
    # A code written to the end: the declared pattern alone would let a final newline by.
    newline = await client.post(
        "/v1/orders", json={"lines": [{**line, "product": "ACME\n"}]}, headers=vendor.headers
    )
    assert newline.status == 400


async def test_no_token_is_401_whatever_the_body(client):
    for body in (None, {"lines": None}, {"lines": []}):
        response = await client.post("/v1/orders", json=body)
        assert response.status == 401, (body, await response.text())


async def test_every_order_answer_is_as_documented(client, staff, vendor):
    spec = await served_document(client)
    await product(client, vendor)
    lines = [{"product": "ACME", "license_type": "SP1", "quantity": 2, "updates_months": 12}]
    placed = await client.post("/v1/orders", json={"lines": lines}, headers=vendor.headers)
    order = await ok(placed, 201)
    check_answer(spec, "POST", "/v1/orders", 201, order)
    one = f"/v1/orders/{order['id']}"
    listed = await client.get("/v1/orders", headers=vendor.headers)
    check_answer(spec, "GET", "/v1/orders", 200, await ok(listed))
    shown = await client.get(one, headers=vendor.headers)
    check_answer(spec, "GET", "/v1/orders/{order_id}", 200, await ok(shown))
    changed = await client.put(one, json={"lines": lines}, headers=vendor.headers)
    check_answer(spec, "PUT", "/v1/orders/{order_id}", 200, await ok(changed))
    invoiced = await client.post(f"{one}/invoice", headers=staff.headers)
    check_answer(spec, "POST", "/v1/orders/{order_id}/invoice", 200, await ok(invoiced))
    partly = await pay(client, staff, order["id"], "BANK-1", amount=1)
    check_answer(spec, "POST", "/v1/orders/{order_id}/payments", 201, await ok(partly, 201))
    again = await pay(client, staff, order["id"], "BANK-1", amount=1)
    check_answer(spec, "POST", "/v1/orders/{order_id}/payments", 200, await ok(again))
    paid = await pay(client, staff, order["id"], "BANK-2")
    check_answer(spec, "POST", "/v1/orders/{order_id}/payments", 201, await ok(paid, 201))
    serials = await client.get(f"{one}/serials", headers=vendor.headers)
    check_answer(spec, "GET", "/v1/orders/{order_id}/serials", 200, await ok(serials))
    other = await place(client, vendor)
    cancelled = await client.post(
        f"/v1/orders/{other['id']}/cancel",
        json={"reason": "changed our mind"},
        headers=vendor.headers,
    )
    check_answer(spec, "POST", "/v1/orders/{order_id}/cancel", 200, await ok(cancelled))
    missing = await client.get("/v1/orders/999999", headers=vendor.headers)
    check_answer(spec, "GET", "/v1/orders/{order_id}", 404, await ok(missing, 404))
