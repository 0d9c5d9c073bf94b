"""Changing a sold serial's features, one serial or a whole order's: machines get the new
features in a new license at their next activation or check-in."""

from __future__ import annotations

import jwt
from aiohttp.test_utils import TestClient

from tests.conftest import Account, Factory, fingerprint
from tests.vendor_portal.helpers import invoice, ok, pay, place, product

DECODE = {"options": {"verify_signature": False}}


def _features(token: str) -> list[str]:
    return list(jwt.decode(token, **DECODE)["feat"])


async def test_an_upgrade_reaches_machines_at_activation_and_check_in(
    client: TestClient, vendor: Account, other_vendor: Account, factory: Factory
) -> None:
    await ok(
        await client.post(
            "/v1/products",
            json={"code": "UP", "name": "Up", "features": ["export", "print", "reports"]},
            headers=vendor.headers,
        ),
        201,
    )
    serial = await factory.serial(
        "SP3", product="UP", vendor_id=vendor.vendor_id, features=["export", "print"]
    )
    everything = {"serial": serial, "fingerprint": fingerprint("all")}
    whole = await ok(await client.post("/v1/activations", json=everything), 201)
    asked = {"serial": serial, "fingerprint": fingerprint("one"), "features": ["print"]}
    partial = await ok(await client.post("/v1/activations", json=asked), 201)
    assert _features(whole["license"]) == ["export", "print"]

    path = f"/v1/serials/{serial}/features"
    for bad in ({"features": ["teleport"]}, {"features": "export"}, {}):
        assert (await client.post(path, json=bad, headers=vendor.headers)).status == 400
    assert (
        await client.post(path, json={"features": ["export"]}, headers=other_vendor.headers)
    ).status == 404
    changed = await ok(
        await client.post(
            path, json={"features": ["export", "print", "reports"]}, headers=vendor.headers
        )
    )
    assert changed["features"] == ["export", "print", "reports"]
    # The machine that held everything gets the upgrade at its next activation; the one that
    # asked for "print" keeps what it asked for.
    again = await ok(await client.post("/v1/activations", json=everything))
    assert again["features"] == ["export", "print", "reports"]
    assert _features(again["license"]) == ["export", "print", "reports"]
    checked = await ok(await client.post("/v1/check-ins", json={"license": partial["license"]}))
    assert "license" not in checked  # nothing changed for it
    # A downgrade narrows both, and the check-in answers the new license.
    await ok(await client.post(path, json={"features": ["export"]}, headers=vendor.headers))
    narrowed = await ok(await client.post("/v1/check-ins", json={"license": partial["license"]}))
    assert _features(narrowed["license"]) == []
    whole_now = await ok(await client.post("/v1/check-ins", json={"license": whole["license"]}))
    assert _features(whole_now["license"]) == ["export"]


async def test_a_whole_orders_serials_change_at_once(
    client: TestClient, vendor: Account, other_vendor: Account, staff: Account
) -> None:
    await product(client, vendor, "ACME")
    order = await place(client, vendor, [{"product": "ACME", "license_type": "SP1", "quantity": 3}])
    await invoice(client, staff, order["id"])
    await ok(await pay(client, staff, order["id"], "FEAT-1"), 201)
    path = f"/v1/orders/{order['id']}/features"
    assert (
        await client.post(path, json={"features": ["export"]}, headers=other_vendor.headers)
    ).status == 404
    changed = await ok(
        await client.post(path, json={"features": ["export"]}, headers=vendor.headers)
    )
    assert changed["serials"] == 3
    listed = await ok(await client.get(f"/v1/orders/{order['id']}/serials", headers=vendor.headers))
    assert {tuple(item["features"]) for item in listed["serials"]} == {("export",)}
