"""GET /v1/keys: the public signing keys as a JWKS."""

from __future__ import annotations

from aiohttp import web

from activation_server.appkeys import KEYRING


async def get_keys(request: web.Request) -> web.Response:
    return web.json_response(
        request.app[KEYRING].jwks, headers={"Cache-Control": "public, max-age=300"}
    )
