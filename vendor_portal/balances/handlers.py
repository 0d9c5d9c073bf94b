"""Handlers of balances: GET /v1/balance, GET /v1/vendors/{id}/balance, POST .../top-ups."""

from __future__ import annotations

from aiohttp import web

from activation_server.appkeys import DB_POOL
from activation_server.errors import InvalidRequest
from activation_server.http import read_json_object
from vendor_portal import parsing
from vendor_portal.auth import current_actor
from vendor_portal.balances import service
from vendor_portal.balances.service import entry_json
from vendor_portal.errors import VendorNotFound


async def get_own_balance(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    if actor.vendor_id is None:
        raise InvalidRequest("Staff belong to no company: use /v1/vendors/{id}/balance.")
    limit, offset = parsing.limit_offset(request.query, default=100)
    balance = await service.get_balance(request.app[DB_POOL], actor, actor.vendor_id, limit, offset)
    return web.json_response(balance.to_json())


async def get_balance(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    vendor_id = parsing.path_id(request.match_info["vendor_id"], VendorNotFound)
    limit, offset = parsing.limit_offset(request.query, default=100)
    balance = await service.get_balance(request.app[DB_POOL], actor, vendor_id, limit, offset)
    return web.json_response(balance.to_json())


async def post_top_up(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    actor.require_staff()
    vendor_id = parsing.path_id(request.match_info["vendor_id"], VendorNotFound)
    body = await read_json_object(request)
    amount = parsing.integer(body, "amount", minimum=1, maximum=10**15)
    reference = parsing.required_text(body, "reference", max_length=100)
    assert amount is not None
    entry, created = await service.top_up(request.app[DB_POOL], actor, vendor_id, amount, reference)
    return web.json_response(entry_json(entry), status=201 if created else 200)
