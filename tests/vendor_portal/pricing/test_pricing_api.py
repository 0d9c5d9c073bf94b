"""The price list's operations of the vendor API as declared: answers as the document says,
staff actions refused to a vendor before the body is read, nulls refused."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from tests.conftest import Account
from tests.vendor_portal.helpers import answers_as_documented


async def test_every_pricing_operation_answers_as_documented(
    client: TestClient, staff: Account, vendor: Account
) -> None:
    async def check(
        method: str, template: str, path: str, status: int, account: Account = staff, **kw: Any
    ) -> Any:
        return await answers_as_documented(
            client, method, template, path, status, account.headers, **kw
        )

    await check("GET", "/v1/price-list", "/v1/price-list", 200, vendor)
    price = "/v1/price-list/{license_type}"
    changed = await check("PUT", price, "/v1/price-list/SP1", 200, json={"unit_price": 123})
    assert {i["license_type"]: i["unit_price"] for i in changed["items"]}["SP1"] == 123
    await check("PUT", price, "/v1/price-list/NOPE", 404, json={"unit_price": 1})
    for body in ({}, {"unit_price": None}, {"unit_price": -1}):
        await check("PUT", price, "/v1/price-list/SP1", 403, vendor, json=body)
        await check("PUT", price, "/v1/price-list/SP1", 400, json=body)
    subscriptions = "/v1/price-list/subscriptions/{license_type}"
    amounts = {"update_first": 100, "update_renewal": 80, "term_month": 10}
    listed = await check(
        "PUT", subscriptions, "/v1/price-list/subscriptions/SP3", 200, json=amounts
    )
    assert listed["subscriptions"][0]["product"] is None
    await check(
        "PUT",
        subscriptions,
        "/v1/price-list/subscriptions/SP3",
        400,
        json={**amounts, "term_month": None},
    )
    tier = "/v1/partner-tiers/{code}"
    tiers = await check(
        "PUT", tier, "/v1/partner-tiers/oak", 200, json={"name": "Oak", "discount_percent": 30}
    )
    assert {"code": "oak", "name": "Oak", "discount_percent": 30} in tiers["tiers"]
    await check(
        "PUT", tier, "/v1/partner-tiers/oak", 400, json={"name": " ", "discount_percent": 1}
    )
    assigned = "/v1/vendors/{vendor_id}/partner-tier"
    path = f"/v1/vendors/{vendor.vendor_id}/partner-tier"
    assert await check("PUT", assigned, path, 200, json={"tier": "oak"}) == {
        "vendor_id": vendor.vendor_id,
        "tier": "oak",
    }
    await check("PUT", assigned, path, 404, json={"tier": "nosuch"})
    await check("PUT", assigned, path, 400, json={})
    assert (await check("PUT", assigned, path, 200, json={"tier": None}))["tier"] is None
