"""Handlers of a vendor's signing keys: GET/POST /v1/signing-keys, POST
/v1/signing-keys/promote, and of what they sign for offline machines: POST
/v1/revocation-lists (staff name the vendor with ``?vendor_id=``). None takes options, but a
body that is sent is held to the API's JSON rules like any other."""

from __future__ import annotations

from aiohttp import web

from activation_server.appkeys import ACTIVATIONS, DB_POOL, SETTINGS
from vendor_portal import parsing
from vendor_portal.auth import current_actor
from vendor_portal.keys import service


def _vendor_id(request: web.Request) -> int | None:
    return parsing.optional_query_int(request.query, "vendor_id")


async def get_signing_keys(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    body = await service.signing_keys(
        request.app[DB_POOL], request.app[ACTIVATIONS].keyring, actor, _vendor_id(request)
    )
    return web.json_response(body)


async def post_signing_key(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    await parsing.read_optional_json(request)
    body = await service.add_next_key(
        request.app[DB_POOL], request.app[ACTIVATIONS].keyring, actor, _vendor_id(request)
    )
    return web.json_response(body, status=201)


async def post_promote(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    await parsing.read_optional_json(request)
    body = await service.promote_next_key(
        request.app[DB_POOL], request.app[ACTIVATIONS].keyring, actor, _vendor_id(request)
    )
    return web.json_response(body)


async def post_revocation_list(request: web.Request) -> web.Response:
    """A new signed revocation list, numbered after the last; the token is the file a vendor
    ships to offline machines."""
    actor = await current_actor(request)
    await parsing.read_optional_json(request)
    issued = await service.revocation_list(
        request.app[DB_POOL],
        request.app[ACTIVATIONS].keyring,
        actor,
        _vendor_id(request),
        issuer=request.app[SETTINGS].issuer,
    )
    return web.json_response(service.revocation_list_json(issued), status=201)
