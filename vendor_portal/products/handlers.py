"""Handlers of products: GET/POST /v1/products, GET/PATCH /v1/products/{code}."""

from __future__ import annotations

from aiohttp import web

from activation_server.appkeys import DB_POOL
from activation_server.errors import InvalidRequest
from activation_server.http import read_json_object
from vendor_portal import parsing
from vendor_portal.auth import current_actor
from vendor_portal.errors import ProductNotFound
from vendor_portal.products import service
from vendor_portal.products.service import product_json

# The check-in policy's periods, as the database bounds them.
MAX_DAYS = 3650
# Of five named components, at most two may change while most of them stay.
MAX_BINDING_TOLERANCE = 2


def _code(request: web.Request) -> str:
    code = request.match_info["code"]
    if not parsing.PRODUCT_CODE.fullmatch(code):
        raise ProductNotFound()
    return code


async def get_products(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    limit, offset = parsing.limit_offset(request.query, default=100)
    vendor_id = parsing.optional_query_int(request.query, "vendor_id")
    found = await service.list_products(request.app[DB_POOL], actor, vendor_id, limit, offset)
    return web.json_response({"items": [product_json(product) for product in found]})


async def post_product(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    body = await read_json_object(request)
    product = await service.create_product(
        request.app[DB_POOL],
        actor,
        code=parsing.product_code(body.get("code"), "code"),
        name=parsing.required_text(body, "name"),
        features=parsing.features(body.get("features", [])),
        vendor_id=parsing.integer(body, "vendor_id", required=False, minimum=1),
    )
    return web.json_response(product_json(product), status=201)


async def get_product(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    vendor_id = parsing.optional_query_int(request.query, "vendor_id")
    product = await service.get_product(request.app[DB_POOL], actor, _code(request), vendor_id)
    return web.json_response(product_json(product))


async def patch_product(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    code = _code(request)
    body = await read_json_object(request)
    name = parsing.text(body, "name", required=False)
    features = parsing.features(body["features"]) if body.get("features") is not None else None
    check_in_days = parsing.integer(body, "check_in_days", required=False, maximum=MAX_DAYS)
    grace_days = parsing.integer(body, "grace_days", required=False, maximum=MAX_DAYS)
    transfer_budget = parsing.integer(body, "transfer_budget", required=False, maximum=100_000)
    binding_tolerance = parsing.integer(
        body, "binding_tolerance", required=False, maximum=MAX_BINDING_TOLERANCE
    )
    self_service = body.get("self_service")
    if self_service is not None and not isinstance(self_service, bool):
        raise InvalidRequest("The field 'self_service' must be true or false.")
    changes = (
        name,
        features,
        check_in_days,
        grace_days,
        transfer_budget,
        binding_tolerance,
        self_service,
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
        name=name,
        features=features,
        vendor_id=parsing.optional_query_int(request.query, "vendor_id"),
        check_in_days=check_in_days,
        grace_days=grace_days,
        transfer_budget=transfer_budget,
        binding_tolerance=binding_tolerance,
        self_service=self_service,
    )
    return web.json_response(product_json(product))
