"""SQL of the append-only audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from vendor_portal.actor import Actor

INSERT_ENTRY = """
INSERT INTO audit_log (actor, vendor_id, action, subject, address, details)
VALUES ($1, $2, $3, $4, $5, $6)
"""
_MATCHING = """
FROM audit_log
WHERE ($1::bigint IS NULL OR vendor_id = $1)
  AND ($2::text IS NULL OR action = $2)
  AND ($3::text IS NULL OR subject = $3)
"""
SELECT_ENTRIES = (
    "SELECT id, at, actor, vendor_id, action, subject, host(address) AS address, details"
    + _MATCHING
    + "ORDER BY id DESC LIMIT $4 OFFSET $5"
)
COUNT_ENTRIES = "SELECT count(*)" + _MATCHING


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    vendor_id: int | None
    action: str
    subject: str | None
    address: str | None
    details: dict[str, Any]


async def record(
    connection: asyncpg.Connection,
    actor: Actor,
    action: str,
    *,
    vendor_id: int | None,
    subject: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    await connection.execute(
        INSERT_ENTRY,
        actor.name,
        vendor_id,
        action,
        subject,
        actor.address,
        {"email": actor.email, **(details or {})},
    )


async def record_many(
    connection: asyncpg.Connection,
    actor: Actor,
    action: str,
    subjects: list[tuple[int | None, str]],
    details: dict[str, Any] | None = None,
) -> None:
    """One entry per subject (vendor id, subject) of a bulk action, in one round trip."""
    payload = {"email": actor.email, **(details or {})}
    await connection.executemany(
        INSERT_ENTRY,
        [
            (actor.name, vendor_id, action, subject, actor.address, payload)
            for vendor_id, subject in subjects
        ],
    )


async def entries(
    connection: asyncpg.Connection,
    *,
    vendor_id: int | None,
    action: str | None,
    subject: str | None,
    limit: int,
    offset: int,
) -> list[AuditEntry]:
    rows = await connection.fetch(SELECT_ENTRIES, vendor_id, action, subject, limit, offset)
    return [AuditEntry(**dict(row)) for row in rows]


async def count_entries(
    connection: asyncpg.Connection,
    *,
    vendor_id: int | None,
    action: str | None,
    subject: str | None,
) -> int:
    """How many entries :func:`entries` pages through."""
    return int(await connection.fetchval(COUNT_ENTRIES, vendor_id, action, subject))
