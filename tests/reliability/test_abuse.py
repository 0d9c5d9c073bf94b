"""Abuse: guessing serials, passwords and reset codes is throttled per address (and per account),
with the counters shared by every worker process; a forged X-Forwarded-For does not escape it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from activation_server.composition import build_app
from activation_server.settings import Settings
from client_sdk.serial import check_symbol
from tests.conftest import PASSWORD, Account, Factory, fingerprint
from tests.reliability.servers import ServerProcess, issue


def guessed_serial(n: int) -> str:
    """A well-formed serial that nobody issued (so it costs a database look-up to refuse)."""
    payload = f"{n:019d}".replace("0", "Z")[:19]
    full = payload + check_symbol(payload)
    return "-".join(full[i : i + 5] for i in range(0, 20, 5))


@pytest.mark.slow
async def test_guessing_serials_is_limited_per_address_across_worker_processes(
    tmp_path: Path, database_url: str
) -> None:
    limit = 10
    real = (await issue(database_url, "SP3", 1))[0]
    server = ServerProcess(
        tmp_path / "server",
        database_url,
        workers=2,
        env={"ACTIVATION_RATE_LIMIT_FAILURES": str(limit)},
    ).start()
    statuses: list[int] = []
    retry_after: list[str] = []
    try:
        # A new connection per request, so the kernel spreads them over both workers.
        connector = aiohttp.TCPConnector(force_close=True)
        async with aiohttp.ClientSession(connector=connector) as session:

            async def guess(n: int, **headers: str) -> int:
                async with session.post(
                    server.url + "/v1/activations",
                    json={"serial": guessed_serial(n), "fingerprint": fingerprint(n)},
                    headers=headers,
                ) as answer:
                    if answer.status == 429:
                        retry_after.append(answer.headers.get("Retry-After", ""))
                        assert (await answer.json())["error"]["code"] == "RATE_LIMITED"
                    return answer.status

            for n in range(limit):
                statuses.append(await guess(n))
            assert statuses == [404] * limit
            after = [await guess(limit + n) for n in range(30)]
            # Forged forwarding headers are not believed unless configured.
            forged = [
                await guess(100 + n, **{"X-Forwarded-For": f"203.0.113.{n}"}) for n in range(10)
            ]
            async with session.post(
                server.url + "/v1/activations",
                json={"serial": real, "fingerprint": fingerprint("real")},
            ) as answer:
                real_status = answer.status
            # Another address is not affected (127.0.0.2 is loopback too).
            other = aiohttp.TCPConnector(force_close=True, local_addr=("127.0.0.2", 0))
            async with (
                aiohttp.ClientSession(connector=other) as neighbour,
                neighbour.post(
                    server.url + "/v1/activations",
                    json={"serial": real, "fingerprint": fingerprint("neighbour")},
                ) as answer,
            ):
                neighbour_status = answer.status
    finally:
        server.stop()
    # Per-process counters would let each worker allow `limit` failures of its own; shared
    # ones allow at most one more answer per worker that had not yet heard of the block.
    assert after.count(404) <= server.workers - 1, after
    assert after.count(429) >= 30 - (server.workers - 1)
    assert set(forged) == {429}, forged
    assert real_status == 429
    assert neighbour_status == 201
    assert retry_after and all(value.isdigit() and int(value) >= 1 for value in retry_after)


async def _login(client: TestClient, email: str, password: str, address: str) -> Any:
    return await client.post(
        "/v1/auth/token",
        json={"email": email, "password": password},
        headers={"X-Forwarded-For": address},
    )


@pytest.fixture
async def proxied(settings: Settings, aiohttp_client: Any) -> TestClient:
    """The service behind a trusted proxy, so tests can speak from many addresses."""
    return await aiohttp_client(build_app(settings.with_overrides(trust_forwarded_for=True)))


async def test_password_guessing_is_throttled_per_address_and_per_account(
    proxied: TestClient, vendor: Account, staff: Account, settings: Settings
) -> None:
    limit = settings.portal.login_rate_limit
    # One address guessing one account.
    for _ in range(limit):
        answer = await _login(proxied, vendor.email, "wrong password", "198.51.100.1")
        assert answer.status == 401
    refused = await _login(proxied, vendor.email, PASSWORD, "198.51.100.1")
    assert refused.status == 429
    assert int(refused.headers["Retry-After"]) >= 1
    # ...does not lock the owner, who signs in from elsewhere.
    assert (await _login(proxied, vendor.email, PASSWORD, "203.0.113.7")).status == 200
    # Many addresses guessing one account: the account's own counter stops them.
    for n in range(settings.portal.login_account_rate_limit):
        await _login(proxied, staff.email, "wrong password", f"2001:db8::{n + 1:x}")
    assert (await _login(proxied, staff.email, PASSWORD, "198.51.100.99")).status == 429
    # One address guessing many accounts: the address's counter stops it.
    for n in range(settings.portal.login_address_rate_limit):
        await _login(proxied, f"nobody{n}@example.com", "wrong", "198.51.100.200")
    fresh = await _login(proxied, "another@example.com", "whatever", "198.51.100.200")
    assert fresh.status == 429


async def test_password_reset_requests_are_throttled(
    proxied: TestClient, vendor: Account, settings: Settings, pool: asyncpg.Pool
) -> None:
    limit = settings.portal.login_rate_limit
    statuses = []
    for n in range(limit + 5):
        answer = await proxied.post(
            "/v1/auth/password-reset",
            json={"email": vendor.email},
            headers={"X-Forwarded-For": f"192.0.2.{n}"},
        )
        statuses.append(answer.status)
    assert 429 in statuses, statuses
    assert statuses.index(429) <= limit
    async with pool.acquire() as connection:
        mails = await connection.fetchval(
            "SELECT count(*) FROM email_tokens WHERE purpose = 'reset'"
        )
    assert mails <= limit
    # Guessing reset codes from one address is throttled too.
    codes = []
    for n in range(limit + 5):
        answer = await proxied.post(
            "/v1/auth/password-reset/confirm",
            json={"token": f"guess-{n}-" + "x" * 40, "password": "a new long password"},
            headers={"X-Forwarded-For": "192.0.2.250"},
        )
        codes.append(answer.status)
    assert 429 in codes, codes


async def test_offline_activation_page_and_api_share_the_guessing_limit(
    client: TestClient, factory: Factory, settings: Settings
) -> None:
    for n in range(settings.rate_limit_failures):
        answer = await client.post(
            "/v1/activations",
            json={"serial": guessed_serial(n), "fingerprint": fingerprint(n)},
        )
        assert answer.status == 404
    from client_sdk.offline import encode_request

    code = encode_request(guessed_serial(999), fingerprint(999))
    answer = await client.post("/v1/offline-activations", json={"request": code})
    assert answer.status == 429
