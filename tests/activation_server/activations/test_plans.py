"""The hot path's statements keep to their indexes whatever the planner knows of the tables.

A prepared statement keeps the generic plan it made on its first executions; on a fresh
database those are made on nearly empty, never analyzed tables. Each statement is prepared here
on such a table, with the generic plan forced, and its plan must look rows up by key only: no
scan of ``activations`` and never the (serial, created_at) index, which answers a machine
look-up by walking every activation of a trial pool's serial.
"""

from __future__ import annotations

import re

import asyncpg
import pytest

from activation_server.activations import queries
from tests.conftest import Factory

# Each statement with its parameters' types (EXPLAIN of a generic plan needs no values).
STATEMENTS = {
    "activate": ("text, text, text, text[], jsonb, inet, uuid, text, boolean", queries.ACTIVATE),
    "activate_many": ("jsonb, jsonb", queries.ACTIVATE_MANY),
    "states_by_machine": ("jsonb", queries.STATES_BY_MACHINE),
    "states_by_activation": ("jsonb", queries.STATES_BY_ACTIVATION),
    "deactivate": ("uuid, inet, text, text", queries.DEACTIVATE),
    "store_licenses": ("jsonb", queries.STORE_LICENSES),
}
KEYED = {"activations_pkey", "activations_live_key", "activations_deactivated_machine_idx"}


@pytest.mark.parametrize("name", list(STATEMENTS))
async def test_a_statement_prepared_on_a_fresh_table_looks_activations_up_by_key_only(
    pool: asyncpg.Pool, factory: Factory, name: str
) -> None:
    await factory.serial("TRIAL30K")
    types, sql = STATEMENTS[name]
    async with pool.acquire() as connection, connection.transaction():
        assert await connection.fetchval(
            "SELECT reltuples < 0 FROM pg_class WHERE relname = 'activations'"
        ), "the table must never have been analyzed"
        await connection.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        await connection.execute(f"PREPARE hot ({types}) AS {sql}")
        arguments = ", ".join("NULL" for _ in types.split(","))
        plan = "\n".join(
            row[0] for row in await connection.fetch(f"EXPLAIN EXECUTE hot({arguments})")
        )
        await connection.execute("DEALLOCATE hot")
    assert "Seq Scan on activations" not in plan, plan
    assert "activations_serial_idx" not in plan, plan
    used = set(re.findall(r"(?:Index Scan using|Bitmap Index Scan on) (activations_\w+)", plan))
    assert used and used <= KEYED, plan
