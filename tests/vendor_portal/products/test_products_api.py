"""The products' operations of the vendor API as declared: answers as the document says, the
list's envelope, and what the declared types refuse."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from tests.conftest import Account
from tests.vendor_portal.helpers import answers_as_documented, ok


async def test_every_product_operation_answers_as_documented(
    client: TestClient, staff: Account, vendor: Account, other_vendor: Account
) -> None:
    async def check(
        method: str, template: str, path: str, status: int, account: Account = vendor, **kw: Any
    ) -> Any:
        return await answers_as_documented(
            client, method, template, path, status, account.headers, **kw
        )

    created = await check(
        "POST", "/v1/products", "/v1/products", 201, json={"code": "CAD", "name": "CAD"}
    )
    assert created["features"] == [] and created["transfer_budget"] is None
    await check("POST", "/v1/products", "/v1/products", 409, json={"code": "CAD", "name": "x"})
    one = "/v1/products/{code}"
    await check("GET", one, "/v1/products/CAD", 200)
    await check("GET", one, "/v1/products/CAD", 404, other_vendor)
    changed = await check(
        "PATCH",
        one,
        "/v1/products/CAD",
        200,
        json={"features": ["b", "a", "b"], "transfer_budget": 3, "self_service": None},
    )
    assert changed["features"] == ["a", "b"] and changed["transfer_budget"] == 3
    await check("PATCH", one, "/v1/products/CAD", 400, json={"self_service": None})
    listed = await check("GET", "/v1/products", "/v1/products", 200, staff)
    assert listed["items"][0]["code"] == "CAD"


async def test_the_product_list_counts_every_match_past_its_page(
    client: TestClient, staff: Account, vendor: Account, other_vendor: Account
) -> None:
    mine = [f"P{n}" for n in range(5)]
    for code in mine:
        await ok(
            await client.post(
                "/v1/products", json={"code": code, "name": code}, headers=vendor.headers
            ),
            201,
        )
    await ok(
        await client.post(
            "/v1/products", json={"code": "THEIRS", "name": "x"}, headers=other_vendor.headers
        ),
        201,
    )
    page = await ok(await client.get("/v1/products?limit=2&offset=2", headers=vendor.headers))
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 2)
    assert [item["code"] for item in page["items"]] == mine[2:4]
    everything = await ok(await client.get("/v1/products", headers=staff.headers))
    assert everything["total"] == 6 and everything["limit"] == 100
    one = await ok(
        await client.get(f"/v1/products?vendor_id={vendor.vendor_id}", headers=staff.headers)
    )
    assert one["total"] == 5


async def test_null_and_empty_values_are_refused_and_name_the_field(
    client: TestClient, vendor: Account
) -> None:
    refused: list[tuple[str, str, Any, str]] = [
        ("POST", "/v1/products", {"code": "N", "name": None}, "name"),
        ("POST", "/v1/products", {"code": "N", "name": "   "}, "name"),
        ("POST", "/v1/products", {"code": "N", "name": "n", "features": None}, "features"),
        ("POST", "/v1/products", {"code": "N\n", "name": "n"}, "code"),
        ("POST", "/v1/products", {"code": "N", "name": "n", "features": ["a\n"]}, "a"),
        ("PATCH", "/v1/products/ACME", {"name": None}, "name"),
        ("PATCH", "/v1/products/ACME", {"grace_days": None}, "grace_days"),
        ("PATCH", "/v1/products/ACME", {"binding_tolerance": 3}, "binding_tolerance"),
    ]
    await ok(
        await client.post(
            "/v1/products", json={"code": "ACME", "name": "A"}, headers=vendor.headers
        ),
        201,
    )
    for method, path, body, field in refused:
        answer = await client.request(method, path, json=body, headers=vendor.headers)
        error = (await answer.json())["error"]
        assert answer.status == 400 and error["code"] == "INVALID_REQUEST", (body, error)
        assert field in error["message"], (body, error)
    for query in ("vendor_id=", "limit=", "offset=-1", "limit=1001"):
        answer = await client.get(f"/v1/products?{query}", headers=vendor.headers)
        assert answer.status == 400, query
