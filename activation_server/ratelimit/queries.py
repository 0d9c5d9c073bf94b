"""SQL of the failed-attempt counters shared by all worker processes."""

from __future__ import annotations

import asyncpg

RECORD_HIT = """
INSERT INTO rate_limit_hits AS r (key, window_start, hits)
VALUES ($1, now(), 1)
ON CONFLICT (key) DO UPDATE SET
    window_start = CASE WHEN r.window_start <= now() - make_interval(secs => $2)
                        THEN now() ELSE r.window_start END,
    hits = CASE WHEN r.window_start <= now() - make_interval(secs => $2)
                THEN 1 ELSE r.hits + 1 END
RETURNING hits,
    GREATEST(1, ceil(extract(epoch FROM r.window_start + make_interval(secs => $2) - now())))::int
        AS retry_after
"""
SELECT_HITS = """
SELECT hits,
    GREATEST(1, ceil(extract(epoch FROM window_start + make_interval(secs => $2) - now())))::int
        AS retry_after
FROM rate_limit_hits
WHERE key = $1 AND window_start > now() - make_interval(secs => $2)
"""
DELETE_EXPIRED = """
DELETE FROM rate_limit_hits WHERE window_start < now() - make_interval(secs => $1)
"""


async def record_hit(
    connection: asyncpg.Connection, key: str, window_seconds: int
) -> tuple[int, int]:
    row = await connection.fetchrow(RECORD_HIT, key, float(window_seconds))
    assert row is not None
    return int(row["hits"]), int(row["retry_after"])


async def current_hits(
    connection: asyncpg.Connection, key: str, window_seconds: int
) -> tuple[int, int]:
    row = await connection.fetchrow(SELECT_HITS, key, float(window_seconds))
    if row is None:
        return 0, 0
    return int(row["hits"]), int(row["retry_after"])


async def delete_expired(connection: asyncpg.Connection, window_seconds: int) -> None:
    await connection.execute(DELETE_EXPIRED, float(window_seconds))
