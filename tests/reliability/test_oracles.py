"""Nothing answers a question its caller has no right to ask.

A stranger who guesses serials at ``POST /v1/validations`` is limited as activations are and
learns nothing of a serial that their machine holds no activation of; another vendor's serials,
payment references and product codes look as if they did not exist.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from activation_server.composition import build_app
from tests.activation_server.activations.test_handlers import activate, unknown_serial
from tests.conftest import Factory, fingerprint, make_settings
from tests.vendor_portal.helpers import invoice, ok, place, product

LIMIT = 5


@pytest.fixture
async def limited(tmp_path: Path, database_url: str, aiohttp_client: Any) -> TestClient:
    """The service with a small failure limit, so that the tests reach it."""
    settings = make_settings(tmp_path, database_url, rate_limit_failures=LIMIT)
    return await aiohttp_client(build_app(settings))


def _serial(n: int) -> str:
    """A well-formed serial (its check symbol right) that was never issued."""
    from client_sdk.serial import check_symbol

    payload = f"{n:019d}".replace("0", "Z")
    symbols = payload + check_symbol(payload)
    return "-".join(symbols[i : i + 5] for i in range(0, 20, 5))


async def _validate(client: TestClient, serial: str, machine: object) -> tuple[int, Any]:
    response = await client.post(
        "/v1/validations", json={"serial": serial, "fingerprint": fingerprint(machine)}
    )
    return response.status, await response.json()


async def test_validation_tells_a_stranger_nothing_of_a_serial(
    client: TestClient, factory: Factory
) -> None:
    taken = await factory.serial("SP3")
    await activate(client, taken, machine="owner")
    fresh = await factory.serial("SP5")
    answers = [
        await _validate(client, serial, "stranger") for serial in (taken, fresh, unknown_serial())
    ]
    # An activated serial, a fresh one and one that does not exist answer the same, with no
    # product, type or slot counts.
    assert answers[0] == answers[1] == answers[2], answers
    status, body = answers[0]
    assert status == 200 and body["valid"] is False
    assert body["code"] == "NOT_ACTIVATED"
    assert set(body) == {"valid", "code", "message"}
    # The machine that holds the activation still gets the whole status.
    status, mine = await _validate(client, taken, "owner")
    assert (status, mine["code"]) == (200, "VALID")
    assert mine["activations"] == {"used": 1, "limit": 3}


async def test_guessing_serials_at_validations_is_limited_like_activations(
    limited: TestClient, factory: Factory
) -> None:
    statuses = [(await _validate(limited, _serial(n), "guesser"))[0] for n in range(LIMIT + 3)]
    assert statuses[:LIMIT] == [200] * LIMIT
    assert statuses[LIMIT:] == [429] * 3
    response = await limited.post(
        "/v1/validations", json={"serial": _serial(99), "fingerprint": fingerprint("guesser")}
    )
    assert (await response.json())["error"]["code"] == "RATE_LIMITED"
    assert int(response.headers["Retry-After"]) >= 1
    # One budget: the guesser cannot go on at the activation endpoint either.
    real = await factory.serial("SP1")
    response = await limited.post(
        "/v1/activations", json={"serial": real, "fingerprint": fingerprint("guesser")}
    )
    assert response.status == 429


async def test_validations_of_activated_machines_are_not_counted_as_failures(
    limited: TestClient, factory: Factory
) -> None:
    serial = await factory.serial("SP5")
    for machine in range(3):
        await activate(limited, serial, machine=machine)
    for _ in range(LIMIT * 3):
        for machine in range(3):
            status, body = await _validate(limited, serial, machine)
            assert (status, body["code"]) == (200, "VALID")


async def test_group_work_shows_another_vendors_serials_as_unknown(
    client: TestClient, factory: Factory, vendor: Any, other_vendor: Any
) -> None:
    await product(client, vendor, "MINE")
    await product(client, other_vendor, "THEIRS")
    theirs = await factory.serial("SP1", product="THEIRS")
    never = unknown_serial()
    checked = await ok(
        await client.post(
            "/v1/serials/bulk",
            json={"action": "block", "serials": [theirs, never]},
            headers=vendor.headers,
        )
    )
    first, second = checked["lines"]
    assert first["result"] == second["result"] == "unknown"
    assert checked["summary"] == {"ok": 0, "malformed": 0, "unknown": 2, "duplicate": 0}
    assert checked["changed"] == 0
    card = await ok(await client.get(f"/v1/serials/{theirs}", headers=other_vendor.headers))
    assert card["status"] == "active"


async def test_a_payment_reference_of_another_vendor_is_not_revealed(
    client: TestClient, staff: Any, vendor: Any, other_vendor: Any
) -> None:
    await product(client, vendor, "MINE")
    await product(client, other_vendor, "THEIRS")
    theirs = await place(
        client, other_vendor, [{"product": "THEIRS", "license_type": "SP1", "quantity": 1}]
    )
    await invoice(client, staff, theirs["id"])
    paid = await client.post(
        f"/v1/orders/{theirs['id']}/payments",
        json={"method": "transfer", "reference": "BANK-THEIRS-1"},
        headers=staff.headers,
    )
    assert paid.status == 201
    await ok(
        await client.post(
            f"/v1/vendors/{vendor.vendor_id}/top-ups",
            json={"amount": 10_000_000, "reference": "TOPUP-MINE"},
            headers=staff.headers,
        ),
        201,
    )
    # The vendor tries the other vendor's transfer reference, and the reference that the other
    # vendor's balance payment would have, on orders of its own: each is paid as usual.
    for reference in ("BANK-THEIRS-1", f"balance:order:{theirs['id']}"):
        mine = await place(
            client, vendor, [{"product": "MINE", "license_type": "SP1", "quantity": 1}]
        )
        await invoice(client, staff, mine["id"])
        response = await client.post(
            f"/v1/orders/{mine['id']}/payments",
            json={"method": "balance", "reference": reference},
            headers=vendor.headers,
        )
        body = await response.json()
        assert response.status == 201, body
        assert body["status"] == "fulfilled"


async def test_the_refusal_of_a_taken_product_code_names_no_one(
    client: TestClient, vendor: Any, other_vendor: Any
) -> None:
    """Product codes are unique per vendor: another vendor's code is free to take, so it tells
    nothing of who has it; a vendor's own duplicate is refused without naming anyone."""
    await product(client, other_vendor, "THEIRS")
    await product(client, vendor, "MINE")
    taken = await client.post(
        "/v1/products", json={"code": "THEIRS", "name": "x", "features": []}, headers=vendor.headers
    )
    assert taken.status == 201, await taken.text()
    assert (await taken.json())["vendor_id"] == vendor.vendor_id
    answers = []
    for code in ("MINE", "THEIRS"):
        response = await client.post(
            "/v1/products",
            json={"code": code, "name": "x", "features": []},
            headers=vendor.headers,
        )
        answers.append((response.status, await response.json()))
    # Both are now this vendor's own: the same refusal, which says nothing of who.
    assert answers[0] == answers[1]
    status, body = answers[0]
    assert status == 409
    assert body["error"]["code"] == "PRODUCT_CODE_TAKEN"
    message = body["error"]["message"]
    assert "global" not in message
    for who in (other_vendor, vendor):
        assert str(who.vendor_id) not in message
        assert who.email not in message


async def test_another_vendors_ids_answer_exactly_as_ids_that_do_not_exist(
    client: TestClient, app: Any, factory: Factory, vendor: Any, other_vendor: Any, staff: Any
) -> None:
    """Every route with an id in its path, every method: another vendor's id and an id that
    was never given out get the same status, code and message (the id itself aside)."""
    await product(client, other_vendor, "THEIRS")
    order = await place(
        client, other_vendor, [{"product": "THEIRS", "license_type": "SP1", "quantity": 1}]
    )
    key = await ok(
        await client.post("/v1/api-keys", json={"name": "k"}, headers=other_vendor.headers), 201
    )
    theirs = {
        "{order_id}": (str(order["id"]), "987654321"),
        "{serial}": (await factory.serial("SP1", product="THEIRS"), unknown_serial()),
        "{code}": ("THEIRS", "NEVER-GIVEN"),
        "{key_id}": (str(key["id"]), "987654321"),
        "{user_id}": (str(other_vendor.user_id), "987654321"),
        "{vendor_id}": (str(other_vendor.vendor_id), "987654321"),
    }
    compared = 0
    differences = []
    for resource in app.router.resources():
        template = resource.get_info().get("formatter") or ""
        placeholder = next((p for p in theirs if p in template), None)
        if placeholder is None or not template.startswith("/v1/"):
            continue
        existing, absent = theirs[placeholder]
        for route in resource:
            if route.method == "HEAD":
                continue
            answers = []
            for value in (existing, absent):
                response = await client.request(
                    route.method,
                    template.replace(placeholder, value),
                    json={} if route.method in ("POST", "PUT", "PATCH") else None,
                    headers=vendor.headers,
                )
                text = (await response.text()).replace(value, "<id>")
                answers.append((response.status, text))
            compared += 1
            if answers[0] != answers[1]:
                differences.append((route.method, template, answers))
    assert compared >= 15
    assert not differences, differences
