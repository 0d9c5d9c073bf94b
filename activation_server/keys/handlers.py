"""GET /v1/keys (every published signing key) and GET /v1/vendors/{public_id}/keys (one
vendor's keys: the JWKS its applications pin)."""

from __future__ import annotations

import uuid

from aiohttp import web

from activation_server.appkeys import ACTIVATIONS, DB_POOL
from activation_server.errors import NotFound
from activation_server.keys import queries

_NO_VENDOR = "No such vendor."
_CACHE = {"Cache-Control": "public, max-age=300"}


async def get_keys(request: web.Request) -> web.Response:
    keyring = request.app[ACTIVATIONS].keyring
    async with request.app[DB_POOL].acquire() as connection:
        await keyring.ensure_all(connection)
    return web.json_response(keyring.jwks, headers=_CACHE)


async def get_vendor_keys(request: web.Request) -> web.Response:
    try:
        public_id = uuid.UUID(request.match_info["public_id"])
    except ValueError:
        raise NotFound(_NO_VENDOR) from None
    keyring = request.app[ACTIVATIONS].keyring
    async with request.app[DB_POOL].acquire() as connection:
        vendor_id = await queries.vendor_by_public_id(connection, public_id)
        if vendor_id is None:
            raise NotFound(_NO_VENDOR)
        # A vendor's keyring exists from its first look at it, before its first license.
        await keyring.ensure(connection, vendor_id)
    return web.json_response(keyring.vendor_jwks(vendor_id), headers=_CACHE)
