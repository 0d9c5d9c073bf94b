"""``Idempotency-Key`` on the vendor API: a repeated call takes effect once."""

from __future__ import annotations

import asyncio

from tests.vendor_portal.helpers import ok, product

LINES = {"lines": [{"product": "ACME", "license_type": "SP1", "quantity": 5}]}


def keyed(account, key: str) -> dict[str, str]:
    return {**account.headers, "Idempotency-Key": key}


async def order_count(client, account) -> int:
    return len((await ok(await client.get("/v1/orders", headers=account.headers)))["items"])


async def test_same_key_and_body_answers_the_first_result_again(client, vendor):
    await product(client, vendor)
    first = await client.post("/v1/orders", json=LINES, headers=keyed(vendor, "order-1"))
    first_body = await ok(first, 201)
    again = await client.post("/v1/orders", json=LINES, headers=keyed(vendor, "order-1"))
    assert await ok(again, 201) == first_body
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert await order_count(client, vendor) == 1


async def test_same_key_other_body_is_refused_with_422(client, vendor):
    await product(client, vendor)
    await ok(await client.post("/v1/orders", json=LINES, headers=keyed(vendor, "k")), 201)
    other = {"lines": [{"product": "ACME", "license_type": "SP1", "quantity": 6}]}
    refused = await client.post("/v1/orders", json=other, headers=keyed(vendor, "k"))
    body = await refused.json()
    assert refused.status == 422, body
    assert body["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert await order_count(client, vendor) == 1


async def test_concurrent_duplicates_create_one_order(client, vendor):
    await product(client, vendor)
    responses = await asyncio.gather(
        *[client.post("/v1/orders", json=LINES, headers=keyed(vendor, "burst")) for _ in range(6)]
    )
    bodies = [await ok(response, 201) for response in responses]
    assert len({body["id"] for body in bodies}) == 1
    assert await order_count(client, vendor) == 1


async def test_keys_are_per_user(client, vendor, other_vendor):
    await product(client, vendor)
    await product(client, other_vendor, "OTHER")
    other_lines = {"lines": [{"product": "OTHER", "license_type": "SP1", "quantity": 5}]}
    mine = await ok(await client.post("/v1/orders", json=LINES, headers=keyed(vendor, "x")), 201)
    theirs = await ok(
        await client.post("/v1/orders", json=other_lines, headers=keyed(other_vendor, "x")), 201
    )
    assert mine["id"] != theirs["id"]


async def test_a_refused_call_does_not_use_up_the_key(client, vendor):
    # No product yet: refused, and nothing is kept under the key.
    refused = await client.post("/v1/orders", json=LINES, headers=keyed(vendor, "retry"))
    assert refused.status == 404
    await product(client, vendor)
    await ok(await client.post("/v1/orders", json=LINES, headers=keyed(vendor, "retry")), 201)


async def test_without_the_header_every_call_takes_effect(client, vendor):
    await product(client, vendor)
    for _ in range(2):
        await ok(await client.post("/v1/orders", json=LINES, headers=vendor.headers), 201)
    assert await order_count(client, vendor) == 2


async def test_a_malformed_key_is_refused(client, vendor):
    response = await client.post("/v1/orders", json=LINES, headers=keyed(vendor, "x" * 300))
    assert response.status == 400
    assert (await response.json())["error"]["code"] == "INVALID_REQUEST"


async def test_top_up_with_a_key_credits_once(client, staff, vendor):
    vendor_id = (await ok(await client.get("/v1/me", headers=vendor.headers)))["vendor"]["id"]
    body = {"amount": 100000, "reference": "PP-1"}
    for _ in range(2):
        response = await client.post(
            f"/v1/vendors/{vendor_id}/top-ups", json=body, headers=keyed(staff, "topup")
        )
        assert response.status in (200, 201), await response.text()
    balance = await ok(await client.get("/v1/balance", headers=vendor.headers))
    assert balance["balance"] == 100000
