"""GET /v1/audit as declared: the list envelope counts every matching entry, what the declared
query refuses, and the answer as the served document describes it."""

from __future__ import annotations

from tests.vendor_portal.conformance import check_answer
from tests.vendor_portal.declared import (
    check_described,
    check_page,
    check_refused,
    served_document,
)
from tests.vendor_portal.helpers import ok, product
from vendor_portal.audit.endpoints import ENDPOINTS


async def count(pool, vendor_id=None, action=None):
    async with pool.acquire() as connection:
        return await connection.fetchval(
            "SELECT count(*) FROM audit_log WHERE ($1::bigint IS NULL OR vendor_id = $1)"
            " AND ($2::text IS NULL OR action = $2)",
            vendor_id,
            action,
        )


async def test_every_audit_operation_is_described(client):
    check_described(await served_document(client), ENDPOINTS)


async def test_the_audit_list_counts_every_matching_entry(
    client, pool, staff, vendor, other_vendor
):
    for code in ("ONE", "TWO", "THREE"):
        await product(client, vendor, code)
    await product(client, other_vendor, "OTHER")
    own = await count(pool, vendor.vendor_id)
    created = await count(pool, vendor.vendor_id, "product.created")
    assert own >= 3 and created == 3

    def listed(account, **query):
        return client.get("/v1/audit", params=query, headers=account.headers)

    whole = await ok(await listed(vendor))
    entries = check_page(whole, total=own, limit=100, offset=0)
    assert {entry["vendor_id"] for entry in entries} == {vendor.vendor_id}
    page = await ok(await listed(vendor, limit=2, offset=1))
    assert check_page(page, total=own, limit=2, offset=1) == entries[1:3]
    only = await ok(await listed(vendor, action="product.created", limit=1))
    check_page(only, total=created, limit=1, offset=0)
    # A vendor's vendor_id is its own whatever it asks; staff see one company or all.
    asked = await ok(await listed(vendor, vendor_id=other_vendor.vendor_id))
    check_page(asked, total=own, limit=100, offset=0)
    theirs = await ok(await listed(staff, vendor_id=other_vendor.vendor_id))
    check_page(theirs, total=await count(pool, other_vendor.vendor_id), limit=100, offset=0)
    everything = await ok(await listed(staff, limit=1000))
    check_page(everything, total=await count(pool), limit=1000, offset=0)
    check_answer(await served_document(client), "GET", "/v1/audit", 200, everything)


async def test_empty_and_unstorable_query_values_are_refused(client, vendor):
    for query in (
        {"action": ""},
        {"action": "   "},
        {"action": "x" * 65},
        {"vendor_id": ""},
        {"limit": "0"},
        {"offset": "1.5"},
    ):
        response = await client.get("/v1/audit", params=query, headers=vendor.headers)
        await check_refused(response, next(iter(query)), query)
    # A NUL is refused with the rest of the address, before any handler.
    response = await client.get("/v1/audit", params={"subject": "a\x00b"}, headers=vendor.headers)
    assert response.status == 400
