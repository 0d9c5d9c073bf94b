"""Tolerant machine binding, end to end through the activation API: a machine that changed at
most the product's tolerance of its components keeps its activation (same id, no slot taken,
the answer names what changed); one more is a new machine; old clients and products with no
tolerance are bound exactly as before; bad component lists are refused with 400."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from activation_server.activations import queries
from activation_server.activations.binding import changed_components, same_machine
from client_sdk.fingerprint import COMPONENT_NAMES
from tests.conftest import Account, Factory
from tests.vendor_portal.helpers import ok, product


def machine(label: str, **changes: str) -> dict[str, Any]:
    """A machine's fingerprint and component hashes: ``label``'s five components, with those
    named in ``changes`` replaced."""
    components = {
        name: hashlib.sha256(f"{changes.get(name, label)}/{name}".encode()).hexdigest()
        for name in COMPONENT_NAMES
    }
    combined = hashlib.sha256("\n".join(sorted(components.values())).encode()).hexdigest()
    return {"fingerprint": combined, "fingerprint_components": components}


async def tolerant_product(
    client: TestClient, vendor: Account, code: str = "ACME", tolerance: int = 2
) -> None:
    await product(client, vendor, code)
    patched = await ok(
        await client.patch(
            f"/v1/products/{code}", json={"binding_tolerance": tolerance}, headers=vendor.headers
        )
    )
    assert patched["binding_tolerance"] == tolerance


async def activate(client: TestClient, serial: str, body: dict[str, Any]) -> Any:
    return await client.post("/v1/activations", json={"serial": serial, **body})


async def test_k_changed_components_keep_the_activation_and_k_plus_one_is_a_new_machine(
    client: TestClient, vendor: Account, factory: Factory, pool: asyncpg.Pool
) -> None:
    await tolerant_product(client, vendor)
    serial = await factory.serial("SP3", product="ACME", vendor_id=vendor.vendor_id)
    first = await ok(await activate(client, serial, machine("office")), 201)
    assert "changed_components" not in first

    # A new disk and a new network card: two of five, within the tolerance.
    moved = machine("office", disk="new", mac="new")
    again = await ok(await activate(client, serial, moved), 200)
    assert again["activation_id"] == first["activation_id"]
    assert again["activations"] == {"used": 1, "limit": 3}
    assert again["changed_components"] == ["disk", "mac"]
    assert again["license"] != first["license"]
    # The license names the new fingerprint; the old one holds nothing any more.
    check = await ok(await client.post("/v1/validations", json={"license": again["license"]}))
    assert check["code"] == "VALID"
    old = await ok(
        await client.post(
            "/v1/validations",
            json={"serial": serial, "fingerprint": machine("office")["fingerprint"]},
        )
    )
    assert old["code"] == "NOT_ACTIVATED"
    # Activating again with the new fingerprint is the plain, exact case.
    same = await ok(await activate(client, serial, moved), 200)
    assert same["activation_id"] == first["activation_id"]
    assert "changed_components" not in same

    # Three of five changed (from the stored, moved components): a new machine takes a slot.
    three = machine("office", disk="new", mac="new", board="other", cpu="other", os_install="x")
    three["fingerprint_components"]["disk"] = moved["fingerprint_components"]["disk"]
    three["fingerprint_components"]["mac"] = moved["fingerprint_components"]["mac"]
    stored, sent = moved["fingerprint_components"], three["fingerprint_components"]
    assert len(changed_components(stored, sent)) == 3
    new = await ok(await activate(client, serial, three), 201)
    assert new["activation_id"] != first["activation_id"]
    assert new["activations"]["used"] == 2
    assert "changed_components" not in new

    async with pool.acquire() as connection:
        changed, at = await connection.fetchrow(
            "SELECT changed, changed_at FROM activation_components WHERE activation_id = $1",
            first["activation_id"],
        )
        assert changed == ["disk", "mac"] and at is not None
        assert (
            await connection.fetchval(
                "SELECT count(*) FROM audit_log"
                " WHERE action = 'activation.rebind' AND subject = $1",
                serial,
            )
            == 1
        )


async def test_a_full_serial_takes_a_changed_machine_back_and_refuses_one_changed_too_much(
    client: TestClient, vendor: Account, factory: Factory
) -> None:
    await tolerant_product(client, vendor, tolerance=1)
    serial = await factory.serial("SP1", product="ACME", vendor_id=vendor.vendor_id)
    first = await ok(await activate(client, serial, machine("home")), 201)
    moved = await ok(await activate(client, serial, machine("home", disk="ssd")), 200)
    assert moved["activation_id"] == first["activation_id"]
    assert moved["changed_components"] == ["disk"]
    assert moved["activations"] == {"used": 1, "limit": 1}
    # Two changed with a tolerance of one: another machine, and the one slot is taken.
    refused = await activate(client, serial, machine("home", disk="hdd", mac="usb"))
    body = await refused.json()
    assert refused.status == 409, body
    assert body["error"]["code"] == "ACTIVATION_LIMIT_REACHED"


async def test_old_clients_and_products_with_no_tolerance_are_bound_exactly(
    client: TestClient, vendor: Account, factory: Factory, pool: asyncpg.Pool
) -> None:
    await tolerant_product(client, vendor, "TOLERANT")
    await product(client, vendor, "EXACT")
    exact = await factory.serial("SP3", product="EXACT", vendor_id=vendor.vendor_id)
    tolerant = await factory.serial("SP3", product="TOLERANT", vendor_id=vendor.vendor_id)

    # No tolerance: one changed component is a new machine, and no components are kept.
    first = await ok(await activate(client, exact, machine("a")), 201)
    second = await ok(await activate(client, exact, machine("a", disk="b")), 201)
    assert second["activation_id"] != first["activation_id"]
    assert second["activations"]["used"] == 2
    assert "changed_components" not in second

    # A client that sends the fingerprint alone: exact binding on a tolerant product too.
    plain = {"fingerprint": machine("p")["fingerprint"]}
    one = await ok(await activate(client, tolerant, plain), 201)
    assert (await ok(await activate(client, tolerant, plain), 200))["activation_id"] == one[
        "activation_id"
    ]
    # ... and its activation, bound with no components, is not taken by a near machine.
    near = await ok(await activate(client, tolerant, machine("p", disk="q")), 201)
    assert near["activation_id"] != one["activation_id"]
    assert near["activations"]["used"] == 2

    async with pool.acquire() as connection:
        kept = await connection.fetch(
            "SELECT a.serial FROM activation_components c JOIN activations a"
            " ON a.id = c.activation_id"
        )
    assert [row["serial"] for row in kept] == [tolerant]


async def test_a_rebound_trial_keeps_its_end(
    client: TestClient, vendor: Account, factory: Factory
) -> None:
    await tolerant_product(client, vendor)
    serial = await factory.serial("TRIAL30K", product="ACME", vendor_id=vendor.vendor_id)
    first = await ok(await activate(client, serial, machine("t")), 201)
    moved = await ok(await activate(client, serial, machine("t", os_install="fresh")), 200)
    assert moved["activation_id"] == first["activation_id"]
    assert moved["expires_at"] == first["expires_at"]
    assert moved["activations"]["used"] == 1


async def test_another_vendors_activations_are_never_candidates(
    client: TestClient, vendor: Account, other_vendor: Account, factory: Factory
) -> None:
    await tolerant_product(client, vendor)
    await tolerant_product(client, other_vendor)
    ours = await factory.serial("SP3", product="ACME", vendor_id=vendor.vendor_id)
    theirs = await factory.serial("SP3", product="ACME", vendor_id=other_vendor.vendor_id)
    mine = await ok(await activate(client, ours, machine("shared")), 201)
    # The same hardware on the other vendor's serial is a machine of that serial only.
    other = await ok(await activate(client, theirs, machine("shared", disk="x")), 201)
    assert other["activation_id"] != mine["activation_id"]
    still = await ok(await activate(client, ours, machine("shared")), 200)
    assert still["activation_id"] == mine["activation_id"]
    assert "changed_components" not in still
    # One vendor cannot set the policy of a product only the other has: it is absent.
    await product(client, other_vendor, "THEIRS")
    answer = await client.patch(
        "/v1/products/THEIRS", json={"binding_tolerance": 2}, headers=vendor.headers
    )
    assert answer.status == 404, await answer.text()
    theirs_now = await ok(await client.get("/v1/products/THEIRS", headers=other_vendor.headers))
    assert theirs_now["binding_tolerance"] == 0


async def test_two_near_machines_at_once_do_not_both_take_one_activation(
    client: TestClient, vendor: Account, factory: Factory
) -> None:
    await tolerant_product(client, vendor)
    for round_ in range(4):
        serial = await factory.serial("SP3", product="ACME", vendor_id=vendor.vendor_id)
        first = await ok(await activate(client, serial, machine(f"r{round_}")), 201)
        # Each is two changes from the stored machine and four from the other.
        left = machine(f"r{round_}", disk="left", mac="left")
        right = machine(f"r{round_}", cpu="right", os_install="right")
        answers = await asyncio.gather(
            activate(client, serial, left), activate(client, serial, right)
        )
        bodies = [await answer.json() for answer in answers]
        statuses = sorted(answer.status for answer in answers)
        assert statuses == [200, 201], bodies
        moved = [body for body in bodies if body["activation_id"] == first["activation_id"]]
        assert len(moved) == 1 and "changed_components" in moved[0]
        assert {body["activations"]["used"] for body in bodies} <= {1, 2}
        card = await ok(await client.get(f"/v1/serials/{serial}", headers=vendor.headers))
        assert card["activations"]["used"] == 2
        live = [item for item in card["activation_list"] if item["deactivated_at"] is None]
        assert len(live) == 2
        fingerprints = {item["fingerprint"] for item in live}
        assert fingerprints == {left["fingerprint"], right["fingerprint"]}
        (rebound,) = [item for item in live if item["activation_id"] == first["activation_id"]]
        assert rebound["components_changed"] == moved[0]["changed_components"]
        assert rebound["components_changed_at"] is not None


JUNK: list[Any] = [
    {"disk": "ab" * 31},  # too short
    {"disk": "AB" * 32},  # upper case
    {"disk": "zz" * 32},  # not hex
    {"disk": 7},
    {"disk": None},
    {"disk": {"nested": "ab" * 32}},
    {"dvd": "ab" * 32},  # unknown name
    {**{name: "ab" * 32 for name in COMPONENT_NAMES}, "gpu": "ab" * 32},  # too many
    {},
    [],
    "ab" * 32,
    ["disk", "ab" * 32],
    {"disk\u0000": "ab" * 32},
    {"x" * 10_000: "ab" * 32},
]


@pytest.mark.parametrize("junk", JUNK)
async def test_junk_components_are_refused_with_400(
    client: TestClient, vendor: Account, factory: Factory, junk: Any
) -> None:
    await tolerant_product(client, vendor)
    serial = await factory.serial("SP3", product="ACME", vendor_id=vendor.vendor_id)
    answer = await client.post(
        "/v1/activations",
        json={
            "serial": serial,
            "fingerprint": machine("j")["fingerprint"],
            "fingerprint_components": junk,
        },
    )
    body = await answer.json()
    assert answer.status == 400, body
    assert body["error"]["code"] == "INVALID_REQUEST"


async def test_the_policy_is_bounded_in_the_vendor_api(client: TestClient, vendor: Account) -> None:
    await product(client, vendor)
    assert (await ok(await client.get("/v1/products/ACME", headers=vendor.headers)))[
        "binding_tolerance"
    ] == 0
    for bad in (-1, 3, "2", True, 1.5):
        answer = await client.patch(
            "/v1/products/ACME", json={"binding_tolerance": bad}, headers=vendor.headers
        )
        assert answer.status == 400, (bad, await answer.text())


VECTORS = json.loads(
    (Path(__file__).resolve().parents[3] / "docs" / "protocol-vectors.json").read_text()
)


@pytest.mark.parametrize("case", VECTORS["fingerprint_components"]["matching"])
def test_the_matching_rule_of_the_protocol_vectors(case: dict[str, Any]) -> None:
    assert same_machine(case["stored"], case["sent"], case["tolerance"]) == case["changed"]


async def test_the_near_machine_look_up_keeps_to_the_hash_index_on_a_fresh_table(
    pool: asyncpg.Pool, factory: Factory
) -> None:
    """Prepared on never-analyzed tables with the generic plan forced (as test_plans does for
    the hot statements): candidates come from the hash index, activations by key, never by a
    scan or by the serial's index, which walks a whole trial pool."""
    await factory.serial("TRIAL30K")
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        await connection.execute(f"PREPARE near (text, jsonb) AS {queries.NEAR_MACHINES}")
        plan = "\n".join(
            row[0] for row in await connection.fetch("EXPLAIN EXECUTE near(NULL, NULL)")
        )
        await connection.execute("DEALLOCATE near")
    assert "Seq Scan on activation" not in plan, plan
    assert "activations_serial_idx" not in plan, plan
    assert "activation_components_hashes" in plan, plan
    assert "activations_pkey" in plan, plan


async def test_the_license_of_the_old_fingerprint_is_refused_at_check_in(
    client: TestClient, vendor: Account, factory: Factory
) -> None:
    await tolerant_product(client, vendor, tolerance=1)
    await ok(
        await client.patch(
            "/v1/products/ACME", json={"check_in_days": 7, "grace_days": 3}, headers=vendor.headers
        )
    )
    serial = await factory.serial("SP1", product="ACME", vendor_id=vendor.vendor_id)
    before = await ok(await activate(client, serial, machine("lab")), 201)
    after = await ok(await activate(client, serial, machine("lab", mac="new")), 200)
    old = await ok(await client.post("/v1/check-ins", json={"license": before["license"]}))
    assert (old["valid"], old["code"]) == (False, "DEACTIVATED")
    assert "refusal" in old and "lease" not in old
    validation = await ok(await client.post("/v1/validations", json={"license": before["license"]}))
    assert validation["code"] == "DEACTIVATED"
    new = await ok(await client.post("/v1/check-ins", json={"license": after["license"]}))
    assert (new["valid"], new["code"]) == (True, "VALID")
    assert "lease" in new


async def test_a_validation_by_machine_recognises_a_changed_machine_without_moving_it(
    client: TestClient, vendor: Account, factory: Factory
) -> None:
    await tolerant_product(client, vendor, tolerance=1)
    await product(client, vendor, "EXACT")
    serial = await factory.serial("SP1", product="ACME", vendor_id=vendor.vendor_id)
    exact = await factory.serial("SP1", product="EXACT", vendor_id=vendor.vendor_id)
    first = await ok(await activate(client, serial, machine("v")), 201)
    await ok(await activate(client, exact, machine("v")), 201)

    async def validate(serial: str, body: dict[str, Any]) -> Any:
        return await ok(await client.post("/v1/validations", json={"serial": serial, **body}))

    changed = machine("v", disk="other")
    found = await validate(serial, changed)
    assert (found["code"], found["activation_id"]) == ("VALID", first["activation_id"])
    assert found["changed_components"] == ["disk"]
    # Nothing moved: the stored machine is still the one bound.
    assert (await validate(serial, machine("v")))["code"] == "VALID"
    # Without components, too many changed, or no tolerance: this machine holds nothing.
    plain = await validate(serial, {"fingerprint": changed["fingerprint"]})
    assert plain["code"] == "NOT_ACTIVATED" and "activation_id" not in plain
    far = await validate(serial, machine("v", disk="other", mac="other"))
    assert far["code"] == "NOT_ACTIVATED"
    assert (await validate(exact, changed))["code"] == "NOT_ACTIVATED"
    junk = await client.post(
        "/v1/validations",
        json={"serial": serial, **changed, "fingerprint_components": {"disk": "x"}},
    )
    assert junk.status == 400
