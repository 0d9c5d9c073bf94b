"""GET /v1/openapi.json."""

from __future__ import annotations

from aiohttp import web

from vendor_portal.openapi.document import document


async def get_openapi(request: web.Request) -> web.Response:
    return web.json_response(document())
