"""SQL of the signing keys."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

# Every vendor's current key first (the order GET /v1/keys publishes), then next keys, then the
# retired ones, newest first within each.
SELECT_KEYS = """
SELECT kid, public_key, vendor_id, state, created_at, promoted_at, retired_at
FROM signing_keys
ORDER BY CASE state WHEN 'current' THEN 0 WHEN 'next' THEN 1 ELSE 2 END, created_at DESC
"""
# Changes whenever a key is added or changes state: what a process compares to reload.
SELECT_VERSION = """
SELECT coalesce(md5(string_agg(kid || ':' || state, ',' ORDER BY kid)), '') FROM signing_keys
"""
SELECT_VENDOR_KEYS = """
SELECT kid, public_key, vendor_id, state, created_at, promoted_at, retired_at
FROM signing_keys WHERE vendor_id = $1
ORDER BY CASE state WHEN 'current' THEN 0 WHEN 'next' THEN 1 ELSE 2 END, created_at DESC
"""
INSERT_KEY = """
INSERT INTO signing_keys (kid, public_key, vendor_id, state, promoted_at)
VALUES ($1, $2, $3, $4, CASE WHEN $4 = 'current' THEN now() END)
"""
RETIRE_CURRENT = """
UPDATE signing_keys SET state = 'retired', retired_at = now()
WHERE vendor_id = $1 AND state = 'current'
"""
PROMOTE_NEXT = """
UPDATE signing_keys SET state = 'current', promoted_at = now()
WHERE vendor_id = $1 AND state = 'next'
RETURNING kid
"""
SELECT_VENDOR_IDS = "SELECT id FROM vendors ORDER BY id"
SELECT_VENDORS_WITHOUT_KEY = """
SELECT v.id FROM vendors v
WHERE NOT EXISTS (SELECT 1 FROM signing_keys k WHERE k.vendor_id = v.id AND k.state = 'current')
ORDER BY v.id
"""
SELECT_VENDOR_BY_PUBLIC_ID = "SELECT id FROM vendors WHERE public_id = $1"
HAS_NEXT = "SELECT EXISTS (SELECT 1 FROM signing_keys WHERE vendor_id = $1 AND state = 'next')"
SELECT_PUBLIC_ID = "SELECT public_id FROM vendors WHERE id = $1"
# Serialises key creation and promotion across processes.
LOCK_KEYS = "SELECT pg_advisory_xact_lock(7413902116)"


@dataclass(frozen=True)
class SigningKeyRow:
    kid: str
    public_key: str
    vendor_id: int | None
    state: str
    created_at: datetime
    promoted_at: datetime | None
    retired_at: datetime | None


async def list_keys(connection: asyncpg.Connection) -> list[SigningKeyRow]:
    return [SigningKeyRow(**dict(row)) for row in await connection.fetch(SELECT_KEYS)]


async def vendor_keys(connection: asyncpg.Connection, vendor_id: int) -> list[SigningKeyRow]:
    rows = await connection.fetch(SELECT_VENDOR_KEYS, vendor_id)
    return [SigningKeyRow(**dict(row)) for row in rows]


async def version(connection: asyncpg.Connection) -> str:
    return str(await connection.fetchval(SELECT_VERSION))


async def lock_keys(connection: asyncpg.Connection) -> None:
    await connection.execute(LOCK_KEYS)


async def insert_key(
    connection: asyncpg.Connection, kid: str, public_key: str, vendor_id: int, state: str
) -> None:
    await connection.execute(INSERT_KEY, kid, public_key, vendor_id, state)


async def promote_next(connection: asyncpg.Connection, vendor_id: int) -> str | None:
    """Retires the vendor's current key and makes its next key current; None without a next."""
    if not await connection.fetchval(HAS_NEXT, vendor_id):
        return None
    await connection.execute(RETIRE_CURRENT, vendor_id)
    kid = await connection.fetchval(PROMOTE_NEXT, vendor_id)
    return str(kid)


async def vendor_ids(connection: asyncpg.Connection) -> list[int]:
    return [int(row["id"]) for row in await connection.fetch(SELECT_VENDOR_IDS)]


async def vendors_without_key(connection: asyncpg.Connection) -> list[int]:
    return [int(row["id"]) for row in await connection.fetch(SELECT_VENDORS_WITHOUT_KEY)]


async def vendor_by_public_id(connection: asyncpg.Connection, public_id: uuid.UUID) -> int | None:
    value = await connection.fetchval(SELECT_VENDOR_BY_PUBLIC_ID, public_id)
    return int(value) if value is not None else None


async def public_id(connection: asyncpg.Connection, vendor_id: int) -> uuid.UUID | None:
    value = await connection.fetchval(SELECT_PUBLIC_ID, vendor_id)
    return value if isinstance(value, uuid.UUID) else None
