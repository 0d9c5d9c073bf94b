"""POST /v1/check-ins and the check-in policy a vendor sets on its product."""

from __future__ import annotations

import time

import jwt
from aiohttp.test_utils import TestClient

from activation_server.appkeys import ACTIVATIONS
from tests.conftest import Account, Factory, fingerprint
from tests.vendor_portal.helpers import ok, product

DAY = 86400


async def test_a_vendor_sets_the_policy_and_machines_get_leases(
    client: TestClient, vendor: Account, factory: Factory
) -> None:
    await product(client, vendor, "LEASED")
    for bad in ({"check_in_days": -1}, {"grace_days": 3651}, {"check_in_days": "7"}):
        refused = await client.patch("/v1/products/LEASED", json=bad, headers=vendor.headers)
        assert refused.status == 400, bad
    patched = await ok(
        await client.patch(
            "/v1/products/LEASED",
            json={"check_in_days": 7, "grace_days": 3},
            headers=vendor.headers,
        )
    )
    assert (patched["check_in_days"], patched["grace_days"]) == (7, 3)
    serial = await factory.serial("SP3", product="LEASED", vendor_id=vendor.vendor_id)
    body = {"serial": serial, "fingerprint": fingerprint("leased")}
    activation = await ok(await client.post("/v1/activations", json=body), 201)
    decode = {"options": {"verify_signature": False}}
    license_claims = jwt.decode(activation["license"], **decode)
    assert license_claims["lease"] == {"check_in_days": 7, "grace_days": 3}
    keyring = client.app[ACTIVATIONS].keyring
    lease = keyring.verify_token(activation["lease"], ("aid", "exp"))
    assert lease["typ"] == "lease" and lease["aid"] == activation["activation_id"]
    assert lease["exp"] - lease["iat"] == 10 * DAY and lease["due"] - lease["iat"] == 7 * DAY
    assert abs(lease["iat"] - time.time()) < 60

    checked = await ok(await client.post("/v1/check-ins", json={"license": activation["license"]}))
    assert checked["valid"] is True and checked["code"] == "VALID"
    assert checked["check_in"] == {"check_in_days": 7, "grace_days": 3}
    assert keyring.verify_token(checked["lease"], ("aid",))["aid"] == activation["activation_id"]
    assert "license" not in checked  # nothing changed: the license the machine holds stands

    # A longer grace reaches the machine with a new license at its next check-in.
    await ok(
        await client.patch("/v1/products/LEASED", json={"grace_days": 10}, headers=vendor.headers)
    )
    renewed = await ok(await client.post("/v1/check-ins", json={"license": activation["license"]}))
    assert jwt.decode(renewed["license"], **decode)["lease"]["grace_days"] == 10

    await ok(await client.post(f"/v1/serials/{serial}/block", headers=vendor.headers))
    blocked = await ok(await client.post("/v1/check-ins", json={"license": activation["license"]}))
    assert blocked["valid"] is False and blocked["code"] == "SERIAL_BLOCKED"
    assert "lease" not in blocked
    refusal = keyring.verify_token(blocked["refusal"], ("aid", "code"))
    assert (refusal["typ"], refusal["code"]) == ("refusal", "SERIAL_BLOCKED")
    assert refusal["aid"] == activation["activation_id"]


async def test_a_lease_or_a_refusal_is_not_a_license(client: TestClient, factory: Factory) -> None:
    serial = await factory.serial("SP3")
    body = {"serial": serial, "fingerprint": fingerprint("typ")}
    activation = await ok(await client.post("/v1/activations", json=body), 201)
    keyring = client.app[ACTIVATIONS].keyring
    claims = keyring.verify(activation["license"])
    vendor_id = keyring.vendor_of(jwt.get_unverified_header(activation["license"])["kid"])
    assert vendor_id is not None
    signer = keyring.signer(vendor_id)
    assert signer is not None
    for kind in ("lease", "refusal"):
        token = signer.sign({**claims, "typ": kind})
        answer = await ok(await client.post("/v1/check-ins", json={"license": token}))
        assert answer["code"] == "SIGNATURE_INVALID"
        answer = await ok(await client.post("/v1/validations", json={"license": token}))
        assert answer["code"] == "SIGNATURE_INVALID"
        refused = await client.post("/v1/deactivations", json={"license": token})
        assert refused.status == 403
    for garbage in ("x.y.z", activation["license"][:-4] + "AAAA"):
        answer = await ok(await client.post("/v1/check-ins", json={"license": garbage}))
        assert answer["code"] == "SIGNATURE_INVALID" and "refusal" not in answer
    assert (await client.post("/v1/check-ins", json={"license": 5})).status == 400
