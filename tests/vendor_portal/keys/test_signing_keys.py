"""A vendor's signing keys through the vendor API, and product codes unique per vendor."""

from __future__ import annotations

from datetime import datetime

from aiohttp.test_utils import TestClient

from tests.conftest import Account
from tests.vendor_portal.helpers import ok, place, product


async def test_each_vendor_has_its_own_keyring_with_a_published_jwks(
    client: TestClient, vendor: Account, other_vendor: Account
) -> None:
    mine = await ok(await client.get("/v1/signing-keys", headers=vendor.headers))
    theirs = await ok(await client.get("/v1/signing-keys", headers=other_vendor.headers))
    assert [key["state"] for key in mine["keys"]] == ["current"]
    assert mine["jwks_url"] != theirs["jwks_url"]
    assert mine["keys"][0]["kid"] != theirs["keys"][0]["kid"]
    # The JWKS shown to the vendor is the one published at its address, ready to paste.
    published = await ok(await client.get(mine["jwks_url"]))
    assert published == mine["jwks"]
    assert [key["kid"] for key in published["keys"]] == [mine["keys"][0]["kid"]]


async def test_staged_rotation_through_the_api(client: TestClient, vendor: Account) -> None:
    before = await ok(await client.get("/v1/signing-keys", headers=vendor.headers))
    current = before["keys"][0]["kid"]
    refused = await client.post("/v1/signing-keys/promote", headers=vendor.headers)
    assert refused.status == 409
    assert (await refused.json())["error"]["code"] == "NO_NEXT_KEY"

    staged = await ok(await client.post("/v1/signing-keys", headers=vendor.headers), 201)
    assert [key["state"] for key in staged["keys"]] == ["current", "next"]
    next_kid = staged["keys"][1]["kid"]
    # Asking twice does not pile up next keys.
    again = await ok(await client.post("/v1/signing-keys", headers=vendor.headers), 201)
    assert [key["kid"] for key in again["keys"]] == [current, next_kid]
    # Published at once, before it signs anything.
    assert next_kid in [
        key["kid"] for key in (await ok(await client.get(staged["jwks_url"])))["keys"]
    ]

    promoted = await ok(await client.post("/v1/signing-keys/promote", headers=vendor.headers))
    assert [(key["kid"], key["state"]) for key in promoted["keys"]] == [
        (next_kid, "current"),
        (current, "retired"),
    ]
    audit = await ok(await client.get("/v1/audit", headers=vendor.headers))
    actions = [entry["action"] for entry in audit["items"]]
    assert "signing_key.next" in actions and "signing_key.promoted" in actions


async def test_staff_name_the_vendor(client: TestClient, staff: Account, vendor: Account) -> None:
    refused = await client.get("/v1/signing-keys", headers=staff.headers)
    assert refused.status == 400
    theirs = await ok(
        await client.get(f"/v1/signing-keys?vendor_id={vendor.vendor_id}", headers=staff.headers)
    )
    mine = await ok(await client.get("/v1/signing-keys", headers=vendor.headers))
    assert theirs == mine
    missing = await client.get("/v1/signing-keys?vendor_id=999999", headers=staff.headers)
    assert missing.status == 404


async def test_product_codes_are_unique_per_vendor(
    client: TestClient, vendor: Account, other_vendor: Account, staff: Account
) -> None:
    mine = await product(client, vendor, "SAME")
    theirs = await product(client, other_vendor, "SAME")
    assert mine["vendor_id"] != theirs["vendor_id"]
    taken = await client.post(
        "/v1/products", json={"code": "SAME", "name": "again"}, headers=vendor.headers
    )
    assert taken.status == 409
    assert (await taken.json())["error"]["code"] == "PRODUCT_CODE_TAKEN"
    # Each vendor sees and orders its own.
    seen = await ok(await client.get("/v1/products/SAME", headers=other_vendor.headers))
    assert seen["vendor_id"] == other_vendor.vendor_id
    order = await place(client, vendor, [{"product": "SAME", "license_type": "SP1", "quantity": 1}])
    assert order["lines"][0]["product"] == "SAME"
    # Staff name the vendor when a code is shared.
    ambiguous = await client.get("/v1/products/SAME", headers=staff.headers)
    assert ambiguous.status == 400
    named = await ok(
        await client.get(f"/v1/products/SAME?vendor_id={vendor.vendor_id}", headers=staff.headers)
    )
    assert named["vendor_id"] == vendor.vendor_id


async def test_a_retired_key_is_published_with_when_it_retired(
    client: TestClient, vendor: Account
) -> None:
    await ok(await client.post("/v1/signing-keys", headers=vendor.headers), 201)
    promoted = await ok(await client.post("/v1/signing-keys/promote", headers=vendor.headers))
    published = {
        key["kid"]: key for key in (await ok(await client.get(promoted["jwks_url"])))["keys"]
    }
    for key in promoted["keys"]:
        if key["state"] == "retired":
            retired_at = datetime.fromisoformat(key["retired_at"]).timestamp()
            assert published[key["kid"]]["retired_at"] == int(retired_at)
        else:
            assert "retired_at" not in published[key["kid"]]
    assert [key["state"] for key in promoted["keys"]] == ["current", "retired"]
    # GET /v1/keys says the same of every vendor's retired keys.
    everyone = {key["kid"]: key for key in (await ok(await client.get("/v1/keys")))["keys"]}
    retired_kid = promoted["keys"][1]["kid"]
    assert everyone[retired_kid]["retired_at"] == published[retired_kid]["retired_at"]
