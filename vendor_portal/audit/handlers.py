"""GET /v1/audit: a vendor's own part of the audit log; staff see all of it."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from activation_server.appkeys import DB_POOL
from vendor_portal import parsing
from vendor_portal.actor import iso
from vendor_portal.audit import queries, service
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


async def get_audit(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    limit, offset = parsing.limit_offset(request.query, default=100)
    action = parsing.text(request.query, "action", required=False, max_length=64)
    subject = parsing.text(request.query, "subject", required=False, max_length=200)
    entries = await service.list_entries(
        request.app[DB_POOL],
        actor,
        vendor_id=parsing.optional_query_int(request.query, "vendor_id"),
        action=action,
        subject=subject,
        limit=limit,
        offset=offset,
    )
    return web.json_response({"items": [entry_json(entry) for entry in entries]})
