"""SQL of the revocation lists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

# Serialises the numbering of one vendor's lists (two exports at once get two numbers).
LOCK_VENDOR_LISTS = "SELECT pg_advisory_xact_lock(741390212, $1::int)"
# Blocked serials, and serials whose term has ended (a trial machine's own end is in its
# license's exp already).
SELECT_REVOKED_SERIALS = """
SELECT s.serial, CASE WHEN s.status = 'blocked' THEN 'blocked' ELSE 'expired' END AS reason
FROM serials s JOIN products p ON p.id = s.product_id
WHERE p.vendor_id = $1 AND (s.status = 'blocked' OR s.valid_until <= now())
ORDER BY s.serial
"""
# Freed activations of serials still good (a blocked serial's entry covers its machines): by the
# vendor (a release) or by the machine itself (a deactivation).
SELECT_REVOKED_ACTIVATIONS = """
SELECT a.id,
       CASE WHEN EXISTS (
           SELECT 1 FROM transfers t WHERE t.activation_id = a.id AND t.by = 'vendor'
       ) THEN 'released' ELSE 'deactivated' END AS reason
FROM activations a
JOIN serials s ON s.serial = a.serial
JOIN products p ON p.id = s.product_id
WHERE p.vendor_id = $1 AND a.deactivated_at IS NOT NULL
  AND s.status = 'active' AND (s.valid_until IS NULL OR s.valid_until > now())
ORDER BY a.id
"""
INSERT_LIST = """
INSERT INTO revocation_lists (vendor_id, sequence, serials, activations)
SELECT $1, coalesce(max(sequence), 0) + 1, $2, $3 FROM revocation_lists WHERE vendor_id = $1
RETURNING sequence, issued_at
"""
SELECT_RETIRED_KEYS = """
SELECT kid, retired_at FROM signing_keys
WHERE vendor_id = $1 AND state = 'retired' AND retired_at IS NOT NULL
ORDER BY retired_at
"""


@dataclass(frozen=True)
class Numbered:
    sequence: int
    issued_at: datetime


async def revoked_serials(connection: asyncpg.Connection, vendor_id: int) -> dict[str, str]:
    rows = await connection.fetch(SELECT_REVOKED_SERIALS, vendor_id)
    return {row["serial"]: row["reason"] for row in rows}


async def revoked_activations(connection: asyncpg.Connection, vendor_id: int) -> dict[str, str]:
    rows = await connection.fetch(SELECT_REVOKED_ACTIVATIONS, vendor_id)
    return {str(row["id"]): row["reason"] for row in rows}


async def retired_keys(connection: asyncpg.Connection, vendor_id: int) -> dict[str, datetime]:
    rows = await connection.fetch(SELECT_RETIRED_KEYS, vendor_id)
    return {row["kid"]: row["retired_at"] for row in rows}


async def number(
    connection: asyncpg.Connection, vendor_id: int, serials: int, activations: int
) -> Numbered:
    """The vendor's next list number; the caller owns the transaction."""
    await connection.execute(LOCK_VENDOR_LISTS, vendor_id)
    row = await connection.fetchrow(INSERT_LIST, vendor_id, serials, activations)
    assert row is not None
    return Numbered(int(row["sequence"]), row["issued_at"])
