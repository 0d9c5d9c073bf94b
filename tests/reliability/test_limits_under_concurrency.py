"""Failure limiters under concurrent floods, against the real multi-worker server.

A limiter that checks first and records later lets every request of a concurrent flood read
"under the limit" before any of them is counted. Each test here sends its flood at once, from
one address, to a server of two worker processes, and counts the answers that were not 429: the
limit must hold exactly.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from activation_server.db.pool import create_pool
from activation_server.settings import Settings
from tests.conftest import CHEAP_PASSWORDS, PASSWORD, fingerprint
from tests.reliability.servers import ServerProcess
from tests.reliability.test_abuse import guessed_serial
from vendor_portal.accounts import service as accounts
from vendor_portal.accounts.passwords import Passwords
from vendor_portal.actor import system_actor

pytestmark = pytest.mark.slow

CHEAP_ENV = {f"ACTIVATION_{name.upper()}": str(value) for name, value in CHEAP_PASSWORDS.items()}


async def _flood(
    url: str, requests: list[tuple[str, dict[str, object]]], concurrency: int
) -> list[tuple[int, dict[str, object]]]:
    """Sends every request at once (up to ``concurrency`` connections open); returns the
    statuses and bodies in the order given."""
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=True)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        start = asyncio.Event()

        async def one(path: str, body: dict[str, object]) -> tuple[int, dict[str, object]]:
            await start.wait()
            async with session.post(url + path, json=body) as answer:
                return answer.status, await answer.json()

        tasks = [asyncio.create_task(one(path, body)) for path, body in requests]
        await asyncio.sleep(0)
        start.set()
        return list(await asyncio.gather(*tasks))


def _server(tmp_path: Path, database_url: str, **env: str) -> ServerProcess:
    """The real server, two worker processes, cheap password hashing."""
    return ServerProcess(
        tmp_path / "server", database_url, workers=2, env={**env, **CHEAP_ENV}
    ).start()


async def _vendor_user(database_url: str, data_dir: Path, email: str) -> None:
    pool = await create_pool(database_url, Settings(data_dir=data_dir, pool_min_size=1))
    try:
        await accounts.create_user(
            pool,
            Passwords(1, 1024, 1),
            system_actor("test"),
            email=email,
            password=PASSWORD,
            role="vendor",
            company=f"Company of {email}",
        )
    finally:
        await pool.close()


async def test_a_flood_of_unknown_serials_gets_exactly_the_limit_of_answers(
    tmp_path: Path, database_url: str
) -> None:
    limit, flood = 30, 1000
    server = _server(tmp_path, database_url, ACTIVATION_RATE_LIMIT_FAILURES=str(limit))
    try:
        answers = await _flood(
            server.url,
            [
                ("/v1/activations", {"serial": guessed_serial(n), "fingerprint": fingerprint(n)})
                for n in range(flood)
            ],
            concurrency=flood,
        )
    finally:
        server.stop()
    statuses = Counter(status for status, _ in answers)
    print(f"{flood} concurrent unknown serials, limit {limit}: {dict(statuses)}")
    assert statuses[404] == limit, statuses
    assert statuses[429] == flood - limit, statuses


async def test_a_flood_of_wrong_passwords_holds_the_limit_and_the_right_one_past_it_fails(
    tmp_path: Path, database_url: str
) -> None:
    limit, flood = 10, 100
    email = "target@vendor.example"
    await _vendor_user(database_url, tmp_path, email)
    server = _server(tmp_path, database_url, ACTIVATION_LOGIN_RATE_LIMIT=str(limit))
    try:
        answers = await _flood(
            server.url,
            [("/v1/auth/token", {"email": email, "password": f"wrong {n}"}) for n in range(flood)],
            concurrency=flood,
        )
        # Then the right password, in a concurrent flood of its own: past the limit, it fails
        # like a wrong one (else the flood's last guess could be the one that gets in).
        right = await _flood(
            server.url,
            [("/v1/auth/token", {"email": email, "password": PASSWORD}) for _ in range(20)],
            concurrency=20,
        )
    finally:
        server.stop()
    statuses = Counter(status for status, _ in answers)
    right_statuses = Counter(status for status, _ in right)
    print(
        f"{flood} concurrent wrong sign-ins, limit {limit}: {dict(statuses)};",
        f"then 20 right ones: {dict(right_statuses)}",
    )
    assert statuses[401] == limit, statuses
    assert statuses[429] == flood - limit, statuses
    assert right_statuses == Counter({429: 20}), right_statuses


async def test_concurrent_reset_requests_send_at_most_the_limit_of_mails(
    tmp_path: Path, database_url: str
) -> None:
    limit, flood = 10, 60
    email = "reset-target@vendor.example"
    await _vendor_user(database_url, tmp_path, email)
    connection = await asyncpg.connect(database_url)
    try:
        server = _server(tmp_path, database_url, ACTIVATION_LOGIN_RATE_LIMIT=str(limit))
        try:
            answers = await _flood(
                server.url,
                [("/v1/auth/password-reset", {"email": email}) for _ in range(flood)],
                concurrency=flood,
            )
        finally:
            server.stop()
        mails = await connection.fetchval("SELECT count(*) FROM outbox WHERE recipient = $1", email)
        codes = await connection.fetchval(
            "SELECT count(*) FROM email_tokens WHERE purpose = 'reset'"
        )
    finally:
        await connection.close()
    statuses = Counter(status for status, _ in answers)
    print(f"{flood} concurrent reset requests, limit {limit}: {dict(statuses)}, {mails} mails")
    assert statuses[202] == limit, statuses
    assert statuses[429] == flood - limit, statuses
    assert mails == limit and codes == limit
