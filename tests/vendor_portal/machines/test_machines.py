"""Machines seen from the vendor's side: release by the vendor, last check-in, and the transfer
budget (deactivations and releases per serial per 365 days), enforced under concurrency."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp.test_utils import TestClient

from tests.conftest import Account, Factory, fingerprint
from tests.vendor_portal.helpers import ok, product


async def _machines(client: TestClient, serial: str, count: int) -> list[dict[str, Any]]:
    return [
        await ok(
            await client.post(
                "/v1/activations", json={"serial": serial, "fingerprint": fingerprint(n)}
            ),
            201,
        )
        for n in range(count)
    ]


async def test_the_transfer_budget_is_exact_under_concurrency_and_staff_grant_more(
    client: TestClient, vendor: Account, other_vendor: Account, staff: Account, factory: Factory
) -> None:
    await product(client, vendor, "MOVE")
    patched = await ok(
        await client.patch("/v1/products/MOVE", json={"transfer_budget": 2}, headers=vendor.headers)
    )
    assert patched["transfer_budget"] == 2
    serial = await factory.serial("SP5", product="MOVE", vendor_id=vendor.vendor_id)
    machines = await _machines(client, serial, 5)

    # Five machines deactivate at once: exactly two fit in the budget.
    answers = await asyncio.gather(
        *(
            client.post("/v1/deactivations", json={"license": machine["license"]})
            for machine in machines
        )
    )
    statuses = sorted(answer.status for answer in answers)
    assert statuses == [200, 200, 409, 409, 409]
    refusals = [await answer.json() for answer in answers if answer.status == 409]
    assert {body["error"]["code"] for body in refusals} == {"TRANSFER_LIMIT_REACHED"}
    assert refusals[0]["error"]["budget"] == 2 and refusals[0]["error"]["used"] == 2
    card = await ok(await client.get(f"/v1/serials/{serial}", headers=vendor.headers))
    assert card["activations"]["used"] == 3
    freed = [
        machine for machine, answer in zip(machines, answers, strict=True) if answer.status == 200
    ]
    kept = [
        machine for machine, answer in zip(machines, answers, strict=True) if answer.status == 409
    ]
    # Deactivating a freed machine again changes nothing and is not refused.
    again = await client.post("/v1/deactivations", json={"license": freed[0]["license"]})
    assert again.status == 200

    # The vendor's release counts against the same budget.
    target = kept[0]["activation_id"]
    refused = await client.post(f"/v1/activations/{target}/release", headers=vendor.headers)
    assert refused.status == 409
    assert (await refused.json())["error"]["code"] == "TRANSFER_LIMIT_REACHED"
    # Only staff grant more; another vendor's machine is absent.
    denied = await client.post(
        f"/v1/serials/{serial}/transfer-grants", json={"extra": 1}, headers=vendor.headers
    )
    assert denied.status == 403
    granted = await ok(
        await client.post(
            f"/v1/serials/{serial}/transfer-grants", json={"extra": 1}, headers=staff.headers
        )
    )
    assert granted["transfers_granted"] == 1
    for headers, path in (
        (other_vendor.headers, f"/v1/activations/{target}/release"),
        (vendor.headers, "/v1/activations/00000000-0000-0000-0000-000000000000/release"),
        (vendor.headers, "/v1/activations/not-an-id/release"),
    ):
        assert (await client.post(path, headers=headers)).status == 404
    released = await ok(
        await client.post(f"/v1/activations/{target}/release", headers=vendor.headers)
    )
    assert released["activation_id"] == target and released["activations"]["used"] == 2

    # The machine learns it at its next check-in; the vendor sees who freed it and when each
    # machine last checked in.
    live = kept[1]
    checked = await ok(await client.post("/v1/check-ins", json={"license": live["license"]}))
    assert checked["valid"] is True
    gone = await ok(await client.post("/v1/check-ins", json={"license": kept[0]["license"]}))
    assert gone["code"] == "DEACTIVATED" and "refusal" in gone
    card = await ok(await client.get(f"/v1/serials/{serial}", headers=vendor.headers))
    by_id = {item["activation_id"]: item for item in card["activation_list"]}
    assert by_id[target]["released_by"] == "vendor"
    assert by_id[freed[0]["activation_id"]]["released_by"] == "machine"
    assert by_id[live["activation_id"]]["last_check_in_at"] is not None
    assert by_id[kept[2]["activation_id"]]["last_check_in_at"] is None


async def test_without_a_budget_transfers_are_unlimited(
    client: TestClient, factory: Factory
) -> None:
    serial = await factory.serial("SP1")
    for n in range(4):
        body = {"serial": serial, "fingerprint": fingerprint(f"move-{n}")}
        machine = await ok(await client.post("/v1/activations", json=body), 201)
        await ok(await client.post("/v1/deactivations", json={"license": machine["license"]}))
