"""SQL of portal sign-ins kept on the server, so that any of them can be ended at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

INSERT_SESSION = """
INSERT INTO portal_sessions (token_hash, user_id, address, user_agent)
VALUES ($1, $2, $3::inet, left($4, 300))
RETURNING id
"""
# Seen at most once a minute per session, so a page view rarely writes.
TOUCH_SESSION = """
UPDATE portal_sessions SET last_seen_at = now()
WHERE token_hash = $1 AND ended_at IS NULL AND last_seen_at < now() - interval '1 minute'
"""
SELECT_LIVE_SESSION = """
SELECT id, user_id FROM portal_sessions WHERE token_hash = $1 AND ended_at IS NULL
"""
END_SESSION = """
UPDATE portal_sessions SET ended_at = now()
WHERE id = $1 AND user_id = $2 AND ended_at IS NULL
RETURNING id
"""
END_SESSION_BY_HASH = """
UPDATE portal_sessions SET ended_at = now() WHERE token_hash = $1 AND ended_at IS NULL
"""
END_ALL_SESSIONS = """
UPDATE portal_sessions SET ended_at = now() WHERE user_id = $1 AND ended_at IS NULL
"""
SELECT_SESSIONS = """
SELECT id, created_at, last_seen_at, host(address) AS address, user_agent
FROM portal_sessions WHERE user_id = $1 AND ended_at IS NULL
ORDER BY last_seen_at DESC LIMIT 100
"""


@dataclass(frozen=True)
class PortalSession:
    id: int
    created_at: datetime
    last_seen_at: datetime
    address: str | None
    user_agent: str


async def start(
    connection: asyncpg.Connection,
    token_hash: bytes,
    user_id: int,
    address: str | None,
    user_agent: str,
) -> int:
    return int(await connection.fetchval(INSERT_SESSION, token_hash, user_id, address, user_agent))


async def live_session(connection: asyncpg.Connection, token_hash: bytes) -> tuple[int, int] | None:
    """(session id, user id) of a session not ended; marks it seen."""
    row = await connection.fetchrow(SELECT_LIVE_SESSION, token_hash)
    if row is None:
        return None
    await connection.execute(TOUCH_SESSION, token_hash)
    return int(row["id"]), int(row["user_id"])


async def end(connection: asyncpg.Connection, session_id: int, user_id: int) -> bool:
    return await connection.fetchval(END_SESSION, session_id, user_id) is not None


async def end_by_token(connection: asyncpg.Connection, token_hash: bytes) -> None:
    await connection.execute(END_SESSION_BY_HASH, token_hash)


async def end_all(connection: asyncpg.Connection, user_id: int) -> None:
    await connection.execute(END_ALL_SESSIONS, user_id)


async def of_user(connection: asyncpg.Connection, user_id: int) -> list[PortalSession]:
    return [PortalSession(**dict(row)) for row in await connection.fetch(SELECT_SESSIONS, user_id)]
