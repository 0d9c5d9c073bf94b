"""GET /healthz (the process answers) and GET /readyz (the database answers)."""

from __future__ import annotations

import asyncio

from aiohttp import web

from activation_server.appkeys import DB_POOL
from activation_server.db.pool import UNAVAILABLE_ERRORS


async def get_healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def get_readyz(request: web.Request) -> web.Response:
    try:
        async with asyncio.timeout(2):
            async with request.app[DB_POOL].acquire() as connection:
                await connection.fetchval("SELECT 1")
    except UNAVAILABLE_ERRORS:
        return web.json_response(
            {"status": "unavailable", "database": "unreachable"},
            status=503,
            headers={"Retry-After": "5"},
        )
    return web.json_response({"status": "ready", "database": "ok"})
