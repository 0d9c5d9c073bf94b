"""Handlers of serial management: list and search, one serial, block and unblock, group work,
a machine's release by its vendor and transfers granted by staff."""

from __future__ import annotations

from uuid import UUID

from aiohttp import web

from activation_server.activations.requests import parse_serial
from activation_server.appkeys import DB_POOL
from activation_server.errors import ActivationNotFound, InvalidRequest
from activation_server.http import client_address, parse_json, read_body, read_json_object
from vendor_portal import parsing
from vendor_portal.auth import current_actor
from vendor_portal.errors import OrderNotFound
from vendor_portal.serials import service
from vendor_portal.serials.queries import SerialFilters
from vendor_portal.serials.service import activation_json, serial_json

# A pasted list or an uploaded CSV of 10 000 serials is about 250 KiB.
MAX_BULK_BYTES = 1024 * 1024
LICENSE_TYPES = ("SP1", "SP3", "SP5", "TRIAL30K", "TRIAL100K")


async def get_serials(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    query = request.query
    limit, offset = parsing.limit_offset(query, default=100)
    product = query.get("product") or None
    if product is not None:
        product = parsing.product_code(product)
    search = query.get("q") or None
    filters = SerialFilters(
        vendor_id=parsing.optional_query_int(query, "vendor_id"),
        order_id=parsing.optional_query_int(query, "order_id"),
        product=product,
        license_type=parsing.choice(query, "license_type", LICENSE_TYPES),
        status=parsing.choice(query, "status", service.STATUSES),
        usage=parsing.choice(query, "usage", service.USAGES),
        search=service.search_fragment(search) if search is not None else None,
    )
    page = await service.list_serials(request.app[DB_POOL], actor, filters, limit, offset)
    return web.json_response(page.to_json())


async def get_serial(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    serial = parse_serial(request.match_info["serial"][:100])
    limit, offset = parsing.limit_offset(request.query, default=200)
    row, activations = await service.get_serial(request.app[DB_POOL], actor, serial, limit, offset)
    return web.json_response(
        {**serial_json(row), "activation_list": [activation_json(a) for a in activations]}
    )


async def _set_status(request: web.Request, action: str) -> web.Response:
    actor = await current_actor(request)
    serial = parse_serial(request.match_info["serial"][:100])
    body = await parsing.read_optional_json(request)
    reason = parsing.text(body, "reason", required=False, max_length=500)
    row = await service.set_serial_status(request.app[DB_POOL], actor, serial, action, reason)
    return web.json_response(serial_json(row))


async def post_block(request: web.Request) -> web.Response:
    return await _set_status(request, "block")


async def post_unblock(request: web.Request) -> web.Response:
    return await _set_status(request, "unblock")


async def post_bulk(request: web.Request) -> web.Response:
    """JSON ``{"action", "serials": [..]}`` or ``{"action", "text": "pasted list"}``, or a raw
    ``text/csv`` / ``text/plain`` body with ``?action=``."""
    actor = await current_actor(request)
    raw = await read_body(request, MAX_BULK_BYTES)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidRequest("The list is not UTF-8 text.") from None
    query_action = request.query.get("action")
    if query_action is not None and query_action not in service.BULK_ACTIONS:
        # Checked whatever the body's type, so a JSON body does not hide a wrong query value.
        raise InvalidRequest(f"The action must be one of: {', '.join(service.BULK_ACTIONS)}.")
    action: object
    if request.content_type in ("text/csv", "text/plain"):
        action = query_action or "check"
        entries = service.split_list(text)
    else:
        body = parse_json(text)
        if not isinstance(body, dict):
            raise InvalidRequest("The request body must be a JSON object.")
        action = body.get("action", "check")
        if "serials" in body:
            values = body["serials"]
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise InvalidRequest("The field 'serials' must be a list of strings.")
            if len(values) > service.MAX_BULK_LINES:
                raise InvalidRequest(f"A list has at most {service.MAX_BULK_LINES} serials.")
            entries = [(n, v.strip()[:100]) for n, v in enumerate(values, start=1) if v.strip()]
        else:
            text_value = parsing.text(body, "text", max_length=MAX_BULK_BYTES)
            assert text_value is not None
            entries = service.split_list(text_value)
    if not isinstance(action, str) or action not in service.BULK_ACTIONS:
        raise InvalidRequest(f"The action must be one of: {', '.join(service.BULK_ACTIONS)}.")
    result = await service.bulk(request.app[DB_POOL], actor, action, entries)
    return web.json_response(result.to_json())


async def post_release(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    try:
        activation_id = UUID(request.match_info["activation_id"])
    except ValueError:
        raise ActivationNotFound("No such activation.") from None
    # No options yet, but a body that is sent is still held to the API's JSON rules.
    await parsing.read_optional_json(request)
    released = await service.release_activation(
        request.app[DB_POOL], actor, activation_id, client_address(request)
    )
    return web.json_response(released.to_json())


async def post_transfer_grant(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    serial = parse_serial(request.match_info["serial"][:100])
    body = await read_json_object(request)
    extra = parsing.integer(body, "extra", minimum=1, maximum=1000)
    assert extra is not None
    granted = await service.grant_transfers(request.app[DB_POOL], actor, serial, extra)
    return web.json_response({"serial": serial, "transfers_granted": granted})


async def _features(request: web.Request) -> list[str]:
    body = await read_json_object(request)
    return parsing.features(body.get("features"))


async def post_serial_features(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    serial = parse_serial(request.match_info["serial"][:100])
    features = await _features(request)
    await service.change_features(request.app[DB_POOL], actor, [serial], features)
    row, _ = await service.get_serial(request.app[DB_POOL], actor, serial, 1, 0)
    return web.json_response(serial_json(row))


async def post_order_features(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    order_id = parsing.path_id(request.match_info["order_id"], OrderNotFound)
    features = await _features(request)
    rows = await service.order_serials(request.app[DB_POOL], actor, order_id)
    changed = await service.change_features(
        request.app[DB_POOL], actor, [row.serial for row in rows], features
    )
    return web.json_response({"order_id": order_id, "serials": changed, "features": features})
