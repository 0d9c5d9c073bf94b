"""Issuing serials: the one path that fulfilment, the demo, the tests and the benchmarks take."""

from __future__ import annotations

import asyncpg
import pytest

from tests.conftest import Factory
from vendor_portal.serials.codec import canonicalize
from vendor_portal.serials.issuing import (
    COPY_CHUNK,
    SerialBatch,
    UnknownLicenseType,
    issue_serials,
)

TERMS = """
SELECT s.serial, s.activation_limit, s.trial, s.transferable, s.trial_days, s.features, s.used,
       s.status, s.order_line_id, t.activation_limit AS type_limit, t.kind, t.transferable AS
       type_transferable
FROM serials s JOIN license_types t ON t.code = s.license_type
WHERE s.product_id = $1
"""


async def test_issued_serials_take_their_license_types_terms(
    pool: asyncpg.Pool, factory: Factory
) -> None:
    product = await factory.product("ISSUE")
    async with pool.acquire() as connection, connection.transaction():
        issued = await issue_serials(
            connection,
            [
                SerialBatch(product.id, "SP5", 3, ["print", "export", "print"]),
                SerialBatch(product.id, "TRIAL30K", 2, []),
            ],
            trial_days=14,
        )
    assert [len(serials) for serials in issued] == [3, 2]
    assert all(serials == sorted(serials) for serials in issued)
    rows = {row["serial"]: row for row in await pool.fetch(TERMS, product.id)}
    assert sorted(rows) == sorted(issued[0] + issued[1])
    for serial, row in rows.items():
        assert canonicalize(serial) == serial
        trial = row["kind"] == "trial"
        assert row["activation_limit"] == row["type_limit"]
        assert (row["trial"], row["transferable"]) == (trial, row["type_transferable"])
        assert row["trial_days"] == (14 if trial else None)
        assert row["features"] == ([] if trial else ["export", "print"])
        assert (row["used"], row["status"], row["order_line_id"]) == (0, "active", None)


async def test_an_unknown_license_type_issues_nothing(pool: asyncpg.Pool, factory: Factory) -> None:
    product = await factory.product("NOTYPE")
    with pytest.raises(UnknownLicenseType):
        async with pool.acquire() as connection, connection.transaction():
            await issue_serials(
                connection,
                [SerialBatch(product.id, "SP1", 2, []), SerialBatch(product.id, "SP2", 1, [])],
                trial_days=30,
            )
    count = await pool.fetchval("SELECT count(*) FROM serials WHERE product_id = $1", product.id)
    assert count == 0


async def test_a_batch_larger_than_a_copy_chunk_is_issued_whole(
    pool: asyncpg.Pool, factory: Factory
) -> None:
    product = await factory.product("CHUNKS")
    async with pool.acquire() as connection, connection.transaction():
        [serials] = await issue_serials(
            connection, [SerialBatch(product.id, "SP1", COPY_CHUNK + 7, [])], trial_days=30
        )
    assert len(set(serials)) == COPY_CHUNK + 7
    stored = await pool.fetchval("SELECT count(*) FROM serials WHERE product_id = $1", product.id)
    assert stored == COPY_CHUNK + 7
