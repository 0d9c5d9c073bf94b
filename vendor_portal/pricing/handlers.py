"""Handlers of the price list: GET /v1/price-list, PUT /v1/price-list/{license_type}, the
subscription and term prices, partner tiers and a vendor's tier."""

from __future__ import annotations

from aiohttp import web

from activation_server.appkeys import DB_POOL, SETTINGS
from activation_server.errors import InvalidRequest
from activation_server.http import read_json_object
from vendor_portal import parsing
from vendor_portal.auth import current_actor
from vendor_portal.errors import VendorNotFound
from vendor_portal.pricing import service

TIER_CODE = service.TIER_CODE


async def get_price_list(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    prices = await service.price_list(
        request.app[DB_POOL], actor, request.app[SETTINGS].portal.early_renewal_percent
    )
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


MAX_PRICE = 10**15


async def put_subscription_price(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    actor.require_staff()
    body = await read_json_object(request)
    amounts = {
        name: parsing.integer(body, name, minimum=0, maximum=MAX_PRICE)
        for name in ("update_first", "update_renewal", "term_month")
    }
    product = body.get("product")
    pool = request.app[DB_POOL]
    await service.set_subscription_price(
        pool,
        actor,
        request.match_info["license_type"][:20],
        None if product is None else parsing.product_code(product),
        update_first=amounts["update_first"] or 0,
        update_renewal=amounts["update_renewal"] or 0,
        term_month=amounts["term_month"] or 0,
    )
    return web.json_response((await service.price_list(pool, actor)).to_json())


async def put_tier(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    actor.require_staff()
    code = request.match_info["code"]
    if not TIER_CODE.fullmatch(code):
        raise InvalidRequest("A tier code is lower-case letters, digits, '-' or '_'.")
    body = await read_json_object(request)
    name = parsing.required_text(body, "name", max_length=100)
    percent = parsing.integer(body, "discount_percent", minimum=0, maximum=100)
    assert percent is not None
    pool = request.app[DB_POOL]
    await service.set_tier(pool, actor, code, name, percent)
    return web.json_response((await service.price_list(pool, actor)).to_json())


async def put_vendor_tier(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    actor.require_staff()
    vendor_id = parsing.path_id(request.match_info["vendor_id"], VendorNotFound)
    body = await read_json_object(request)
    tier = body.get("tier")
    if tier is not None and not (isinstance(tier, str) and TIER_CODE.fullmatch(tier)):
        raise InvalidRequest("The field 'tier' must be a tier code or null.")
    await service.assign_tier(request.app[DB_POOL], actor, vendor_id, tier)
    return web.json_response({"vendor_id": vendor_id, "tier": tier})
