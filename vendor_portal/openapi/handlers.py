"""GET /v1/openapi.json."""

from __future__ import annotations

from aiohttp import web

from vendor_portal.appkeys import API_REFERENCE


async def get_openapi(request: web.Request) -> web.Response:
    return web.json_response(request.config_dict[API_REFERENCE].document)
