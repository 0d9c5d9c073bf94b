"""Handlers of products: GET/POST /v1/products, GET/PATCH /v1/products/{code}, each given its
body and query decoded as :mod:`vendor_portal.products.endpoints` declares them."""

from __future__ import annotations

from aiohttp import web

from activation_server.appkeys import DB_POOL
from activation_server.declare import page
from activation_server.errors import InvalidRequest
from vendor_portal import parsing
from vendor_portal.auth import current_actor
from vendor_portal.errors import ProductNotFound
from vendor_portal.products import service
from vendor_portal.products.schemas import ProductCreate, ProductPatch, ProductQuery, VendorQuery
from vendor_portal.products.service import product_json


def _code(request: web.Request) -> str:
    code = request.match_info["code"]
    if not parsing.PRODUCT_CODE.fullmatch(code):
        raise ProductNotFound()
    return code


async def get_products(request: web.Request, query: ProductQuery) -> web.Response:
    actor = await current_actor(request)
    total, found = await service.product_page(
        request.app[DB_POOL], actor, query.vendor_id, query.limit, query.offset
    )
    return web.json_response(page([product_json(product) for product in found], total, query))


async def post_product(request: web.Request, body: ProductCreate) -> web.Response:
    actor = await current_actor(request)
    product = await service.create_product(
        request.app[DB_POOL],
        actor,
        code=parsing.product_code(body.code, "code"),
        name=parsing.checked_text(body.name, "name"),
        features=parsing.features(body.features),
        vendor_id=parsing.given(body.vendor_id),
    )
    return web.json_response(product_json(product), status=201)


async def get_product(request: web.Request, query: VendorQuery) -> web.Response:
    actor = await current_actor(request)
    product = await service.get_product(
        request.app[DB_POOL], actor, _code(request), query.vendor_id
    )
    return web.json_response(product_json(product))


async def patch_product(
    request: web.Request, body: ProductPatch, query: VendorQuery
) -> web.Response:
    actor = await current_actor(request)
    code = _code(request)
    name = parsing.given(body.name)
    check_in_days = parsing.given(body.check_in_days)
    grace_days = parsing.given(body.grace_days)
    transfer_budget = parsing.given(body.transfer_budget)
    binding_tolerance = parsing.given(body.binding_tolerance)
    changes = (
        name,
        body.features,
        check_in_days,
        grace_days,
        transfer_budget,
        binding_tolerance,
        body.self_service,
    )
    if all(value is None for value in changes):
        raise InvalidRequest(
            "Send 'name', 'features', 'check_in_days', 'grace_days', 'transfer_budget', "
            "'binding_tolerance' or 'self_service' (any of them) to change."
        )
    product = await service.update_product(
        request.app[DB_POOL],
        actor,
        code,
        name=None if name is None else parsing.checked_text(name, "name"),
        features=None if body.features is None else parsing.features(body.features),
        vendor_id=query.vendor_id,
        check_in_days=check_in_days,
        grace_days=grace_days,
        transfer_budget=transfer_budget,
        binding_tolerance=binding_tolerance,
        self_service=body.self_service,
    )
    return web.json_response(product_json(product))
