"""SQL of the failed-attempt counters shared by all worker processes."""

from __future__ import annotations

import asyncpg

# One statement counts the attempt on every key and tells, per key, the count it reached: two
# concurrent attempts can never both read "under the limit" and both go through. Keys come
# sorted, so two statements over the same keys lock the rows in one order (no deadlock).
RECORD_HITS = """
INSERT INTO rate_limit_hits AS r (key, window_start, hits)
SELECT key, now(), 1 FROM unnest($1::text[]) AS key ORDER BY key
ON CONFLICT (key) DO UPDATE SET
    window_start = CASE WHEN r.window_start <= now() - make_interval(secs => $2)
                        THEN now() ELSE r.window_start END,
    hits = CASE WHEN r.window_start <= now() - make_interval(secs => $2)
                THEN 1 ELSE r.hits + 1 END
RETURNING key, hits,
    GREATEST(1, ceil(extract(epoch FROM r.window_start + make_interval(secs => $2) - now())))::int
        AS retry_after
"""
# An attempt that turned out to be legitimate (a right password) gives its count back.
REFUND_HITS = """
UPDATE rate_limit_hits SET hits = GREATEST(hits - 1, 0)
WHERE key = ANY($1::text[]) AND window_start > now() - make_interval(secs => $2)
"""
DELETE_EXPIRED = """
DELETE FROM rate_limit_hits WHERE window_start < now() - make_interval(secs => $1)
"""


async def record_hits(
    connection: asyncpg.Connection, keys: list[str], window_seconds: int
) -> dict[str, tuple[int, int]]:
    """key -> (attempts in the window including this one, seconds until the window ends)."""
    rows = await connection.fetch(RECORD_HITS, sorted(set(keys)), float(window_seconds))
    return {str(row["key"]): (int(row["hits"]), int(row["retry_after"])) for row in rows}


async def refund_hits(connection: asyncpg.Connection, keys: list[str], window_seconds: int) -> None:
    await connection.execute(REFUND_HITS, keys, float(window_seconds))


async def delete_expired(connection: asyncpg.Connection, window_seconds: int) -> None:
    await connection.execute(DELETE_EXPIRED, float(window_seconds))
