"""Process supervision: workers die with their supervisor, a killed embedded PostgreSQL is started
again by the server, and a frozen database holds no request past the documented bound."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import tempfile
import time
from pathlib import Path

import aiohttp
import psutil
import pytest

from activation_server.settings import Settings
from tests.conftest import fingerprint
from tests.reliability.load import INTERRUPTED, post
from tests.reliability.servers import OwnPostgres, ServerProcess, issue, wait_until

pytestmark = pytest.mark.slow

DB_WAIT_SECONDS = Settings(data_dir=Path()).db_wait_seconds


def _gone(pids: list[int], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = [pid for pid in pids if psutil.pid_exists(pid) and not _zombie(pid)]
        if not alive:
            return True
        time.sleep(0.1)
    return False


def _zombie(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


async def test_workers_die_with_their_supervisor(tmp_path: Path, database_url: str) -> None:
    server = ServerProcess(tmp_path / "server", database_url, workers=2).start()
    try:
        workers = server.listening_workers()
        assert len(workers) == 2
        os.kill(server.pid, signal.SIGKILL)
        assert server.process is not None
        server.process.wait(5)
        # Without PR_SET_PDEATHSIG the orphans went on serving the port.
        assert _gone(workers, 10), f"workers {workers} outlived their supervisor"
        again = ServerProcess(tmp_path / "server", database_url, workers=1)
        again.port, again.url = server.port, server.url
        again.environment["ACTIVATION_PORT"] = str(server.port)
        again.start()
        again.stop()
    finally:
        server.stop()
        for pid in server.listening_workers():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _postmaster_pid(data_dir: Path) -> int:
    return int((data_dir / "pgdata" / "postmaster.pid").read_text().splitlines()[0])


async def test_a_killed_embedded_database_is_started_again(tmp_path: Path) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="activation-watch-"))
    server = ServerProcess(data_dir, "", workers=2)
    try:
        server.start()
        from activation_server.db.embedded import DATABASE_NAME, server_url, start_embedded

        handle = start_embedded(data_dir, stop_on_exit=False)
        url = server_url(handle, DATABASE_NAME)
        serials = await issue(url, "SP5", 3)
        os.kill(_postmaster_pid(data_dir), signal.SIGKILL)
        killed_at = time.monotonic()
        recovered: float | None = None
        statuses: set[int] = set()
        async with aiohttp.ClientSession() as session:
            number = 0
            while time.monotonic() - killed_at < 60:
                number += 1
                body = {"serial": serials[number % 3], "fingerprint": fingerprint(f"w-{number}")}
                try:
                    status, _, _, _ = await post(session, server.url + "/v1/activations", body, 15)
                except INTERRUPTED:
                    continue
                statuses.add(status)
                if status in (200, 201) and time.monotonic() - killed_at > 0.5:
                    recovered = time.monotonic() - killed_at
                    break
                await asyncio.sleep(0.2)
        assert recovered is not None, (statuses, server.log_text()[-3000:])
        assert statuses <= {200, 201, 503}, statuses

        # The workers may reconnect a moment before the supervisor's start returns and logs it.
        async def logged() -> bool:
            return "embedded PostgreSQL started again" in server.log_text()

        assert await wait_until(logged, 30), server.log_text()[-3000:]
        assert server.alive()
        print(f"\nembedded database killed: writes served again after {recovered:.1f} s")
    finally:
        server.stop()
        import shutil

        # The supervisor stops the database it started on its way out; a leftover is stopped.
        with contextlib.suppress(OSError, ValueError, psutil.Error):
            psutil.Process(_postmaster_pid(data_dir)).terminate()
        shutil.rmtree(data_dir, ignore_errors=True)


def _freeze(postgres: OwnPostgres, signum: int) -> None:
    main = psutil.Process(postgres.pid)
    for process in [main, *main.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.send_signal(signum)


async def test_a_frozen_database_holds_no_request_past_the_bound(
    tmp_path: Path, own_postgres: OwnPostgres
) -> None:
    url = await own_postgres.migrated_database("frozen")
    serials = await issue(url, "TRIAL30K", 2, limit=30000)
    server = ServerProcess(
        tmp_path / "server", url, workers=1, env={"ACTIVATION_POOL_MAX_SIZE": "4"}
    ).start()
    timings: list[tuple[int | None, float]] = []
    try:
        async with aiohttp.ClientSession() as session:

            async def activate(number: int) -> None:
                body = {"serial": serials[number % 2], "fingerprint": fingerprint(f"f-{number}")}
                started = time.monotonic()
                try:
                    status, _, _, _ = await post(session, server.url + "/v1/activations", body, 40)
                except INTERRUPTED:
                    status = None
                timings.append((status, time.monotonic() - started))

            await activate(0)  # the pool holds open connections when the database freezes
            _freeze(own_postgres, signal.SIGSTOP)
            try:
                # More requests than pooled connections, in two waves: some wait for a
                # connection, some on a statement, some connect anew.
                first = [asyncio.create_task(activate(n)) for n in range(1, 9)]
                await asyncio.sleep(2.0)
                second = [asyncio.create_task(activate(n)) for n in range(9, 17)]
                await asyncio.gather(*first, *second)
            finally:
                _freeze(own_postgres, signal.SIGCONT)
    finally:
        server.stop()
    frozen = timings[1:]
    slowest = max(seconds for _, seconds in frozen)
    print(f"\nfrozen database: {len(frozen)} requests, slowest answer {slowest:.2f} s")
    assert {status for status, _ in frozen} == {503}, frozen
    assert slowest <= DB_WAIT_SECONDS + 1.0, frozen
