"""Handlers of orders: the life cycle of DESIGN.md §4 and the serials of an order."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from activation_server.appkeys import DB_POOL, SETTINGS
from activation_server.errors import InvalidRequest
from activation_server.http import read_json_object
from vendor_portal import parsing
from vendor_portal.auth import current_actor
from vendor_portal.errors import OrderNotFound
from vendor_portal.orders import service
from vendor_portal.orders.service import LineRequest
from vendor_portal.serials import service as serials
from vendor_portal.serials.service import serial_json, serials_csv


def parse_lines(body: dict[str, Any]) -> list[LineRequest]:
    raw = body.get("lines")
    if not isinstance(raw, list) or not raw:
        raise InvalidRequest("The field 'lines' must be a non-empty list.")
    if len(raw) > service.MAX_LINES:
        raise InvalidRequest(f"An order has at most {service.MAX_LINES} lines.")
    lines = []
    for number, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            raise InvalidRequest(f"Line {number} must be an object.")
        license_type = item.get("license_type")
        if not isinstance(license_type, str) or not 1 <= len(license_type) <= 20:
            raise InvalidRequest(f"Line {number}: 'license_type' must be a license type code.")
        quantity = item.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise InvalidRequest(f"Line {number}: 'quantity' must be an integer.")
        if not 1 <= quantity <= service.MAX_LINE_QUANTITY:
            raise InvalidRequest(
                f"Line {number}: 'quantity' must be between 1 and {service.MAX_LINE_QUANTITY}."
            )
        features = item.get("features")
        terms = {
            name: parsing.integer(
                item, name, required=False, minimum=1, maximum=service.MAX_TERM_MONTHS
            )
            for name in ("term_months", "updates_months")
        }
        lines.append(
            LineRequest(
                product=parsing.product_code(item.get("product"), f"lines[{number}].product"),
                license_type=license_type,
                quantity=quantity,
                features=None if features is None else parsing.features(features),
                **terms,
            )
        )
    return lines


def _order_id(request: web.Request) -> int:
    return parsing.path_id(request.match_info["order_id"], OrderNotFound)


async def get_orders(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    limit, offset = parsing.limit_offset(request.query)
    views = await service.list_orders(
        request.app[DB_POOL],
        actor,
        status=parsing.choice(request.query, "status", service.STATUSES),
        vendor_id=parsing.optional_query_int(request.query, "vendor_id"),
        limit=limit,
        offset=offset,
    )
    return web.json_response({"items": [view.to_json() for view in views]})


async def post_order(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    body = await read_json_object(request)
    view = await service.place_order(
        request.app[DB_POOL],
        actor,
        parse_lines(body),
        vendor_id=parsing.integer(body, "vendor_id", required=False, minimum=1),
    )
    return web.json_response(view.to_json(detail=True), status=201)


async def get_order(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    view = await service.get_order(request.app[DB_POOL], actor, _order_id(request))
    return web.json_response(view.to_json(detail=True))


async def put_order(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    order_id = _order_id(request)
    body = await read_json_object(request)
    view = await service.update_order(request.app[DB_POOL], actor, order_id, parse_lines(body))
    return web.json_response(view.to_json(detail=True))


async def post_invoice(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    actor.require_staff()
    # No options yet, but a body that is sent is read as every JSON body is: junk is refused.
    await parsing.read_optional_json(request)
    view = await service.invoice_order(
        request.app[DB_POOL],
        actor,
        _order_id(request),
        trial_days=request.app[SETTINGS].trial_days,
        base_url=request.app[SETTINGS].base_url,
    )
    return web.json_response(view.to_json(detail=True))


async def post_payment(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    order_id = _order_id(request)
    body = await parsing.read_optional_json(request)
    method = body.get("method", "balance" if not actor.is_staff else "transfer")
    if method not in service.PAYMENT_METHODS:
        raise InvalidRequest("The field 'method' must be 'transfer' or 'balance'.")
    view, created = await service.record_payment(
        request.app[DB_POOL],
        actor,
        order_id,
        method=method,
        reference=parsing.text(body, "reference", required=False, max_length=100),
        amount=parsing.integer(body, "amount", required=False, minimum=1, maximum=10**15),
        trial_days=request.app[SETTINGS].trial_days,
        base_url=request.app[SETTINGS].base_url,
    )
    return web.json_response(view.to_json(detail=True), status=201 if created else 200)


async def post_cancel(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    order_id = _order_id(request)
    body = await parsing.read_optional_json(request)
    reason = parsing.text(body, "reason", required=False, max_length=500)
    view = await service.cancel_order(request.app[DB_POOL], actor, order_id, reason)
    return web.json_response(view.to_json(detail=True))


def _wants_csv(request: web.Request) -> bool:
    accept = request.headers.get("Accept", "")
    return "text/csv" in accept or request.query.get("format") == "csv"


async def get_order_serials(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    order_id = _order_id(request)
    rows = await serials.order_serials(request.app[DB_POOL], actor, order_id)
    if _wants_csv(request):
        return web.Response(
            text=serials_csv(rows),
            content_type="text/csv",
            charset="utf-8",
            headers={"Content-Disposition": f'attachment; filename="order-{order_id}-serials.csv"'},
        )
    return web.json_response({"order_id": order_id, "serials": [serial_json(row) for row in rows]})
