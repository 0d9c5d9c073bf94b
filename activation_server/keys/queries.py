"""SQL of the signing keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

SELECT_KEYS = """
SELECT kid, public_key, created_at, retired_at
FROM signing_keys
ORDER BY (retired_at IS NULL) DESC, created_at DESC
"""
SELECT_CURRENT_KID = """
SELECT kid FROM signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC LIMIT 1
"""
INSERT_KEY = "INSERT INTO signing_keys (kid, public_key) VALUES ($1, $2)"
RETIRE_OTHERS = """
UPDATE signing_keys SET retired_at = now() WHERE retired_at IS NULL AND kid <> $1
"""
# Serialises key creation across processes starting at once.
LOCK_KEYS = "SELECT pg_advisory_xact_lock(7413902116)"


@dataclass(frozen=True)
class SigningKeyRow:
    kid: str
    public_key: str
    created_at: datetime
    retired_at: datetime | None


async def list_keys(connection: asyncpg.Connection) -> list[SigningKeyRow]:
    return [SigningKeyRow(**dict(row)) for row in await connection.fetch(SELECT_KEYS)]


async def current_kid(connection: asyncpg.Connection) -> str | None:
    value = await connection.fetchval(SELECT_CURRENT_KID)
    return str(value) if value is not None else None


async def lock_keys(connection: asyncpg.Connection) -> None:
    await connection.execute(LOCK_KEYS)


async def insert_current_key(connection: asyncpg.Connection, kid: str, public_key: str) -> None:
    await connection.execute(INSERT_KEY, kid, public_key)
    await connection.execute(RETIRE_OTHERS, kid)
