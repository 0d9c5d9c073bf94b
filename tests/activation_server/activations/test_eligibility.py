"""One eligibility rule, two statements: every scenario gets the same answer from ``ACTIVATE``
(one request) and from ``ACTIVATE_MANY`` (alone, and batched with all the other scenarios), and
the statements' columns are the ones their row types name."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import pytest

from activation_server.activations import queries
from tests.conftest import Factory, fingerprint

UNKNOWN = "7KQ2M-4X9PR-T3VW8-ANC5J"


@dataclasses.dataclass(frozen=True)
class Scenario:
    name: str
    # Prepares one serial (a fresh one on each call) and returns it.
    prepare: Callable[[Factory, asyncpg.Pool], Awaitable[str]]
    product: str | None = None
    features: list[str] | None = None
    machine: str = "asking"


async def _activate(pool: asyncpg.Pool, serial: str, machine: str) -> None:
    async with pool.acquire() as connection:
        outcome = await queries.activate(
            connection,
            serial=serial,
            fingerprint=fingerprint(machine),
            product=None,
            features=None,
            client={},
            address=None,
            new_id=uuid.uuid4(),
            via="online",
        )
    assert outcome is not None and outcome.created_id is not None


def _serial(license_type: str = "SP3", **options: Any) -> Callable[..., Awaitable[str]]:
    async def prepare(factory: Factory, pool: asyncpg.Pool) -> str:
        return await factory.serial(license_type, product="ELIG", **options)

    return prepare


def _then(
    first: Callable[[Factory, asyncpg.Pool], Awaitable[str]],
    *steps: Callable[[asyncpg.Pool, str], Awaitable[None]],
) -> Callable[[Factory, asyncpg.Pool], Awaitable[str]]:
    async def prepare(factory: Factory, pool: asyncpg.Pool) -> str:
        serial = await first(factory, pool)
        for step in steps:
            await step(pool, serial)
        return serial

    return prepare


def _sql(statement: str) -> Callable[[asyncpg.Pool, str], Awaitable[None]]:
    async def step(pool: asyncpg.Pool, serial: str) -> None:
        await pool.execute(statement, serial)

    return step


def _activated(machine: str) -> Callable[[asyncpg.Pool, str], Awaitable[None]]:
    async def step(pool: asyncpg.Pool, serial: str) -> None:
        await _activate(pool, serial, machine)

    return step


async def _unknown(factory: Factory, pool: asyncpg.Pool) -> str:
    return UNKNOWN


_BLOCK = _sql("UPDATE serials SET status = 'blocked' WHERE serial = $1")
_EXPIRE = _sql("UPDATE serials SET valid_until = now() - interval '1 day' WHERE serial = $1")
_DEACTIVATE = _sql(
    "WITH gone AS (UPDATE activations SET deactivated_at = now()"
    " WHERE serial = $1 AND deactivated_at IS NULL RETURNING serial)"
    " UPDATE serials SET used = used - (SELECT count(*) FROM gone) WHERE serial = $1"
)

SCENARIOS = [
    Scenario("unknown serial", _unknown),
    Scenario("fresh full serial", _serial("SP3")),
    Scenario("fresh trial serial", _serial("TRIAL30K")),
    Scenario("blocked", _then(_serial(), _BLOCK)),
    Scenario(
        "blocked, this machine activated before", _then(_serial(), _activated("asking"), _BLOCK)
    ),
    Scenario("expired", _then(_serial(), _EXPIRE)),
    Scenario("expired and blocked", _then(_serial(), _EXPIRE, _BLOCK)),
    Scenario("full", _then(_serial("SP1"), _activated("other"))),
    Scenario(
        "trial pool full", _then(_serial("TRIAL30K", limit=2), _activated("a"), _activated("b"))
    ),
    Scenario("re-activation", _then(_serial(), _activated("asking"))),
    Scenario("re-activation of a full serial", _then(_serial("SP1"), _activated("asking"))),
    Scenario("deactivated, then again", _then(_serial("SP1"), _activated("asking"), _DEACTIVATE)),
    Scenario("the right product", _serial(), product="ELIG"),
    Scenario("another product", _serial(), product="OTHER"),
    Scenario("fewer features than licensed", _serial(), features=["export"]),
    Scenario("features outside the licence", _serial(), features=["export", "teleport"]),
    Scenario("another product and foreign features", _serial(), "OTHER", ["teleport"]),
    Scenario("blocked, asking foreign features", _then(_serial(), _BLOCK), features=["teleport"]),
    Scenario("full, asking foreign features", _then(_serial("SP1"), _activated("x")), None, ["x"]),
]


def _request(scenario: Scenario, serial: str) -> queries.ActivationParams:
    return queries.ActivationParams(
        serial=serial,
        fingerprint=fingerprint(scenario.machine),
        product=scenario.product,
        features=scenario.features,
        client={},
        address="127.0.0.1",
        new_id=uuid.uuid4(),
        via="online",
    )


def _answer(outcome: queries.ActivateOutcome | None) -> dict[str, Any] | str:
    """What the service answers from: everything but ids, times and the batch number."""
    if outcome is None:
        return "SERIAL_NOT_FOUND"
    return {
        "refusal": outcome.refusal,
        "slot": "created"
        if outcome.created_id is not None
        else "existing"
        if outcome.existing_id is not None
        else "none",
        "used": outcome.bumped_used if outcome.created_id is not None else outcome.used,
        "limit": outcome.activation_limit,
        "licensed": outcome.licensed,
        "features": outcome.created_features or outcome.existing_features,
        "trial": outcome.trial,
        "expires": (outcome.created_expires_at or outcome.existing_expires_at) is not None,
        "product": outcome.product,
    }


async def test_every_scenario_gets_one_answer_from_both_activation_statements(
    pool: asyncpg.Pool, factory: Factory
) -> None:
    single: list[Any] = []
    alone: list[Any] = []
    batched_requests: list[queries.ActivationParams] = []
    for scenario in SCENARIOS:
        one, two, three = [await scenario.prepare(factory, pool) for _ in range(3)]
        async with pool.acquire() as connection:
            request = dataclasses.asdict(_request(scenario, one))
            single.append(_answer(await queries.activate(connection, **request)))
            [outcome] = await queries.activate_many(connection, [_request(scenario, two)])
            alone.append(_answer(outcome))
        batched_requests.append(_request(scenario, three))
    async with pool.acquire() as connection:
        batched = [_answer(o) for o in await queries.activate_many(connection, batched_requests)]
    for scenario, a, b, c in zip(SCENARIOS, single, alone, batched, strict=True):
        assert a == b == c, scenario.name
    expected_refusals = {
        "blocked": "SERIAL_BLOCKED",
        "blocked, this machine activated before": "SERIAL_BLOCKED",
        "expired": "SERIAL_EXPIRED",
        "expired and blocked": "SERIAL_BLOCKED",
        "another product": "PRODUCT_MISMATCH",
        "features outside the licence": "FEATURES_NOT_LICENSED",
        "another product and foreign features": "PRODUCT_MISMATCH",
        "blocked, asking foreign features": "SERIAL_BLOCKED",
        "full, asking foreign features": "FEATURES_NOT_LICENSED",
    }
    slots = {
        "fresh full serial": "created",
        "fresh trial serial": "created",
        "full": "none",
        "trial pool full": "none",
        "re-activation": "existing",
        "re-activation of a full serial": "existing",
        "deactivated, then again": "created",
        "the right product": "created",
        "fewer features than licensed": "created",
    }
    for scenario, answer in zip(SCENARIOS, single, strict=True):
        if scenario.name == "unknown serial":
            assert answer == "SERIAL_NOT_FOUND"
            continue
        assert isinstance(answer, dict)
        assert answer["refusal"] == expected_refusals.get(scenario.name), scenario.name
        if scenario.name in slots:
            assert answer["slot"] == slots[scenario.name], scenario.name
        if answer["refusal"] is not None:
            assert answer["slot"] != "created", scenario.name


def _columns(statement: asyncpg.prepared_stmt.PreparedStatement) -> list[str]:
    return [attribute.name for attribute in statement.get_attributes()]


@pytest.mark.parametrize(
    ("statement", "names"),
    [
        (queries.ACTIVATE, list(queries.ActivateOutcome._fields[:-1])),
        (queries.ACTIVATE_MANY, list(queries.ActivateOutcome._fields)),
        (
            queries.STATES_BY_MACHINE,
            ["n", *(f.name for f in dataclasses.fields(queries.ActivationState))],
        ),
        (
            queries.STATES_BY_ACTIVATION,
            ["n", *(f.name for f in dataclasses.fields(queries.ActivationState))],
        ),
        (
            queries.CHECK_IN,
            [
                *(f.name for f in dataclasses.fields(queries.ActivationState)),
                *(f.name for f in dataclasses.fields(queries.CheckInState)[1:]),
            ],
        ),
    ],
)
async def test_rows_read_by_position_have_the_columns_their_types_name(
    pool: asyncpg.Pool, statement: str, names: list[str]
) -> None:
    async with pool.acquire() as connection:
        assert _columns(await connection.prepare(statement)) == names
