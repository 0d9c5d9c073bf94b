"""GET /v1/audit: a vendor's own part of the audit log; staff see all of it."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from activation_server.appkeys import DB_POOL
from activation_server.declare import page
from vendor_portal import parsing
from vendor_portal.actor import iso
from vendor_portal.audit import queries, schemas, service
from vendor_portal.auth import current_actor


def entry_json(entry: queries.AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": iso(entry.at),
        "actor": entry.actor,
        "vendor_id": entry.vendor_id,
        "action": entry.action,
        "subject": entry.subject,
        "address": entry.address,
        "details": entry.details,
    }


async def get_audit(request: web.Request, query: schemas.AuditQuery) -> web.Response:
    actor = await current_actor(request)
    for name in ("action", "subject"):
        value = getattr(query, name)
        if value is not None:
            parsing.checked_text(value, name)
    entries, total = await service.page_entries(
        request.app[DB_POOL],
        actor,
        vendor_id=query.vendor_id,
        action=query.action,
        subject=query.subject,
        limit=query.limit,
        offset=query.offset,
    )
    return web.json_response(page([entry_json(entry) for entry in entries], total, query))
