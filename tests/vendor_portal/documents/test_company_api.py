"""GET and PUT /v1/company as declared: what the declared types refuse, and every answer as the
served document describes it."""

from __future__ import annotations

from tests.vendor_portal.conformance import check_answer
from tests.vendor_portal.declared import check_described, check_refused, served_document
from tests.vendor_portal.helpers import ok
from vendor_portal.documents.endpoints import ENDPOINTS
from vendor_portal.documents.service import MAX_LENGTHS


async def test_every_company_operation_is_described(client):
    check_described(await served_document(client), ENDPOINTS)


async def test_requisites_are_replaced_whole_and_refused_as_before(
    client, staff, vendor, other_vendor
):
    spec = await served_document(client)
    sent = {"legal_name": "  Vendor A LLC ", "tax_id": "7701234567", "billing_email": ""}
    saved = await ok(await client.put("/v1/company", json=sent, headers=vendor.headers))
    check_answer(spec, "PUT", "/v1/company", 200, saved)
    assert (saved["legal_name"], saved["tax_id"], saved["address"]) == (
        "Vendor A LLC",
        "7701234567",
        "",
    )
    assert saved["vendor_id"] == vendor.vendor_id
    read = await ok(await client.get("/v1/company", headers=vendor.headers))
    check_answer(spec, "GET", "/v1/company", 200, read)
    assert read == saved
    # Left out is cleared: the body is every requisite.
    cleared = await ok(await client.put("/v1/company", json={}, headers=vendor.headers))
    assert cleared["legal_name"] == cleared["tax_id"] == ""
    for body, field in [
        ({"legal_name": None}, "legal_name"),
        ({"tax_id": 7701234567}, "tax_id"),
        ({"tax_id": "1" * (MAX_LENGTHS["tax_id"] + 1)}, "tax_id"),
    ]:
        response = await client.put("/v1/company", json=body, headers=vendor.headers)
        await check_refused(response, field, body)
    for query in ({"vendor_id": ""}, {"vendor_id": "0"}, {"vendor_id": "1e3"}):
        response = await client.get("/v1/company", params=query, headers=staff.headers)
        assert response.status == 400, (query, await response.text())
    # Staff name the company; a vendor asking for another company's finds none.
    assert (await client.get("/v1/company", headers=staff.headers)).status == 400
    theirs = await client.get(
        "/v1/company", params={"vendor_id": other_vendor.vendor_id}, headers=staff.headers
    )
    assert (await ok(theirs))["vendor_id"] == other_vendor.vendor_id
    hidden = await client.get(
        "/v1/company", params={"vendor_id": other_vendor.vendor_id}, headers=vendor.headers
    )
    check_answer(spec, "GET", "/v1/company", 404, await ok(hidden, 404))
