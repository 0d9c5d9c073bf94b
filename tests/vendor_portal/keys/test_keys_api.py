"""The signing keys' and revocation lists' operations of the vendor API as declared: answers
as the document says, a sent body held to the JSON rules, an empty query value refused."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from tests.conftest import Account
from tests.vendor_portal.helpers import documented


async def test_every_key_operation_answers_as_documented(
    client: TestClient, staff: Account, vendor: Account
) -> None:
    async def check(
        method: str, path: str, status: int, account: Account = vendor, **kw: Any
    ) -> Any:
        response = await client.request(method, path, headers=account.headers, **kw)
        assert response.status == status, (method, path, await response.text())
        return await documented(client, response, method, path.split("?")[0])

    keys = await check("GET", "/v1/signing-keys", 200)
    assert [key["state"] for key in keys["keys"]] == ["current"]
    await check("POST", "/v1/signing-keys/promote", 409)
    staged = await check("POST", "/v1/signing-keys", 201, json={"ignored": True})
    assert sorted(key["state"] for key in staged["keys"]) == ["current", "next"]
    await check("POST", "/v1/signing-keys/promote", 200)
    issued = await check("POST", "/v1/revocation-lists", 201)
    assert issued["sequence"] == 1
    await check("POST", "/v1/revocation-lists", 400, data=b"[]")
    await check("GET", "/v1/signing-keys", 400, staff)
    await check("GET", f"/v1/signing-keys?vendor_id={vendor.vendor_id}", 200, staff)
    await check("GET", "/v1/signing-keys?vendor_id=", 400, staff)
    await check("GET", "/v1/signing-keys?vendor_id=999999", 404, staff)
    # The document is public, and describes itself.
    document = await client.get("/v1/openapi.json")
    assert document.status == 200
    await documented(client, document, "GET", "/v1/openapi.json")
