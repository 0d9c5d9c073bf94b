"""The activation statements under concurrency, driven directly (below the service's retries)."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter

import asyncpg

from activation_server.activations import queries
from tests.conftest import Factory, fingerprint


def _params(serial: str, machine: object) -> queries.ActivationParams:
    return queries.ActivationParams(
        serial=serial,
        fingerprint=fingerprint(machine),
        product=None,
        features=None,
        client={},
        address=None,
        new_id=uuid.uuid4(),
        via="online",
    )


async def test_batches_racing_deactivations_never_trip_the_limit_check_nor_drift(
    pool: asyncpg.Pool, factory: Factory
) -> None:
    # A deactivation that commits after a batch's snapshot lowers the count; the batch must
    # compute its new count from the locked row, or PostgreSQL checks the limit constraint on
    # a row built from the stale count and refuses the whole batch.
    serial = await factory.serial("SP3")
    outcomes: Counter[str] = Counter()
    live: list[uuid.UUID] = []

    async def batches(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(50):
            batch = [_params(serial, rng.randrange(12)) for _ in range(rng.randrange(2, 6))]
            try:
                async with pool.acquire() as connection:
                    results = await queries.activate_many(connection, batch)
            except asyncpg.UniqueViolationError:
                outcomes["retry"] += 1  # the service retries these with a fresh snapshot
                continue
            except asyncpg.CheckViolationError:
                outcomes["check"] += 1
                continue
            outcomes["batch"] += 1
            live.extend(r.created_id for r in results if r is not None and r.created_id)

    async def deactivations(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(150):
            if live:
                activation_id = live.pop(rng.randrange(len(live)))
                async with pool.acquire() as connection:
                    await queries.deactivate(connection, activation_id, None)
            await asyncio.sleep(0.001)

    await asyncio.gather(*(batches(s) for s in range(4)), deactivations(1), deactivations(2))
    assert outcomes["check"] == 0, outcomes
    assert outcomes["batch"] > 0
    used, live_count = await pool.fetchrow(
        "SELECT used, (SELECT count(*) FROM activations a WHERE a.serial = s.serial"
        " AND a.deactivated_at IS NULL) FROM serials s WHERE serial = $1",
        serial,
    )
    assert used == live_count <= 3


async def test_a_batch_of_one_serial_grants_only_the_free_slots_in_request_order(
    pool: asyncpg.Pool, factory: Factory
) -> None:
    serial = await factory.serial("SP3")
    async with pool.acquire() as connection:
        results = await queries.activate_many(
            connection, [_params(serial, n) for n in ("a", "b", "a", "c", "d")]
        )
    created = [r.created_id is not None for r in results if r is not None]
    # "a" twice in one batch takes one slot; "d" finds the serial full.
    assert created == [True, True, False, True, False]
    assert results[2] is not None and results[2].existing_id == results[0].created_id  # type: ignore[union-attr]
    assert await pool.fetchval("SELECT used FROM serials WHERE serial = $1", serial) == 3
