"""Handlers of the price list: GET /v1/price-list, PUT /v1/price-list/{license_type}, the
subscription and term prices, partner tiers and a vendor's tier. Each is given its body decoded
as :mod:`vendor_portal.pricing.endpoints` declares it; the staff-only ones are refused to
anyone else before their body is read."""

from __future__ import annotations

from aiohttp import web

from activation_server.appkeys import DB_POOL, SETTINGS
from activation_server.errors import InvalidRequest
from vendor_portal import parsing
from vendor_portal.auth import current_actor
from vendor_portal.errors import VendorNotFound
from vendor_portal.pricing import service
from vendor_portal.pricing.schemas import (
    PriceUpdate,
    SubscriptionPriceUpdate,
    TierUpdate,
    VendorTier,
)


async def get_price_list(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    prices = await service.price_list(
        request.app[DB_POOL], actor, request.app[SETTINGS].portal.early_renewal_percent
    )
    return web.json_response(prices.to_json())


async def put_price(request: web.Request, body: PriceUpdate) -> web.Response:
    actor = await current_actor(request)
    pool = request.app[DB_POOL]
    await service.set_price(pool, actor, request.match_info["license_type"][:20], body.unit_price)
    return web.json_response((await service.price_list(pool, actor)).to_json())


async def put_subscription_price(
    request: web.Request, body: SubscriptionPriceUpdate
) -> web.Response:
    actor = await current_actor(request)
    pool = request.app[DB_POOL]
    await service.set_subscription_price(
        pool,
        actor,
        request.match_info["license_type"][:20],
        None if body.product is None else parsing.product_code(body.product),
        update_first=body.update_first,
        update_renewal=body.update_renewal,
        term_month=body.term_month,
    )
    return web.json_response((await service.price_list(pool, actor)).to_json())


async def put_tier(request: web.Request, body: TierUpdate) -> web.Response:
    actor = await current_actor(request)
    code = request.match_info["code"]
    if not service.TIER_CODE.fullmatch(code):
        raise InvalidRequest("A tier code is lower-case letters, digits, '-' or '_'.")
    name = parsing.checked_text(body.name, "name")
    pool = request.app[DB_POOL]
    await service.set_tier(pool, actor, code, name, body.discount_percent)
    return web.json_response((await service.price_list(pool, actor)).to_json())


async def put_vendor_tier(request: web.Request, body: VendorTier) -> web.Response:
    actor = await current_actor(request)
    vendor_id = parsing.path_id(request.match_info["vendor_id"], VendorNotFound)
    tier = body.tier
    if tier is not None and not service.TIER_CODE.fullmatch(tier):
        raise InvalidRequest("The field 'tier' must be a tier code or null.")
    await service.assign_tier(request.app[DB_POOL], actor, vendor_id, tier)
    return web.json_response({"vendor_id": vendor_id, "tier": tier})
