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
    async with pool.acquire() as connection:
        return await queries.entries(
            connection,
            vendor_id=actor.scoped(vendor_id),
            action=action,
            subject=subject,
            limit=limit,
            offset=offset,
        )


async def page_entries(
    pool: asyncpg.Pool,
    actor: Actor,
    *,
    vendor_id: int | None,
    action: str | None,
    subject: str | None,
    limit: int,
    offset: int,
) -> tuple[list[AuditEntry], int]:
    """A page of :func:`list_entries` and how many entries the filters match in all."""
    vendor_id = actor.scoped(vendor_id)
    async with pool.acquire() as connection:
        found = await queries.entries(
            connection,
            vendor_id=vendor_id,
            action=action,
            subject=subject,
            limit=limit,
            offset=offset,
        )
        total = await queries.count_entries(
            connection, vendor_id=vendor_id, action=action, subject=subject
        )
    return found, total
