"""Serial management: filters, one serial with activations, block and unblock, group work."""

from __future__ import annotations

from tests.conftest import fingerprint
from tests.vendor_portal.helpers import invoice, ok, pay, place, product


async def _fulfilled(client, staff, vendor, lines):
    order = await place(client, vendor, lines)
    await invoice(client, staff, order["id"])
    await ok(await pay(client, staff, order["id"], f"B-{order['id']}"), 201)
    body = await ok(await client.get(f"/v1/orders/{order['id']}/serials", headers=vendor.headers))
    return order["id"], [s["serial"] for s in body["serials"]]


async def test_filters_and_one_serial_with_activations(client, staff, vendor):
    await product(client, vendor)
    await product(client, vendor, "TOOL")
    first, sp1 = await _fulfilled(
        client, staff, vendor, [{"product": "ACME", "license_type": "SP1", "quantity": 4}]
    )
    second, sp5 = await _fulfilled(
        client, staff, vendor, [{"product": "TOOL", "license_type": "SP5", "quantity": 3}]
    )
    used = sp5[0]
    await client.post("/v1/activations", json={"serial": used, "fingerprint": fingerprint(1)})

    async def listing(query: str) -> list[str]:
        page = await ok(await client.get(f"/v1/serials?{query}", headers=vendor.headers))
        return sorted(item["serial"] for item in page["items"])

    assert await listing("") == sorted(sp1 + sp5)
    assert await listing(f"order_id={first}") == sorted(sp1)
    assert await listing("product=TOOL") == sorted(sp5)
    assert await listing("license_type=SP1") == sorted(sp1)
    assert await listing("usage=used") == [used]
    assert await listing("usage=unused") == sorted(sp1 + sp5[1:])
    assert await listing(f"q={used[6:14].lower()}") == [used]
    page = await ok(await client.get("/v1/serials?limit=2&offset=2", headers=vendor.headers))
    assert page["total"] == 7 and len(page["items"]) == 2

    one = await ok(await client.get(f"/v1/serials/{used.lower()}", headers=vendor.headers))
    assert one["activations"] == {"used": 1, "limit": 5}
    assert one["activation_list"][0]["fingerprint"] == fingerprint(1)
    assert one["order_id"] == second


async def test_block_refuses_activation_and_is_audited(client, staff, vendor):
    await product(client, vendor)
    _, serials = await _fulfilled(
        client, staff, vendor, [{"product": "ACME", "license_type": "SP3", "quantity": 1}]
    )
    serial = serials[0]
    blocked = await ok(
        await client.post(
            f"/v1/serials/{serial}/block", json={"reason": "chargeback"}, headers=vendor.headers
        )
    )
    assert blocked["status"] == "blocked"
    refused = await client.post(
        "/v1/activations", json={"serial": serial, "fingerprint": fingerprint(3)}
    )
    assert (await refused.json())["error"]["code"] == "SERIAL_BLOCKED"
    listed = await ok(await client.get("/v1/serials?status=blocked", headers=vendor.headers))
    assert [item["serial"] for item in listed["items"]] == [serial]
    await ok(await client.post(f"/v1/serials/{serial}/unblock", headers=vendor.headers))
    assert (
        await client.post("/v1/activations", json={"serial": serial, "fingerprint": fingerprint(3)})
    ).status == 201
    audit = await ok(await client.get(f"/v1/audit?subject=serial:{serial}", headers=vendor.headers))
    assert [e["action"] for e in audit["items"]] == ["serial.active", "serial.blocked"]
    assert audit["items"][1]["details"]["reason"] == "chargeback"
    assert audit["items"][0]["address"] is not None


async def test_group_work_checks_lines_and_blocks_the_valid_ones(
    client, staff, vendor, other_vendor
):
    await product(client, vendor)
    await product(client, other_vendor, "BEE")
    _, mine = await _fulfilled(
        client, staff, vendor, [{"product": "ACME", "license_type": "SP1", "quantity": 3}]
    )
    _, theirs = await _fulfilled(
        client, staff, other_vendor, [{"product": "BEE", "license_type": "SP1", "quantity": 1}]
    )
    text = "\n".join(
        [
            "serial",
            mine[0],
            mine[1].lower().replace("-", " "),
            "not-a-serial",
            theirs[0],
            "01234-56789-ABCDE-FGHJS",
            mine[0],
            "",
        ]
    )
    checked = await ok(
        await client.post(
            "/v1/serials/bulk", json={"action": "check", "text": text}, headers=vendor.headers
        )
    )
    assert [line["result"] for line in checked["lines"]] == [
        "ok",
        "ok",
        "malformed",
        "unknown",  # another vendor's serial: as if it did not exist
        "unknown",
        "duplicate",
    ]
    assert checked["lines"][0]["line"] == 2 and checked["changed"] == 0

    response = await client.post(
        "/v1/serials/bulk?action=block",
        data=text.encode(),
        headers={**vendor.headers, "Content-Type": "text/csv"},
    )
    blocked = await ok(response)
    assert blocked["changed"] == 2
    statuses = await ok(await client.get("/v1/serials?status=blocked", headers=vendor.headers))
    assert sorted(s["serial"] for s in statuses["items"]) == sorted(mine[:2])
    theirs_now = await ok(
        await client.get(f"/v1/serials/{theirs[0]}", headers=other_vendor.headers)
    )
    assert theirs_now["status"] == "active"
    unblocked = await ok(
        await client.post(
            "/v1/serials/bulk", json={"action": "unblock", "serials": mine}, headers=vendor.headers
        )
    )
    assert unblocked["changed"] == 2

    # A wrong action in the query is refused even when the body is JSON and names its own.
    for query in ("?action=burn", "?action=BLOCK"):
        response = await client.post(
            "/v1/serials/bulk" + query,
            json={"action": "check", "serials": mine},
            headers=vendor.headers,
        )
        assert response.status == 400, query
        assert (await response.json())["error"]["code"] == "INVALID_REQUEST"
