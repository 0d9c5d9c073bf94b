"""SQL of the store of answers to repeated submissions."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

# Claims the key when it is free or its previous use has expired; returns nothing when a live
# claim holds it. One statement, so two duplicates arriving together cannot both claim it.
CLAIM = """
INSERT INTO idempotency_keys (scope, key, fingerprint, expires_at)
VALUES ($1, $2, $3, now() + make_interval(secs => $4))
ON CONFLICT (scope, key) DO UPDATE
    SET fingerprint = EXCLUDED.fingerprint, expires_at = EXCLUDED.expires_at,
        response_status = NULL, response_type = NULL, response_body = NULL, location = NULL,
        created_at = now()
    WHERE idempotency_keys.expires_at <= now()
RETURNING key
"""
SELECT = """
SELECT fingerprint, response_status, response_type, response_body, location
FROM idempotency_keys WHERE scope = $1 AND key = $2 AND expires_at > now()
"""
COMPLETE = """
UPDATE idempotency_keys
SET response_status = $3, response_type = $4, response_body = $5, location = $6
WHERE scope = $1 AND key = $2
"""
RELEASE = "DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND response_status IS NULL"
PURGE = """
DELETE FROM idempotency_keys
WHERE ctid IN (SELECT ctid FROM idempotency_keys WHERE expires_at <= now() LIMIT 100)
"""


@dataclass(frozen=True)
class Stored:
    """A finished answer (``status`` set) or a claim still running (``status`` None)."""

    fingerprint: str
    status: int | None
    content_type: str | None
    body: bytes | None
    location: str | None


async def claim(
    connection: asyncpg.Connection, scope: str, key: str, fingerprint: str, seconds: int
) -> bool:
    return await connection.fetchval(CLAIM, scope, key, fingerprint, float(seconds)) is not None


async def stored(connection: asyncpg.Connection, scope: str, key: str) -> Stored | None:
    row = await connection.fetchrow(SELECT, scope, key)
    if row is None:
        return None
    return Stored(
        fingerprint=row["fingerprint"],
        status=row["response_status"],
        content_type=row["response_type"],
        body=None if row["response_body"] is None else bytes(row["response_body"]),
        location=row["location"],
    )


async def complete(
    connection: asyncpg.Connection,
    scope: str,
    key: str,
    *,
    status: int,
    content_type: str | None,
    body: bytes | None,
    location: str | None,
) -> None:
    await connection.execute(COMPLETE, scope, key, status, content_type, body, location)


async def release(connection: asyncpg.Connection, scope: str, key: str) -> None:
    await connection.execute(RELEASE, scope, key)


async def purge_expired(connection: asyncpg.Connection) -> None:
    await connection.execute(PURGE)
