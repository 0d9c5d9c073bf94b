"""PostgreSQL stopped for five seconds under load: quick 503s, no hang, no 500, no crash, and
normal service again within five seconds of the database's return, without anybody's help.

The database is an embedded server of this test's own (the session's server is never stopped).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest

from activation_server.settings import Settings
from tests.conftest import fingerprint
from tests.reliability.load import INTERRUPTED, post
from tests.reliability.servers import OwnPostgres, ServerProcess, consistency, issue

pytestmark = pytest.mark.slow

OUTAGE_SECONDS = 5.0
RECOVERY_SECONDS = 5.0
# The longest a request may wait for the database in all (ACTIVATION_DB_WAIT_SECONDS), and a
# second for the answer to travel: the answer must come before this.
ANSWER_BOUND_SECONDS = Settings(data_dir=Path()).db_wait_seconds + 1.0


@dataclass
class Sample:
    serial: str
    machine: str
    started: float
    finished: float
    status: int | None
    code: str | None
    retry_after: str | None


@dataclass
class Timeline:
    samples: list[Sample] = field(default_factory=list)


async def _drive(base: str, serials: list[str], timeline: Timeline, stop_at: float) -> None:
    """Eight clients activating new machines back to back until ``stop_at``."""
    counter = 0

    async def client(session: aiohttp.ClientSession) -> None:
        nonlocal counter
        while time.monotonic() < stop_at:
            counter += 1
            serial = serials[counter % len(serials)]
            machine = fingerprint(f"outage-{counter}")
            started = time.monotonic()
            try:
                # The client waits far longer than the bound, so a hung request shows as such.
                status, body, _, headers = await post(
                    session,
                    base + "/v1/activations",
                    {"serial": serial, "fingerprint": machine},
                    timeout=30.0,
                )
            except INTERRUPTED:
                timeline.samples.append(
                    Sample(serial, machine, started, time.monotonic(), None, None, None)
                )
                continue
            code = body["error"]["code"] if status >= 400 else None
            timeline.samples.append(
                Sample(
                    serial,
                    machine,
                    started,
                    time.monotonic(),
                    status,
                    code,
                    headers.get("Retry-After"),
                )
            )
            if status == 503:
                await asyncio.sleep(0.05)

    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(client(session) for _ in range(8)))


async def test_database_outage_answers_503_quickly_and_recovers_by_itself(
    tmp_path: Path, own_postgres: OwnPostgres
) -> None:
    url = await own_postgres.migrated_database("outage")
    serials = await issue(url, "TRIAL30K", 4, limit=30000)
    server = ServerProcess(tmp_path / "server", url, workers=2).start()
    try:
        workers = server.listening_workers()
        timeline = Timeline()
        begin = time.monotonic()
        marks: dict[str, float] = {}

        async def outage() -> None:
            await asyncio.sleep(2.0)
            marks["stopping"] = time.monotonic()
            await asyncio.to_thread(own_postgres.stop)
            marks["down"] = time.monotonic()
            await asyncio.sleep(OUTAGE_SECONDS)
            await asyncio.to_thread(own_postgres.start)
            marks["up"] = time.monotonic()

        stop_at = begin + 2.0 + OUTAGE_SECONDS + RECOVERY_SECONDS + 6.0
        await asyncio.gather(outage(), _drive(server.url, serials, timeline, stop_at))
        assert server.alive()
        assert server.listening_workers() == workers, "a worker died during the outage"
    finally:
        server.stop()

    samples = timeline.samples
    statuses = Counter(sample.status for sample in samples)
    assert None not in statuses, f"requests hung or were cut off: {statuses}"
    assert set(statuses) <= {200, 201, 503}, statuses
    assert statuses[503] > 0, "the outage was never noticed"
    slowest = max(sample.finished - sample.started for sample in samples)
    assert slowest < ANSWER_BOUND_SECONDS, f"a request took {slowest:.1f} s"
    for sample in samples:
        if sample.status == 503:
            assert sample.code == "SERVICE_UNAVAILABLE"
            assert sample.retry_after is not None and int(sample.retry_after) >= 1
    before = [s for s in samples if s.finished < marks["stopping"]]
    assert before and all(s.status in (200, 201) for s in before)
    recovered_by = marks["up"] + RECOVERY_SECONDS
    after = [s for s in samples if s.started >= recovered_by]
    assert len(after) >= 20, "too few requests after the recovery window to judge it"
    assert all(s.status in (200, 201) for s in after), Counter(s.status for s in after)
    first_success = min(
        (s.finished for s in samples if s.started >= marks["up"] and s.status in (200, 201)),
        default=float("inf"),
    )

    # An answer lost with the connection may still have committed: the clients that saw 503
    # retry with the same fingerprint, and no retry may take a second slot.
    retries = [(s.serial, s.machine) for s in samples if s.status == 503][:200]
    async with aiohttp.ClientSession() as session:
        server2 = ServerProcess(tmp_path / "server", url, workers=1).start()
        try:
            for serial, machine in retries:
                status, _, _, _ = await post(
                    session,
                    server2.url + "/v1/activations",
                    {"serial": serial, "fingerprint": machine},
                    timeout=15.0,
                )
                assert status in (200, 201)
        finally:
            server2.stop()
    report = await consistency(url)
    assert report.ok, report
    print(
        f"\noutage: {len(samples)} answers, {dict(statuses)}, slowest {slowest:.2f} s, "
        f"first success {first_success - marks['up']:.2f} s after the database returned, "
        f"{len(retries)} refused requests retried, 0 lost"
    )
