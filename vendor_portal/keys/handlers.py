"""Handlers of a vendor's signing keys: GET/POST /v1/signing-keys, POST
/v1/signing-keys/promote, and of what they sign for offline machines: POST
/v1/revocation-lists (staff name the vendor with ``?vendor_id=``). None takes options; a body
that is sent is held to the API's JSON rules by the declaration."""

from __future__ import annotations

from aiohttp import web

from activation_server.appkeys import ACTIVATIONS, DB_POOL, SETTINGS
from activation_server.declare import NoOptions
from vendor_portal.auth import current_actor
from vendor_portal.keys import service
from vendor_portal.products.schemas import VendorQuery


async def get_signing_keys(request: web.Request, query: VendorQuery) -> web.Response:
    actor = await current_actor(request)
    body = await service.signing_keys(
        request.app[DB_POOL], request.app[ACTIVATIONS].keyring, actor, query.vendor_id
    )
    return web.json_response(body)


async def post_signing_key(
    request: web.Request, body: NoOptions, query: VendorQuery
) -> web.Response:
    actor = await current_actor(request)
    keys = await service.add_next_key(
        request.app[DB_POOL], request.app[ACTIVATIONS].keyring, actor, query.vendor_id
    )
    return web.json_response(keys, status=201)


async def post_promote(request: web.Request, body: NoOptions, query: VendorQuery) -> web.Response:
    actor = await current_actor(request)
    keys = await service.promote_next_key(
        request.app[DB_POOL], request.app[ACTIVATIONS].keyring, actor, query.vendor_id
    )
    return web.json_response(keys)


async def post_revocation_list(
    request: web.Request, body: NoOptions, query: VendorQuery
) -> web.Response:
    """A new signed revocation list, numbered after the last; the token is the file a vendor
    ships to offline machines."""
    actor = await current_actor(request)
    issued = await service.revocation_list(
        request.app[DB_POOL],
        request.app[ACTIVATIONS].keyring,
        actor,
        query.vendor_id,
        issuer=request.app[SETTINGS].issuer,
    )
    return web.json_response(service.revocation_list_json(issued), status=201)
