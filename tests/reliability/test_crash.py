"""A worker process killed with SIGKILL under activation load loses nothing and oversells nothing.

The server runs as an operator runs it (``serve --workers 2``); one worker is killed mid-load,
the supervisor starts another, the clients retry broken requests with the same fingerprint, and
afterwards the database is checked against every answer the clients were given.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from tests.reliability.load import activation_load
from tests.reliability.servers import ServerProcess, activation_states, consistency, issue

pytestmark = pytest.mark.slow


async def test_killing_a_worker_under_load_loses_no_activation_and_oversells_nothing(
    tmp_path: Path, database_url: str
) -> None:
    serials = {
        "SP1": await issue(database_url, "SP1", 10),
        "SP3": await issue(database_url, "SP3", 20),
        "SP5": await issue(database_url, "SP5", 8),
        # A small pool, so the hot trial row also runs out of slots under the load.
        "TRIAL30K": await issue(database_url, "TRIAL30K", 1, limit=120),
    }
    server = ServerProcess(tmp_path / "server", database_url, workers=2).start()
    killed: list[int] = []
    try:
        workers = server.listening_workers()
        assert len(workers) == 2

        async def kill_one(done: int) -> None:
            if done >= 400 and not killed:
                victim = workers[0]
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)

        started = time.monotonic()
        record = await activation_load(
            server.url,
            serials,
            total=1500,
            concurrency=16,
            deadline_seconds=90,
            on_progress=kill_one,
        )
        assert killed, "the load ended before the fault was injected"
        replacement = server.wait_listening(2, timeout=30, exclude=frozenset(killed))
        assert killed[0] not in replacement
        # The rest of the load, served by the survivor and the replacement.
        await activation_load(
            server.url,
            serials,
            total=1000,
            concurrency=16,
            deadline_seconds=60,
            record=record,
            seed=8,
        )
        elapsed = time.monotonic() - started
        assert server.alive()
        assert "exited" in server.log_text()
    finally:
        server.stop()

    assert record.requests >= 2000, f"the load did too little in {elapsed:.1f} s: {record}"
    assert record.statuses[500] == 0
    assert set(record.statuses) <= {200, 201, 409}, record.statuses
    assert record.statuses[409] > 0, "the load never reached a serial's limit"

    report = await consistency(database_url)
    assert report.ok, report
    states = await activation_states(database_url, list(record.granted))
    lost = [aid for aid in record.granted if aid not in states]
    assert lost == [], f"{len(lost)} activations answered 2xx are missing"
    wrongly_freed = [
        aid
        for aid, live in states.items()
        if not live and aid not in record.freed and aid not in record.freed_unknown
    ]
    assert wrongly_freed == []
    still_live = [aid for aid in record.freed if states[aid]]
    assert still_live == []
    print(
        f"\ncrash: {record.requests} answers in {elapsed:.1f} s, statuses {dict(record.statuses)}, "
        f"{record.interrupted} interrupted, {record.retried} retried, "
        f"{len(record.granted)} activations granted, {report.live} live, 0 lost"
    )
