"""The order life cycle through the API: placed → invoiced → fulfilled, or cancelled."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.conftest import fingerprint
from tests.vendor_portal.helpers import invoice, ok, pay, place, product


async def test_life_cycle_generates_exactly_the_ordered_serials(client, staff, vendor):
    await product(client, vendor)
    order = await place(
        client,
        vendor,
        [
            {"product": "ACME", "license_type": "SP1", "quantity": 50},
            {"product": "ACME", "license_type": "SP3", "quantity": 3, "features": ["export"]},
        ],
    )
    assert order["status"] == "placed"
    assert order["lines"][0]["amount"] == 50 * 22000  # the seed: 50 x SP1 = 11 000.00 RUB
    assert order["total"] == 50 * 22000 + 3 * 55000
    assert order["currency"] == "RUB"

    invoiced = await invoice(client, staff, order["id"])
    assert invoiced["status"] == "invoiced"
    assert invoiced["invoice_number"] == 1
    assert invoiced["due"] == order["total"]

    fulfilled = await ok(await pay(client, staff, order["id"], "BANK-0001"), 201)
    assert fulfilled["status"] == "fulfilled"
    assert [(e["from"], e["to"]) for e in fulfilled["history"]] == [
        (None, "placed"),
        ("placed", "invoiced"),
        ("invoiced", "fulfilled"),
    ]
    assert all(e["actor"].startswith("user:") for e in fulfilled["history"])

    serials = await ok(
        await client.get(f"/v1/orders/{order['id']}/serials", headers=vendor.headers)
    )
    by_type: dict[str, list[dict]] = {}
    for serial in serials["serials"]:
        by_type.setdefault(serial["license_type"], []).append(serial)
    assert len(by_type["SP1"]) == 50 and len(by_type["SP3"]) == 3
    assert {tuple(s["features"]) for s in by_type["SP3"]} == {("export",)}
    assert {tuple(s["features"]) for s in by_type["SP1"]} == {("export", "print")}

    # The serials work on the activation API, with exactly their features.
    serial = by_type["SP3"][0]["serial"]
    activation = await client.post(
        "/v1/activations", json={"serial": serial, "fingerprint": fingerprint(1)}
    )
    assert activation.status == 201
    refused = await client.post(
        "/v1/activations",
        json={"serial": serial, "fingerprint": fingerprint(2), "features": ["print"]},
    )
    assert refused.status == 403

    csv_answer = await client.get(
        f"/v1/orders/{order['id']}/serials", headers={**vendor.headers, "Accept": "text/csv"}
    )
    assert csv_answer.content_type == "text/csv"
    lines = (await csv_answer.text()).strip().splitlines()
    assert lines[0].startswith("serial,product,license_type")
    assert len(lines) == 1 + 53

    listed = await ok(await client.get("/v1/orders", headers=vendor.headers))
    assert [o["id"] for o in listed["items"]] == [order["id"]]


async def test_numbers_are_sequential_and_newest_first(client, staff, vendor):
    await product(client, vendor)
    first = await place(client, vendor)
    second = await place(client, vendor)
    assert second["number"] == first["number"] + 1
    listed = await ok(await client.get("/v1/orders", headers=vendor.headers))
    assert [o["number"] for o in listed["items"]] == [second["number"], first["number"]]
    b = await invoice(client, staff, second["id"])
    a = await invoice(client, staff, first["id"])
    assert (b["invoice_number"], a["invoice_number"]) == (1, 2)


async def test_discount_is_taken_off_the_total(client, staff, vendor):
    await ok(
        await client.patch(
            f"/v1/vendors/{vendor.vendor_id}", json={"discount_percent": 15}, headers=staff.headers
        )
    )
    await product(client, vendor)
    order = await place(client, vendor, [{"product": "ACME", "license_type": "SP5", "quantity": 3}])
    assert order["subtotal"] == 3 * 80000
    assert order["discount_percent"] == 15
    assert order["discount"] == 36000
    assert order["total"] == 204000
    price_list = await ok(await client.get("/v1/price-list", headers=vendor.headers))
    assert price_list["discount_percent"] == 15


async def test_vendor_edits_and_cancels_its_placed_order(client, staff, vendor):
    await product(client, vendor)
    order = await place(client, vendor)
    edited = await ok(
        await client.put(
            f"/v1/orders/{order['id']}",
            json={"lines": [{"product": "ACME", "license_type": "SP3", "quantity": 2}]},
            headers=vendor.headers,
        )
    )
    assert edited["total"] == 2 * 55000 and edited["quantity"] == 2
    cancelled = await ok(
        await client.post(
            f"/v1/orders/{order['id']}/cancel", json={"reason": "wrong"}, headers=vendor.headers
        )
    )
    assert cancelled["status"] == "cancelled"
    assert cancelled["history"][-1]["note"] == "wrong"


FORBIDDEN = [
    # (state, who, action)
    ("invoiced", "vendor", "edit"),
    ("invoiced", "staff", "invoice"),
    ("invoiced", "vendor", "cancel"),
    ("placed", "staff", "pay"),
    ("fulfilled", "staff", "invoice"),
    ("fulfilled", "staff", "cancel"),
    ("fulfilled", "vendor", "cancel"),
    ("fulfilled", "staff", "pay"),
    ("fulfilled", "vendor", "edit"),
    ("cancelled", "staff", "invoice"),
    ("cancelled", "staff", "cancel"),
    ("cancelled", "staff", "pay"),
    ("cancelled", "vendor", "edit"),
    ("cancelled", "vendor", "pay_balance"),
]


@pytest.mark.parametrize(("state", "who", "action"), FORBIDDEN)
async def test_forbidden_transitions_answer_409_naming_the_status(
    client, staff, vendor, state, who, action
):
    await product(client, vendor)
    order = await place(client, vendor)
    order_id = order["id"]
    if state in ("invoiced", "fulfilled"):
        await invoice(client, staff, order_id)
    if state == "fulfilled":
        await ok(await pay(client, staff, order_id, "BANK-F"), 201)
    if state == "cancelled":
        await ok(await client.post(f"/v1/orders/{order_id}/cancel", headers=staff.headers))
    account = staff if who == "staff" else vendor
    base = f"/v1/orders/{order_id}"
    requests = {
        "edit": lambda: client.put(
            base,
            json={"lines": [{"product": "ACME", "license_type": "SP1", "quantity": 1}]},
            headers=account.headers,
        ),
        "invoice": lambda: client.post(base + "/invoice", headers=account.headers),
        "cancel": lambda: client.post(base + "/cancel", headers=account.headers),
        "pay": lambda: pay(client, account, order_id, "BANK-OTHER"),
        "pay_balance": lambda: client.post(
            base + "/payments", json={"method": "balance"}, headers=account.headers
        ),
    }
    response = await requests[action]()
    body = await response.json()
    assert response.status == 409, body
    assert body["error"]["code"] == "ORDER_STATE_CONFLICT"
    assert body["error"]["status"] == state
    assert state in body["error"]["message"]


async def test_same_payment_reference_twice_changes_nothing(client, staff, vendor, pool):
    await product(client, vendor)
    order = await place(client, vendor)
    await invoice(client, staff, order["id"])
    first = await ok(await pay(client, staff, order["id"], "BANK-7"), 201)
    again = await ok(await pay(client, staff, order["id"], "BANK-7"), 200)
    assert again == first
    async with pool.acquire() as connection:
        assert await connection.fetchval("SELECT count(*) FROM serials") == 50
        assert await connection.fetchval("SELECT count(*) FROM payments") == 1
    other = await place(client, vendor)
    await invoice(client, staff, other["id"])
    reused = await pay(client, staff, other["id"], "BANK-7")
    assert reused.status == 409
    assert (await reused.json())["error"]["code"] == "PAYMENT_REFERENCE_USED"


async def test_partial_payments_then_overpayment_goes_to_the_balance(client, staff, vendor):
    await product(client, vendor)
    order = await place(client, vendor)  # 1 100 000
    await invoice(client, staff, order["id"])
    part = await ok(await pay(client, staff, order["id"], "P1", amount=600000), 201)
    assert part["status"] == "invoiced" and part["due"] == 500000
    done = await ok(await pay(client, staff, order["id"], "P2", amount=700000), 201)
    assert done["status"] == "fulfilled"
    balance = await ok(await client.get("/v1/balance", headers=vendor.headers))
    assert balance["balance"] == 200000
    assert balance["ledger"][0]["kind"] == "overpayment"


async def test_two_concurrent_payments_fulfil_once(client, staff, vendor, pool):
    await product(client, vendor)
    order = await place(
        client, vendor, [{"product": "ACME", "license_type": "SP1", "quantity": 2000}]
    )
    await invoice(client, staff, order["id"])
    responses = await asyncio.gather(
        pay(client, staff, order["id"], "BANK-A"),
        pay(client, staff, order["id"], "BANK-B"),
        pay(client, staff, order["id"], "BANK-A"),
    )
    statuses = sorted(r.status for r in responses)
    # One new payment fulfils; the other reference finds the order fulfilled; the repeat of the
    # first is either the repeat (200) or, if it ran first, the fulfilment itself.
    assert statuses.count(201) == 1
    assert 409 in statuses
    async with pool.acquire() as connection:
        assert await connection.fetchval("SELECT count(*) FROM serials") == 2000
        assert (
            await connection.fetchval(
                "SELECT count(*) FROM order_events WHERE to_status = 'fulfilled'"
            )
            == 1
        )


async def test_prepaid_balance_pays_an_invoice_at_once(client, staff, vendor):
    await product(client, vendor)
    order = await place(client, vendor)
    await invoice(client, staff, order["id"])
    short = await client.post(
        f"/v1/orders/{order['id']}/payments", json={"method": "balance"}, headers=vendor.headers
    )
    assert short.status == 409
    assert (await short.json())["error"]["code"] == "INSUFFICIENT_BALANCE"
    top_up = f"/v1/vendors/{vendor.vendor_id}/top-ups"
    entry = await ok(
        await client.post(
            top_up, json={"amount": 2_000_000, "reference": "PP-1"}, headers=staff.headers
        ),
        201,
    )
    repeat = await ok(
        await client.post(
            top_up, json={"amount": 2_000_000, "reference": "PP-1"}, headers=staff.headers
        ),
        200,
    )
    assert repeat == entry
    paid = await ok(
        await client.post(
            f"/v1/orders/{order['id']}/payments", json={"method": "balance"}, headers=vendor.headers
        ),
        201,
    )
    assert paid["status"] == "fulfilled"
    again = await client.post(
        f"/v1/orders/{order['id']}/payments", json={"method": "balance"}, headers=vendor.headers
    )
    assert again.status == 200
    balance = await ok(
        await client.get(f"/v1/vendors/{vendor.vendor_id}/balance", headers=vendor.headers)
    )
    assert balance["balance"] == 2_000_000 - 1_100_000
    assert [e["kind"] for e in balance["ledger"]] == ["order_payment", "top_up"]
    assert balance["ledger"][0]["amount"] == -1_100_000


async def test_staff_cancel_of_a_partly_paid_invoice_refunds_to_the_balance(client, staff, vendor):
    await product(client, vendor)
    order = await place(client, vendor)
    await invoice(client, staff, order["id"])
    await ok(await pay(client, staff, order["id"], "P1", amount=100), 201)
    cancelled = await ok(
        await client.post(f"/v1/orders/{order['id']}/cancel", headers=staff.headers)
    )
    assert cancelled["status"] == "cancelled"
    balance = await ok(await client.get("/v1/balance", headers=vendor.headers))
    assert balance["balance"] == 100 and balance["ledger"][0]["kind"] == "refund"


async def test_order_lines_are_checked(client, vendor):
    await product(client, vendor)
    cases = [
        [{"product": "ACME", "license_type": "SP9", "quantity": 1}],
        [{"product": "ACME", "license_type": "SP1", "quantity": 0}],
        [{"product": "ACME", "license_type": "SP1", "quantity": 100_001}],
        [{"product": "ACME", "license_type": "SP1", "quantity": True}],
        [{"product": "ACME", "license_type": "SP1", "quantity": 1, "features": ["nope"]}],
        [{"product": "", "license_type": "SP1", "quantity": 1}],
        [],
        ["x"],
    ]
    for lines in cases:
        response = await client.post("/v1/orders", json={"lines": lines}, headers=vendor.headers)
        assert response.status == 400, (lines, await response.text())
    missing = await client.post(
        "/v1/orders",
        json={"lines": [{"product": "NOPE", "license_type": "SP1", "quantity": 1}]},
        headers=vendor.headers,
    )
    assert missing.status == 404


async def test_fulfilling_10000_serials_keeps_serving_others(client, staff, vendor, pool):
    await product(client, vendor)
    order = await place(
        client, vendor, [{"product": "ACME", "license_type": "SP3", "quantity": 10_000}]
    )
    await invoice(client, staff, order["id"])
    latencies: list[float] = []
    done = asyncio.Event()

    async def probe() -> None:
        while not done.is_set():
            started = time.perf_counter()
            response = await client.get("/healthz")
            assert response.status == 200
            latencies.append(time.perf_counter() - started)
            await asyncio.sleep(0.01)

    prober = asyncio.create_task(probe())
    started = time.perf_counter()
    paid = await ok(await pay(client, staff, order["id"], "BIG-1"), 201)
    elapsed = time.perf_counter() - started
    done.set()
    await prober
    assert paid["status"] == "fulfilled"
    async with pool.acquire() as connection:
        assert await connection.fetchval("SELECT count(*) FROM serials") == 10_000
    print(
        f"fulfilled 10 000 serials in {elapsed:.3f} s; "
        f"{len(latencies)} probes, slowest {max(latencies) * 1000:.0f} ms"
    )
    assert len(latencies) >= 3
    assert max(latencies) < max(0.5, elapsed / 2)
