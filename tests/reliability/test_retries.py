"""Retries: a client whose request broke off (connection reset mid-flight, its own timeout) and
that tries again with the same fingerprint never takes a second slot; duplicate payment and
top-up submissions, even at the same moment, never charge or credit twice."""

from __future__ import annotations

import asyncio
import http.client
import json
import socket
import struct
import time
from typing import Any

import aiohttp
import asyncpg
from aiohttp.test_utils import TestClient

from tests.conftest import Account, LiveServer, fingerprint
from tests.vendor_portal.helpers import invoice, ok, place, product


def _abort_mid_flight(port: int, body: bytes, wait: float) -> None:
    """Sends a whole request, waits ``wait`` seconds, and resets the connection (RST), the way a
    client that timed out or lost its network does."""
    connection = socket.create_connection(("127.0.0.1", port))
    head = (
        "POST /v1/activations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    connection.sendall(head + body)
    if wait:
        time.sleep(wait)
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()


def _activate(port: int, body: bytes) -> tuple[int, dict[str, Any]]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(
            "POST", "/v1/activations", body=body, headers={"Content-Type": "application/json"}
        )
        answer = connection.getresponse()
        return answer.status, json.loads(answer.read())
    finally:
        connection.close()


def test_a_request_reset_mid_flight_and_retried_takes_one_slot(live_server: LiveServer) -> None:
    port = int(live_server.url.rsplit(":", 1)[1])
    trial = live_server.make_serial("TRIAL30K", limit=1000)
    machines = 60
    for n in range(machines):
        body = json.dumps({"serial": trial, "fingerprint": fingerprint(f"retry-{n}")}).encode()
        # Broken off before, during and after the server's work.
        _abort_mid_flight(port, body, wait=(0, 0.001, 0.003, 0.01, 0.05)[n % 5])
        status, first = _activate(port, body)
        assert status in (200, 201), first
        status, again = _activate(port, body)
        assert status == 200 and again["activation_id"] == first["activation_id"]
        assert again["license"] == first["license"]
    used, live = live_server.run(_used(live_server, trial))
    assert used == live == machines

    # A one-slot serial: the broken-off request and its retry hold that one slot together.
    single = live_server.make_serial("SP1")
    body = json.dumps({"serial": single, "fingerprint": fingerprint("only")}).encode()
    _abort_mid_flight(port, body, wait=0.002)
    assert _activate(port, body)[0] in (200, 201)
    other = json.dumps({"serial": single, "fingerprint": fingerprint("second")}).encode()
    status, refused = _activate(port, other)
    assert status == 409 and refused["error"]["code"] == "ACTIVATION_LIMIT_REACHED"
    assert live_server.run(_used(live_server, single)) == (1, 1)


async def _used(server: LiveServer, serial: str) -> tuple[int, int]:
    from activation_server.appkeys import DB_POOL

    async with server.app[DB_POOL].acquire() as connection:
        row = await connection.fetchrow(
            "SELECT s.used, (SELECT count(*) FROM activations a WHERE a.serial = s.serial "
            "AND a.deactivated_at IS NULL) AS live FROM serials s WHERE s.serial = $1",
            serial,
        )
    assert row is not None
    return int(row["used"]), int(row["live"])


async def test_a_client_that_times_out_and_retries_at_once_takes_one_slot(
    live_server: LiveServer,
) -> None:
    serial = live_server.make_serial("SP3")
    machine = fingerprint("impatient")
    payload = {"serial": serial, "fingerprint": machine}
    answers: list[tuple[int, str]] = []
    async with aiohttp.ClientSession() as session:
        for budget in (0.0005, 0.001, 0.002, 0.005):
            try:
                async with session.post(
                    live_server.url + "/v1/activations",
                    json=payload,
                    timeout=aiohttp.ClientTimeout(total=budget),
                ) as answer:
                    answers.append((answer.status, (await answer.json())["activation_id"]))
            except TimeoutError:
                pass

        # The impatient client's retries, several at the same moment.
        async def retry() -> tuple[int, str]:
            async with session.post(live_server.url + "/v1/activations", json=payload) as answer:
                return answer.status, (await answer.json())["activation_id"]

        answers.extend(await asyncio.gather(*(retry() for _ in range(10))))
    assert len({activation for _, activation in answers}) == 1
    assert [status for status, _ in answers].count(201) <= 1
    assert live_server.run(_used(live_server, serial)) == (1, 1)


async def _fulfilled_order_facts(pool: asyncpg.Pool, order_id: int) -> dict[str, int]:
    async with pool.acquire() as connection:
        row = await connection.fetchrow(
            """
            SELECT (SELECT count(*) FROM payments WHERE order_id = $1) AS payments,
                   (SELECT count(*) FROM serials s JOIN order_lines l ON l.id = s.order_line_id
                    WHERE l.order_id = $1) AS serials,
                   (SELECT count(*) FROM audit_log WHERE subject = 'order:' || $1::text
                    AND action = 'order.payment_recorded') AS audited
            """,
            order_id,
        )
    assert row is not None
    return dict(row)


async def test_duplicate_transfer_payments_at_once_charge_once(
    client: TestClient, staff: Account, vendor: Account, pool: asyncpg.Pool
) -> None:
    await product(client, vendor)
    order = await place(client, vendor, [{"product": "ACME", "license_type": "SP3", "quantity": 7}])
    await invoice(client, staff, order["id"])

    async def pay() -> Any:
        return await client.post(
            f"/v1/orders/{order['id']}/payments",
            json={"method": "transfer", "reference": "BANK-0001"},
            headers=staff.headers,
        )

    answers = await asyncio.gather(*(pay() for _ in range(12)))
    statuses = sorted(answer.status for answer in answers)
    assert statuses == [200] * 11 + [201], statuses
    bodies = [await answer.json() for answer in answers]
    assert {body["status"] for body in bodies} == {"fulfilled"}
    assert {body["paid"] for body in bodies} == {bodies[0]["total"]}
    facts = await _fulfilled_order_facts(pool, order["id"])
    assert facts == {"payments": 1, "serials": 7, "audited": 1}


async def test_duplicate_balance_payments_and_top_ups_move_money_once(
    client: TestClient, staff: Account, vendor: Account, pool: asyncpg.Pool
) -> None:
    async def top_up() -> Any:
        return await client.post(
            f"/v1/vendors/{vendor.vendor_id}/top-ups",
            json={"amount": 10_000_000, "reference": "WIRE-77"},
            headers=staff.headers,
        )

    topped = await asyncio.gather(*(top_up() for _ in range(8)))
    assert sorted(answer.status for answer in topped) == [200] * 7 + [201]
    balance = await ok(await client.get("/v1/balance", headers=vendor.headers))
    assert balance["balance"] == 10_000_000

    await product(client, vendor)
    order = await place(client, vendor, [{"product": "ACME", "license_type": "SP1", "quantity": 3}])
    await invoice(client, staff, order["id"])

    async def pay() -> Any:
        return await client.post(
            f"/v1/orders/{order['id']}/payments", json={"method": "balance"}, headers=vendor.headers
        )

    answers = await asyncio.gather(*(pay() for _ in range(10)))
    assert sorted(answer.status for answer in answers) == [200] * 9 + [201]
    total = (await answers[0].json())["total"]
    after = await ok(await client.get("/v1/balance", headers=vendor.headers))
    assert after["balance"] == 10_000_000 - total
    facts = await _fulfilled_order_facts(pool, order["id"])
    assert facts == {"payments": 1, "serials": 3, "audited": 1}
