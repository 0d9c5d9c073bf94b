"""Reading the audit log: vendors see the entries of their own company, staff see all."""

from __future__ import annotations

import asyncpg

from vendor_portal.actor import Actor
from vendor_portal.audit import queries
from vendor_portal.audit.queries import AuditEntry


async def list_entries(
    pool: asyncpg.Pool,
    actor: Actor,
    *,
    vendor_id: int | None = None,
    action: str | None = None,
    subject: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[AuditEntry]:
    scope = actor.scope()
    async with pool.acquire() as connection:
        return await queries.entries(
            connection,
            vendor_id=scope if scope is not None else vendor_id,
            action=action,
            subject=subject,
            limit=limit,
            offset=offset,
        )
