"""SQL of serial numbers: license types and issuing batches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

SELECT_LICENSE_TYPES = """
SELECT code, name, kind, activation_limit, transferable FROM license_types ORDER BY position
"""
SELECT_LICENSE_TYPE = """
SELECT code, name, kind, activation_limit, transferable FROM license_types WHERE code = $1
"""
SERIAL_COLUMNS = (
    "serial",
    "product_id",
    "license_type",
    "trial",
    "transferable",
    "activation_limit",
    "features",
    "trial_days",
    "order_line_id",
)


@dataclass(frozen=True)
class LicenseType:
    code: str
    name: str
    kind: str
    activation_limit: int
    transferable: bool

    @property
    def trial(self) -> bool:
        return self.kind == "trial"


async def license_types(connection: asyncpg.Connection) -> list[LicenseType]:
    return [LicenseType(**dict(row)) for row in await connection.fetch(SELECT_LICENSE_TYPES)]


async def license_type(connection: asyncpg.Connection, code: str) -> LicenseType | None:
    row = await connection.fetchrow(SELECT_LICENSE_TYPE, code)
    return LicenseType(**dict(row)) if row is not None else None


async def copy_serials(
    connection: asyncpg.Connection, records: Sequence[tuple[object, ...]]
) -> None:
    """Bulk insert through COPY: a batch of 100 000 serials takes seconds, not minutes."""
    await connection.copy_records_to_table("serials", records=records, columns=SERIAL_COLUMNS)
