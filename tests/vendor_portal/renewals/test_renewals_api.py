"""/v1/renewals as declared: the upload as text or JSON, what the declared types refuse, and every
answer as the served document describes it."""

from __future__ import annotations

from tests.vendor_portal.conformance import check_answer
from tests.vendor_portal.declared import check_described, check_refused, served_document
from tests.vendor_portal.helpers import ok, product
from tests.vendor_portal.renewals.test_renewals import order, own_serials, quote
from vendor_portal.renewals.endpoints import ENDPOINTS


async def test_every_renewal_operation_is_described(client):
    spec = await served_document(client)
    check_described(spec, ENDPOINTS)
    body = spec["paths"]["/v1/renewals/quote"]["post"]["requestBody"]["content"]
    assert set(body) == {"application/json", "text/plain", "text/csv"}


async def test_the_upload_as_text_or_as_json_is_priced_alike(client, factory, vendor):
    await product(client, vendor)
    serials = await own_serials(factory, vendor, 2)
    as_text = await ok(await quote(client, vendor, "\n".join(serials), months=24))
    for body in ({"text": "\n".join(serials), "months": 24}, {"serials": serials, "months": 24}):
        as_json = await client.post("/v1/renewals/quote", json=body, headers=vendor.headers)
        assert await ok(as_json) == as_text
    # The body's months win over the query's.
    response = await client.post(
        "/v1/renewals/quote",
        json={"serials": serials, "months": 24},
        params={"months": 6},
        headers=vendor.headers,
    )
    assert (await ok(response))["months"] == 24


async def test_null_and_empty_values_are_refused(client, factory, vendor):
    await product(client, vendor)
    serials = await own_serials(factory, vendor, 1)
    quotes = [
        ({"text": None}, "text"),
        ({"serials": None}, "serials"),
        ({"serials": [1, 2]}, "serials[0]"),
        ({"text": serials[0], "months": None}, "months"),
        ({"text": serials[0], "months": 0}, "months"),
        ({"text": serials[0], "months": "12"}, "months"),
        ({}, "text"),
    ]
    for body, field in quotes:
        response = await client.post("/v1/renewals/quote", json=body, headers=vendor.headers)
        await check_refused(response, field, body)
    orders = [
        ({"serials": None}, "serials"),
        ({"serials": serials, "months": None}, "months"),
        ({"serials": serials, "vendor_id": None}, "vendor_id"),
        ({"serials": serials, "months": 37}, "months"),
    ]
    for body, field in orders:
        response = await client.post("/v1/renewals", json=body, headers=vendor.headers)
        await check_refused(response, field, body)
    for query in ({"months": ""}, {"months": "x"}, {"vendor_id": ""}):
        response = await quote(client, vendor, serials[0], **query)
        await check_refused(response, next(iter(query)), query)
    assert (await client.post("/v1/renewals", json=[serials], headers=vendor.headers)).status == 400


async def test_every_renewal_answer_is_as_documented(client, factory, vendor):
    spec = await served_document(client)
    await product(client, vendor)
    serials = await own_serials(factory, vendor, 3)
    upload = "\n".join([*serials, "not a serial", serials[0]])
    quoted = await ok(await quote(client, vendor, upload))
    assert quoted["refused"]
    check_answer(spec, "POST", "/v1/renewals/quote", 200, quoted)
    placed = await ok(await order(client, vendor, serials[:2]), 201)
    assert placed["renewals"]
    check_answer(spec, "POST", "/v1/renewals", 201, placed)
    locked = await order(client, vendor, serials[1:])
    check_answer(spec, "POST", "/v1/renewals", 409, await ok(locked, 409))
    shown = await client.get(f"/v1/orders/{placed['id']}", headers=vendor.headers)
    check_answer(spec, "GET", "/v1/orders/{order_id}", 200, await ok(shown))
    listed = await client.get("/v1/orders", headers=vendor.headers)
    check_answer(spec, "GET", "/v1/orders", 200, await ok(listed))
