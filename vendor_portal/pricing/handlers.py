"""Handlers of the price list: GET /v1/price-list, PUT /v1/price-list/{license_type}."""

from __future__ import annotations

from aiohttp import web

from activation_server.appkeys import DB_POOL
from activation_server.http import read_json_object
from vendor_portal import parsing
from vendor_portal.auth import current_actor
from vendor_portal.pricing import service


async def get_price_list(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    prices = await service.price_list(request.app[DB_POOL], actor)
    return web.json_response(prices.to_json())


async def put_price(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    actor.require_staff()
    body = await read_json_object(request)
    unit_price = parsing.integer(body, "unit_price", minimum=0, maximum=10**15)
    assert unit_price is not None
    pool = request.app[DB_POOL]
    await service.set_price(pool, actor, request.match_info["license_type"][:20], unit_price)
    return web.json_response((await service.price_list(pool, actor)).to_json())
