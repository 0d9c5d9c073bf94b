"""The vendor's signed revocation list through the vendor API and the Machines page: numbered
(concurrent exports get distinct, growing numbers), signed by the vendor's current key, naming
only the vendor's own serials and machines with their reasons."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import jwt
from aiohttp.test_utils import TestClient

from client_sdk.license import KeyRing, verify_signature
from tests.conftest import PASSWORD, Account, Factory, fingerprint
from tests.vendor_portal.helpers import ok, product
from tests.vendor_portal.pages.portal import Portal


async def _activate(client: TestClient, serial: str, machine: str) -> dict[str, Any]:
    body = {"serial": serial, "fingerprint": fingerprint(machine)}
    return await ok(await client.post("/v1/activations", json=body), 201)


async def _claims(client: TestClient, vendor: Account, token: str) -> dict[str, Any]:
    """The list's claims, verified as an application does: with the vendor's published keys."""
    keys = await ok(await client.get("/v1/signing-keys", headers=vendor.headers))
    claims, kid = verify_signature(token, KeyRing.from_jwks(keys["jwks"]))
    assert kid == next(key["kid"] for key in keys["keys"] if key["state"] == "current")
    return claims


async def test_the_list_names_the_vendors_revoked_serials_and_machines_with_reasons(
    client: TestClient,
    vendor: Account,
    other_vendor: Account,
    factory: Factory,
    pool: asyncpg.Pool,
) -> None:
    await product(client, vendor, "REVO")
    good, blocked, ended = await factory.serials(
        "SP5", 3, product="REVO", vendor_id=vendor.vendor_id
    )
    theirs = await factory.serial("SP3", product="THEIRS", vendor_id=other_vendor.vendor_id)
    released = await _activate(client, good, "released")
    deactivated = await _activate(client, good, "deactivated")
    running = await _activate(client, good, "running")
    on_blocked = await _activate(client, blocked, "on-blocked")
    their_machine = await _activate(client, theirs, "theirs")
    await ok(
        await client.post(
            f"/v1/activations/{released['activation_id']}/release", headers=vendor.headers
        )
    )
    await ok(await client.post("/v1/deactivations", json={"license": deactivated["license"]}))
    await ok(await client.post("/v1/deactivations", json={"license": their_machine["license"]}))
    await ok(await client.post(f"/v1/serials/{blocked}/block", headers=vendor.headers))
    await pool.execute(
        "UPDATE serials SET valid_until = now() - interval '1 day' WHERE serial = $1", ended
    )

    issued = await ok(await client.post("/v1/revocation-lists", headers=vendor.headers), 201)
    assert (issued["serials"], issued["activations"]) == (2, 2)
    claims = await _claims(client, vendor, issued["token"])
    assert claims["typ"] == "revocations" and claims["seq"] == issued["sequence"]
    assert claims["serials"] == {blocked: "blocked", ended: "expired"}
    assert claims["activations"] == {
        released["activation_id"]: "released",
        deactivated["activation_id"]: "deactivated",
    }
    named = set(claims["serials"]) | set(claims["activations"])
    assert running["activation_id"] not in named and on_blocked["activation_id"] not in named
    assert theirs not in named and their_machine["activation_id"] not in named
    me = await ok(await client.get("/v1/signing-keys", headers=vendor.headers))
    assert me["jwks_url"] == f"/v1/vendors/{claims['vnd']}/keys"
    # The other vendor's list is its own, under its own key.
    their_list = await ok(
        await client.post("/v1/revocation-lists", headers=other_vendor.headers), 201
    )
    their_claims = await _claims(client, other_vendor, their_list["token"])
    assert their_claims["activations"] == {their_machine["activation_id"]: "deactivated"}
    assert their_claims["vnd"] != claims["vnd"]


async def test_numbers_only_grow_even_for_concurrent_exports(
    client: TestClient, vendor: Account, staff: Account
) -> None:
    first = await ok(await client.post("/v1/revocation-lists", headers=vendor.headers), 201)
    answers = await asyncio.gather(
        *(client.post("/v1/revocation-lists", headers=vendor.headers) for _ in range(6))
    )
    numbers = sorted([(await ok(answer, 201))["sequence"] for answer in answers])
    assert numbers == list(range(first["sequence"] + 1, first["sequence"] + 7))
    # Staff export a vendor's list by naming it; without a name it is a bad request.
    assert vendor.vendor_id is not None
    by_staff = await ok(
        await client.post(
            f"/v1/revocation-lists?vendor_id={vendor.vendor_id}", headers=staff.headers
        ),
        201,
    )
    assert by_staff["sequence"] == numbers[-1] + 1
    assert jwt.get_unverified_header(by_staff["token"])["alg"] == "EdDSA"
    unnamed = await client.post("/v1/revocation-lists", headers=staff.headers)
    assert unnamed.status == 400
    absent = await client.post("/v1/revocation-lists?vendor_id=999999", headers=staff.headers)
    assert absent.status == 404
    # A body is held to the API's JSON rules; no identity, no list.
    assert (
        await client.post("/v1/revocation-lists", data=b"{", headers=vendor.headers)
    ).status == 400
    assert (await client.post("/v1/revocation-lists")).status == 401


async def test_the_machines_page_downloads_the_list(
    client: TestClient, vendor: Account, factory: Factory
) -> None:
    portal = Portal(client)
    await portal.login(vendor.email, PASSWORD)
    page = await portal.get("/portal/machines")
    assert 'data-test="revocation-list"' in page
    response = await client.post(
        "/portal/machines/revocation-list", data={"csrf_token": portal.token}
    )
    assert response.status == 200
    assert response.content_type == "application/jwt"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and disposition.endswith('.jwt"')
    token = (await response.text()).strip()
    claims = await _claims(client, vendor, token)
    assert claims["typ"] == "revocations"
    assert f"-{claims['seq']}.jwt" in disposition
    # Without the form's token, nothing is signed.
    forged = await client.post("/portal/machines/revocation-list", data={})
    assert forged.status in (400, 403, 422)
