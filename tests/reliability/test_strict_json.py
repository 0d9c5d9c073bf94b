"""One client's junk never fails another client's request.

Bodies are strict RFC 8259 JSON at every JSON endpoint (no NaN, Infinity or 1e999, bounded
nesting, no lone surrogate or NUL), so nothing the database would refuse reaches a coalesced
batch; and if a batch's statement is refused all the same, its requests run alone, so only the
guilty one fails.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from activation_server.activations import queries
from activation_server.activations.service import ActivationService
from activation_server.appkeys import DB_POOL
from tests.conftest import Factory, fingerprint, running_server
from tests.vendor_portal.helpers import product

# Each is JSON to Python's json module and none is JSON to RFC 8259 or to PostgreSQL's jsonb.
NON_FINITE = [b"NaN", b"Infinity", b"-Infinity", b"1e999", b"-1e999"]
DEEP = b'{"a":' * 2000 + b"1" + b"}" * 2000
# Well-formed JSON text that holds what no UTF-8 text or PostgreSQL text can.
UNSTORABLE = [b'"\\ud800"', b'"x\\udfffy"', b'"\\u0000"']


def _activation(serial: str, machine: object, client: bytes = b'{"os": "linux"}') -> bytes:
    return b'{"serial": "%s", "fingerprint": "%s", "client": %s}' % (
        serial.encode(),
        fingerprint(machine).encode(),
        client,
    )


def _junk(serial: str, number: int) -> bytes:
    kinds = [
        *(b'{"app": %s}' % value for value in NON_FINITE),
        *(b'{"host": %s}' % value for value in UNSTORABLE),
        b'{"%s": 1}' % UNSTORABLE[0],
        b'{"nested": ' + b"[" * 200 + b"]" * 200 + b"}",
    ]
    if number % 10 == 9:
        return DEEP
    return _activation(serial, f"junk-{number}", kinds[number % len(kinds)])


def test_junk_mixed_into_concurrent_activations_fails_only_itself(
    tmp_path: Path, pg_admin_url: str, template_database: str
) -> None:
    legit_count, junk_count, concurrency = 600, 600, 96
    with running_server(
        tmp_path / "server", pg_admin_url, template_database, rate_limit_failures=10**6
    ) as server:
        serials = [server.make_serial("SP5") for _ in range(legit_count // 5)]
        trial = server.make_serial("TRIAL30K")
        requests: list[tuple[str, bytes]] = []
        for number in range(legit_count):
            serial = serials[number // 5] if number % 3 else trial
            requests.append(("legit", _activation(serial, f"legit-{number}")))
        for number in range(junk_count):
            requests.append(("junk", _junk(serials[number % len(serials)], number)))
        random.Random(14).shuffle(requests)

        statuses: dict[str, Counter[int]] = {"legit": Counter(), "junk": Counter()}
        codes: Counter[str] = Counter()

        async def load() -> None:
            gate = asyncio.Semaphore(concurrency)
            connector = aiohttp.TCPConnector(limit=concurrency)
            async with aiohttp.ClientSession(connector=connector) as session:

                async def send(kind: str, body: bytes) -> None:
                    async with (
                        gate,
                        session.post(
                            server.url + "/v1/activations",
                            data=body,
                            headers={"Content-Type": "application/json"},
                        ) as response,
                    ):
                        answer = await response.json()
                        statuses[kind][response.status] += 1
                        if kind == "junk":
                            codes[answer["error"]["code"]] += 1

                await asyncio.gather(*(send(kind, body) for kind, body in requests))

        asyncio.run(load())

        activated = server.run(server.app[DB_POOL].fetchval("SELECT count(*) FROM activations"))

    sent = sum(sum(counter.values()) for counter in statuses.values())
    server_errors = sum(n for c in statuses.values() for status, n in c.items() if status >= 500)
    print(
        f"\njunk-mixed load: {sent} requests ({legit_count} legitimate, {junk_count} junk), "
        f"concurrency {concurrency}, {server_errors} answered 5xx; "
        f"legitimate {dict(statuses['legit'])}, junk {dict(statuses['junk'])}"
    )
    assert statuses["legit"] == Counter({201: legit_count}), statuses
    assert statuses["junk"] == Counter({400: junk_count}), statuses
    assert codes == Counter({"INVALID_REQUEST": junk_count})
    assert server_errors == 0
    assert activated == legit_count


@pytest.mark.parametrize("value", [*NON_FINITE, *UNSTORABLE])
async def test_a_body_python_would_take_is_refused_at_every_json_endpoint(
    client: TestClient, app: Any, factory: Factory, staff: Any, vendor: Any, value: bytes
) -> None:
    """A valid body with one more field holding the value: 400 INVALID_REQUEST everywhere,
    even where the field would otherwise be ignored and the request succeed."""
    await product(client, vendor)
    bodies = {
        "/v1/products": b'{"code": "NEW%d", "name": "New", "features": [], "x": %s}',
        "/v1/orders": (
            b'{"lines": [{"product": "ACME", "license_type": "SP1", "quantity": 1}], '
            b'"n": %d, "x": %s}'
        ),
        "/v1/api-keys": b'{"name": "key %d", "x": %s}',
    }
    for path, template in bodies.items():
        response = await client.post(
            path, data=template % (random.randrange(10**6), value), headers=vendor.headers
        )
        body = await response.json()
        assert response.status == 400, (path, body)
        assert body["error"]["code"] == "INVALID_REQUEST", (path, body)
    accepted = []
    for method, path in await _json_routes(client, app, factory, vendor):
        response = await client.request(
            method, path, data=b'{"x": %s}' % value, headers=staff.headers
        )
        code = (await response.json())["error"]["code"] if response.status >= 400 else None
        if (response.status, code) != (400, "INVALID_REQUEST"):
            accepted.append((method, path, response.status, code))
    assert not accepted


async def _json_routes(
    client: TestClient, app: Any, factory: Factory, vendor: Any
) -> list[tuple[str, str]]:
    """Every JSON route of the API, its path naming things that exist (so that the body, not
    the path, is what is judged)."""
    order = await (
        await client.post(
            "/v1/orders",
            json={"lines": [{"product": "ACME", "license_type": "SP1", "quantity": 1}]},
            headers=vendor.headers,
        )
    ).json()
    key = await (
        await client.post("/v1/api-keys", json={"name": "k"}, headers=vendor.headers)
    ).json()
    serial = await factory.serial("SP1", product="ACME")
    machine = await (
        await client.post("/v1/activations", json={"serial": serial, "fingerprint": "a" * 64})
    ).json()
    prepayment = await (
        await client.post(
            "/v1/balance/prepayment-invoices", json={"amount": 100}, headers=vendor.headers
        )
    ).json()
    values = {
        "{vendor_id}": str(vendor.vendor_id),
        "{user_id}": str(vendor.user_id),
        "{order_id}": str(order["id"]),
        "{key_id}": str(key["id"]),
        "{code}": "ACME",
        "{license_type}": "SP1",
        "{serial}": serial,
        "{activation_id}": machine["activation_id"],
        "{number}": str(prepayment["number"]),
    }
    found = []
    for resource in app.router.resources():
        info = resource.get_info()
        template = info.get("path") or info.get("formatter") or ""
        if not template.startswith("/v1/") or template == "/v1/openapi.json":
            continue
        for placeholder, value in values.items():
            template = template.replace(placeholder, value)
        for route in resource:
            if route.method in ("POST", "PUT", "PATCH"):
                found.append((route.method, template))
    return found


async def test_deep_nesting_is_refused_at_every_json_endpoint(
    client: TestClient, app: Any, factory: Factory, staff: Any, vendor: Any
) -> None:
    await product(client, vendor)
    routes = await _json_routes(client, app, factory, vendor)
    assert len(routes) > 20
    for method, path in routes:
        for body in (DEEP, b"[" * 10_000 + b"]" * 10_000, b'{"a": ' + b"[" * 33 + b"]" * 33 + b"}"):
            response = await client.request(method, path, data=body, headers=staff.headers)
            assert response.status == 400, (method, path, response.status)
            assert (await response.json())["error"]["code"] == "INVALID_REQUEST"


async def test_a_refused_batch_runs_its_requests_alone_so_only_the_guilty_one_fails(
    pool: asyncpg.Pool, factory: Factory, activations: ActivationService
) -> None:
    """Requests that reach the batcher without the parser's checks (a value the database
    refuses): the batch's statement fails, and the others still get their answers."""
    serials = [await factory.serial("SP5") for _ in range(6)]

    def params(serial: str, machine: object, client: dict[str, Any]) -> Any:
        return queries.ActivationParams(
            serial=serial,
            fingerprint=fingerprint(machine),
            product=None,
            features=None,
            client=client,
            address="127.0.0.1",
            new_id=uuid.uuid4(),
            via="online",
        )

    batcher = activations.batcher
    batch = [params(serials[n % 6], n, {"n": n}) for n in range(30)]
    # A NUL character: JSON can write it (\u0000), PostgreSQL's jsonb refuses it.
    batch.insert(13, params(serials[0], "guilty", {"n": "\x00"}))
    outcomes = await asyncio.gather(*(batcher.activate(p) for p in batch), return_exceptions=True)
    failed = [n for n, outcome in enumerate(outcomes) if isinstance(outcome, BaseException)]
    assert failed == [13], outcomes[13]
    assert all(o.created_id is not None for n, o in enumerate(outcomes) if n != 13)  # type: ignore[union-attr]
    count = await pool.fetchval("SELECT count(*) FROM activations")
    assert count == 30  # every innocent request took its slot, and none was lost

    # The look-ups of validations are coalesced the same way.
    lookups = [(serials[n % 6], fingerprint(n)) for n in range(20)]
    lookups.insert(7, ("\x00", fingerprint("x")))
    states = await asyncio.gather(
        *(activations.machine_states.submit((s, f)) for s, f in lookups), return_exceptions=True
    )
    assert [n for n, s in enumerate(states) if isinstance(s, BaseException)] == [7]
