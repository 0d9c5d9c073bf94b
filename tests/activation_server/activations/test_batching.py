"""The batched activation statement and the per-pool batcher: never oversell, one slot per
machine, every refusal as the single-row statement gives it, no deadlock between batches."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

import asyncpg
import jwt

from activation_server.activations import queries
from activation_server.activations.batching import ActivationBatcher
from activation_server.activations.service import ActivationService
from tests.conftest import Factory, fingerprint, license_vendor


def params(serial: str, machine: object, **extra: Any) -> queries.ActivationParams:
    values: dict[str, Any] = {
        "product": None,
        "features": None,
        "client": {"os": "linux"},
        "address": "127.0.0.1",
        "via": "online",
    }
    values.update(extra)
    return queries.ActivationParams(
        serial=serial, fingerprint=fingerprint(machine), new_id=uuid.uuid4(), **values
    )


async def run(pool: asyncpg.Pool, batch: list[queries.ActivationParams]) -> list[Any]:
    async with pool.acquire() as connection, connection.transaction():
        return await queries.activate_many(connection, batch)


async def used(pool: asyncpg.Pool, serial: str) -> int:
    return int(await pool.fetchval("SELECT used FROM serials WHERE serial = $1", serial))


async def test_a_batch_takes_slots_in_order_and_one_per_machine(
    pool: asyncpg.Pool, factory: Factory
) -> None:
    serial = await factory.serial("SP3")
    batch = [params(serial, machine) for machine in ("a", "b", "a", "b", "c", "d", "e")]
    outcomes = await run(pool, batch)
    created = [o.created_id is not None for o in outcomes]
    assert created == [True, True, False, False, True, False, False]
    assert [o.bumped_used for o in outcomes[:2]] == [1, 2]
    # A machine twice in one batch: the second request gets the first one's activation.
    assert outcomes[2].existing_id == outcomes[0].created_id
    assert outcomes[3].existing_id == outcomes[1].created_id
    # Over the limit: neither created nor existing, with the count after the batch.
    assert all(o.existing_id is None and o.used == 3 for o in outcomes[5:])
    assert await used(pool, serial) == 3
    live = await pool.fetchval("SELECT count(*) FROM activations WHERE serial = $1", serial)
    assert live == 3
    audited = await pool.fetchval(
        "SELECT count(*) FROM audit_log WHERE subject = $1 AND action = 'activation.create'",
        serial,
    )
    assert audited == 3


async def test_a_batch_mixes_serials_refusals_and_known_machines(
    pool: asyncpg.Pool, factory: Factory
) -> None:
    full = await factory.serial("SP1", product="ONE", features=["export"])
    other = await factory.serial("SP3", product="ONE", features=["export", "print"])
    blocked = await factory.serial("SP3", product="ONE")
    await pool.execute("UPDATE serials SET status = 'blocked' WHERE serial = $1", blocked)
    (first,) = await run(pool, [params(other, "known")])
    unknown = "ZZZZZ-ZZZZZ-ZZZZZ-ZZZZK"
    outcomes = await run(
        pool,
        [
            params(full, 1),
            params(unknown, 1),
            params(blocked, 1),
            params(other, 2, product="TWO"),
            params(other, 3, features=["print", "admin"]),
            params(other, 4, features=["print"]),
            params(other, "known"),
            params(full, 2),
        ],
    )
    assert outcomes[0].created_id is not None and outcomes[0].bumped_used == 1
    assert outcomes[1] is None
    assert outcomes[2].refusal == "SERIAL_BLOCKED" and outcomes[2].created_id is None
    assert outcomes[3].created_id is None and outcomes[3].product == "ONE"
    assert outcomes[4].created_id is None
    assert outcomes[5].created_id is not None and outcomes[5].created_features == ["print"]
    assert outcomes[6].existing_id == first.created_id and outcomes[6].created_id is None
    assert outcomes[7].created_id is None and outcomes[7].used == 1
    assert await used(pool, full) == 1
    assert await used(pool, other) == 2
    assert await used(pool, blocked) == 0


async def test_a_trial_pool_is_never_oversold_by_concurrent_batches(
    pool: asyncpg.Pool, factory: Factory
) -> None:
    trial = await factory.serial("TRIAL30K", limit=50)
    sp3 = await factory.serials("SP3", 10)
    # Batches over the same serials in opposite orders run at once: they lock in one order.
    batches = []
    for index in range(8):
        batch = [params(trial, f"t{index}-{n}") for n in range(10)]
        batch += [params(serial, f"s{index}") for serial in sp3]
        batches.append(batch if index % 2 else list(reversed(batch)))
    results = await asyncio.gather(*(run(pool, batch) for batch in batches))
    granted = Counter(
        outcome.created_id is not None
        for outcomes, batch in zip(results, batches, strict=True)
        for outcome, item in zip(outcomes, batch, strict=True)
        if item.serial == trial
    )
    assert granted[True] == 50
    assert await used(pool, trial) == 50
    assert [await used(pool, serial) for serial in sp3] == [3] * 10


async def test_the_batcher_coalesces_concurrent_requests(
    pool: asyncpg.Pool, factory: Factory
) -> None:
    serial = await factory.serial("TRIAL30K", limit=100)
    batcher = ActivationBatcher(pool)
    statements = 0
    original = batcher._run

    async def counting(batch: Any) -> Any:
        nonlocal statements
        statements += 1
        return await original(batch)

    batcher._run = counting  # type: ignore[method-assign]
    outcomes = await asyncio.gather(*(batcher.activate(params(serial, n)) for n in range(120)))
    assert sum(o.created_id is not None for o in outcomes) == 100
    assert await used(pool, serial) == 100
    assert statements < 20
    assert batcher.running == 0 and not batcher.pending


async def test_a_failed_batch_fails_each_of_its_requests(
    pool: asyncpg.Pool, activations: ActivationService
) -> None:
    batcher = activations.batcher
    bad = queries.ActivationParams(
        serial="01234-56789-ABCDE-FGHJS",
        fingerprint="not hex",
        product=None,
        features=None,
        client={},
        address="not an address",
        new_id=uuid.uuid4(),
        via="online",
    )
    results = await asyncio.gather(
        *(batcher.activate(bad) for _ in range(5)), return_exceptions=True
    )
    assert all(isinstance(result, asyncpg.PostgresError) for result in results)
    assert batcher.running == 0


async def kept_license(pool: asyncpg.Pool, activation_id: str, expected: str | None) -> None:
    """Waits (the batcher writes within KEEP_DELAY) until the activation keeps this license."""
    for _ in range(100):
        stored = await pool.fetchval(
            "SELECT license FROM activations WHERE id = $1", uuid.UUID(activation_id)
        )
        if stored == expected:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the activation keeps {stored!r}, not {expected!r}")


async def test_a_license_issued_again_is_kept_and_then_reused_without_signing(
    client: Any, pool: asyncpg.Pool, factory: Factory
) -> None:
    from activation_server.appkeys import ACTIVATIONS

    keyring = client.app[ACTIVATIONS].keyring
    serial = await factory.serial("SP3")
    body = {"serial": serial, "fingerprint": fingerprint("kept")}
    first = await (await client.post("/v1/activations", json=body)).json()
    # A new activation keeps nothing: most machines start again, but that is when it pays.
    await asyncio.sleep(0.7)
    await kept_license(pool, first["activation_id"], None)
    again = await (await client.post("/v1/activations", json=body)).json()
    assert again["license"] == first["license"]
    await kept_license(pool, first["activation_id"], first["license"])

    signed: list[str] = []
    signer = keyring.signer(license_vendor(keyring, first["license"]))
    sign_input = signer.sign_input

    def counting(signing_input: str) -> str:
        signed.append(signing_input)
        return sign_input(signing_input)

    signer.sign_input = counting  # type: ignore[method-assign]
    try:
        for _ in range(3):
            response = await client.post("/v1/activations", json=body)
            assert response.status == 200
            assert (await response.json())["license"] == first["license"]
        assert signed == []
        # Another machine of the same serial is signed as usual.
        other = {"serial": serial, "fingerprint": fingerprint("other")}
        assert (await client.post("/v1/activations", json=other)).status == 201
        assert len(signed) == 1
    finally:
        signer.sign_input = sign_input  # type: ignore[method-assign]


async def test_a_kept_license_is_signed_anew_after_a_key_rotation(
    client: Any, pool: asyncpg.Pool, factory: Factory
) -> None:

    from activation_server.appkeys import ACTIVATIONS
    from activation_server.keys.keyring import rotate

    keyring = client.app[ACTIVATIONS].keyring
    serial = await factory.serial("SP3")
    body = {"serial": serial, "fingerprint": fingerprint("rotated")}
    first = await (await client.post("/v1/activations", json=body)).json()
    await client.post("/v1/activations", json=body)
    await kept_license(pool, first["activation_id"], first["license"])

    vendor_id = license_vendor(keyring, first["license"])
    async with pool.acquire() as connection:
        await rotate(connection, keyring.directory, keyring.passphrase, vendor_id)
        assert await keyring.refresh(connection)
    again = await (await client.post("/v1/activations", json=body)).json()
    assert again["license"] != first["license"]
    assert jwt.get_unverified_header(again["license"])["kid"] == keyring.current_kid(vendor_id)
    assert keyring.verify(again["license"]) == keyring.verify(first["license"])
    await kept_license(pool, first["activation_id"], again["license"])


async def test_a_stale_kept_license_is_not_reused(
    client: Any, pool: asyncpg.Pool, factory: Factory
) -> None:
    from activation_server.appkeys import ACTIVATIONS

    keyring = client.app[ACTIVATIONS].keyring
    serial = await factory.serial("SP3", features=["export", "print"])
    body = {"serial": serial, "fingerprint": fingerprint("stale")}
    first = await (await client.post("/v1/activations", json=body)).json()
    # A kept license with other claims than the server would sign now (say, the activation's
    # features were changed) is not handed out: the current claims are signed and kept.
    claims = keyring.verify(first["license"])
    await pool.execute(
        "UPDATE activations SET license = $2 WHERE id = $1",
        uuid.UUID(first["activation_id"]),
        keyring.signer(license_vendor(keyring, first["license"])).sign(
            {**claims, "feat": ["export"]}
        ),
    )
    again = await (await client.post("/v1/activations", json=body)).json()
    assert again["license"] == first["license"]
    await kept_license(pool, first["activation_id"], first["license"])


async def test_concurrent_validations_share_a_statement_and_each_gets_its_own_state(
    pool: asyncpg.Pool, factory: Factory, activations: ActivationService
) -> None:
    serial, other = await factory.serial("SP3"), await factory.serial("SP5")
    live = await run(pool, [params(serial, "live"), params(other, "elsewhere")])
    gone = (await run(pool, [params(serial, "gone")]))[0]
    await pool.execute(
        "UPDATE activations SET deactivated_at = now() WHERE id = $1", gone.created_id
    )
    # The same machine activated again after its deactivation: the live activation wins.
    again = (await run(pool, [params(serial, "gone")]))[0]
    unknown_serial = "7KQ2M-4X9PR-T3VW8-ANC5J"
    machines = [
        (serial, "live"),
        (other, "elsewhere"),
        (serial, "gone"),
        (serial, "never"),
        (unknown_serial, "live"),
    ] * 20
    states = await asyncio.gather(
        *(activations.machine_states.submit((s, fingerprint(machine))) for s, machine in machines)
    )
    by_id = await asyncio.gather(
        *(
            activations.activation_states.submit(activation_id)
            for activation_id in [live[0].created_id, gone.created_id, uuid.uuid4()] * 20
        )
    )
    for (s, machine), state in zip(machines, states, strict=True):
        if s == unknown_serial:
            assert state is None
            continue
        assert state is not None and state.serial == s
        if machine == "never":
            assert state.id is None
        else:
            assert state.fingerprint == fingerprint(machine)
            assert state.deactivated_at is None
    assert {state.id for state, (_, m) in zip(states, machines, strict=True) if m == "gone"} == {
        again.created_id
    }
    assert [state.id if state else None for state in by_id[:3]] == [
        live[0].created_id,
        gone.created_id,
        None,
    ]
    assert by_id[1] is not None and by_id[1].deactivated_at is not None
    assert by_id[3:] == by_id[:3] * 19


async def test_a_deactivated_machine_is_found_by_index_however_many_share_the_serial(
    pool: asyncpg.Pool, factory: Factory
) -> None:
    serial = await factory.serial("TRIAL30K")
    await run(pool, [params(serial, index) for index in range(50)])
    await pool.execute(
        "UPDATE activations SET deactivated_at = now() WHERE serial = $1 AND fingerprint = $2",
        serial,
        fingerprint(7),
    )
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute("SET LOCAL enable_seqscan = off")
        plan = "\n".join(
            row[0]
            for row in await connection.fetch(
                "EXPLAIN " + queries.STATES_BY_MACHINE,
                [{"n": 0, "serial": serial, "fingerprint": fingerprint(7)}],
            )
        )
        states = await queries.states_by_machine(connection, [(serial, fingerprint(7))])
    assert "activations_live_key" in plan
    assert "activations_deactivated_machine_idx" in plan
    assert states[0] is not None and states[0].deactivated_at is not None


async def test_a_batch_records_last_seen_at_hour_resolution(
    pool: asyncpg.Pool, factory: Factory
) -> None:
    serial = await factory.serial("SP5")
    created = await run(pool, [params(serial, "stale"), params(serial, "fresh")])
    stale, fresh = created[0].created_id, created[1].created_id
    await pool.execute(
        "UPDATE activations SET last_seen_at = now() - $2::interval WHERE id = $1",
        stale,
        timedelta(hours=2),
    )
    await pool.execute(
        "UPDATE activations SET last_seen_at = now() - $2::interval WHERE id = $1",
        fresh,
        timedelta(minutes=5),
    )
    before = dict(
        await pool.fetch(
            "SELECT id, (last_seen_at, xmin::text) FROM activations WHERE serial = $1", serial
        )
    )
    # Two re-activations in one batch (plus a new machine, so it is the batch statement).
    again = await run(pool, [params(serial, "stale"), params(serial, "fresh"), params(serial, "x")])
    assert [o.existing_id for o in again[:2]] == [stale, fresh]
    after = dict(
        await pool.fetch(
            "SELECT id, (last_seen_at, xmin::text) FROM activations WHERE serial = $1", serial
        )
    )
    # The machine last seen two hours ago is seen now; the one seen minutes ago is not written.
    assert after[stale][0] > before[stale][0]
    assert after[fresh] == before[fresh]
