"""Balances, top-ups and prepayment invoices as declared: the ledger and invoice lists' envelope,
what the declared types refuse, and every answer as the served document describes it."""

from __future__ import annotations

from tests.vendor_portal.conformance import check_answer
from tests.vendor_portal.declared import (
    check_described,
    check_page,
    check_refused,
    served_document,
)
from tests.vendor_portal.helpers import ok
from vendor_portal.balances.endpoints import ENDPOINTS


async def top_up(client, staff, vendor, amount, reference):
    return await client.post(
        f"/v1/vendors/{vendor.vendor_id}/top-ups",
        json={"amount": amount, "reference": reference},
        headers=staff.headers,
    )


async def test_every_balance_operation_is_described(client):
    check_described(await served_document(client), ENDPOINTS)


async def test_the_ledger_counts_every_entry_and_keeps_its_old_key(
    client, staff, vendor, other_vendor
):
    for number in range(4):
        await ok(await top_up(client, staff, vendor, 100 + number, f"BANK-{number}"), 201)
    await ok(await top_up(client, staff, other_vendor, 5, "BANK-OTHER"), 201)
    whole = await ok(await client.get("/v1/balance", headers=vendor.headers))
    entries = check_page(whole, total=4, limit=100, offset=0)
    assert whole["ledger"] == entries
    assert [entry["amount"] for entry in entries] == [103, 102, 101, 100]
    assert whole["balance"] == 406
    page = await ok(
        await client.get("/v1/balance", params={"limit": 2, "offset": 1}, headers=vendor.headers)
    )
    assert check_page(page, total=4, limit=2, offset=1) == entries[1:3]
    assert page["ledger"] == page["items"]
    staff_view = await client.get(
        f"/v1/vendors/{vendor.vendor_id}/balance", params={"offset": 3}, headers=staff.headers
    )
    assert check_page(await ok(staff_view), total=4, limit=100, offset=3) == entries[3:]


async def test_prepayment_invoices_are_paged_with_their_total(client, staff, vendor, other_vendor):
    for amount in (1000, 2000, 3000):
        await ok(
            await client.post(
                "/v1/balance/prepayment-invoices", json={"amount": amount}, headers=vendor.headers
            ),
            201,
        )
    await ok(
        await client.post(
            "/v1/balance/prepayment-invoices", json={"amount": 7}, headers=other_vendor.headers
        ),
        201,
    )
    path = "/v1/balance/prepayment-invoices"
    whole = await ok(await client.get(path, headers=vendor.headers))
    invoices = check_page(whole, total=3, limit=100, offset=0)
    assert [invoice["amount"] for invoice in invoices] == [3000, 2000, 1000]
    page = await ok(
        await client.get(path, params={"limit": 1, "offset": 2}, headers=vendor.headers)
    )
    assert check_page(page, total=3, limit=1, offset=2) == invoices[2:]
    for_staff = await client.get(
        path, params={"vendor_id": other_vendor.vendor_id}, headers=staff.headers
    )
    check_page(await ok(for_staff), total=1, limit=100, offset=0)
    # Staff belong to no company: they name one.
    assert (await client.get(path, headers=staff.headers)).status == 400


async def test_null_and_empty_values_are_refused(client, staff, vendor):
    bodies = [
        (f"/v1/vendors/{vendor.vendor_id}/top-ups", {"amount": None, "reference": "R"}, "amount"),
        (f"/v1/vendors/{vendor.vendor_id}/top-ups", {"amount": 1, "reference": None}, "reference"),
        (f"/v1/vendors/{vendor.vendor_id}/top-ups", {"amount": 1, "reference": "  "}, "reference"),
        (f"/v1/vendors/{vendor.vendor_id}/top-ups", {"amount": 0, "reference": "R"}, "amount"),
        ("/v1/balance/prepayment-invoices", {"amount": 10, "vendor_id": None}, "vendor_id"),
        ("/v1/balance/prepayment-invoices", {"amount": "10", "vendor_id": 1}, "amount"),
        ("/v1/prepayment-invoices/1/payments", {"reference": None}, "reference"),
    ]
    for path, body, field in bodies:
        response = await client.post(path, json=body, headers=staff.headers)
        await check_refused(response, field, path, body)
    for path, query in [
        ("/v1/balance", {"limit": ""}),
        ("/v1/balance", {"offset": "-1"}),
        ("/v1/balance/prepayment-invoices", {"vendor_id": ""}),
        ("/v1/balance/prepayment-invoices", {"limit": "1001"}),
    ]:
        response = await client.get(path, params=query, headers=vendor.headers)
        await check_refused(response, next(iter(query)), path, query)


async def test_a_vendor_is_refused_staff_actions_whatever_the_body(client, vendor):
    for path in (f"/v1/vendors/{vendor.vendor_id}/top-ups", "/v1/prepayment-invoices/1/payments"):
        for body in ({}, {"amount": None}, {"amount": 1, "reference": "R"}):
            response = await client.post(path, json=body, headers=vendor.headers)
            assert response.status == 403, (path, body, await response.text())


async def test_every_balance_answer_is_as_documented(client, staff, vendor):
    spec = await served_document(client)
    created = await top_up(client, staff, vendor, 500, "BANK-A")
    check_answer(spec, "POST", "/v1/vendors/{vendor_id}/top-ups", 201, await ok(created, 201))
    repeated = await top_up(client, staff, vendor, 500, "BANK-A")
    check_answer(spec, "POST", "/v1/vendors/{vendor_id}/top-ups", 200, await ok(repeated))
    own = await client.get("/v1/balance", headers=vendor.headers)
    check_answer(spec, "GET", "/v1/balance", 200, await ok(own))
    theirs = await client.get(f"/v1/vendors/{vendor.vendor_id}/balance", headers=staff.headers)
    check_answer(spec, "GET", "/v1/vendors/{vendor_id}/balance", 200, await ok(theirs))
    requested = await client.post(
        "/v1/balance/prepayment-invoices", json={"amount": 900}, headers=vendor.headers
    )
    invoice = await ok(requested, 201)
    check_answer(spec, "POST", "/v1/balance/prepayment-invoices", 201, invoice)
    listed = await client.get("/v1/balance/prepayment-invoices", headers=vendor.headers)
    check_answer(spec, "GET", "/v1/balance/prepayment-invoices", 200, await ok(listed))
    path = "/v1/prepayment-invoices/{number}/payments"
    concrete = f"/v1/prepayment-invoices/{invoice['number']}/payments"
    paid = await client.post(concrete, json={"reference": "BANK-B"}, headers=staff.headers)
    check_answer(spec, "POST", path, 201, await ok(paid, 201))
    again = await client.post(concrete, json={"reference": "BANK-B"}, headers=staff.headers)
    check_answer(spec, "POST", path, 200, await ok(again))
    other = await client.post(concrete, json={"reference": "BANK-C"}, headers=staff.headers)
    check_answer(spec, "POST", path, 409, await ok(other, 409))
    missing = await client.get("/v1/vendors/999999/balance", headers=staff.headers)
    check_answer(spec, "GET", "/v1/vendors/{vendor_id}/balance", 404, await ok(missing, 404))
