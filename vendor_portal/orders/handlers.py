"""Handlers of orders: the life cycle of DESIGN.md §4 and the serials of an order."""

from __future__ import annotations

from aiohttp import web
from msgspec import UNSET

from activation_server.appkeys import DB_POOL, SETTINGS
from activation_server.declare import NoOptions, page
from vendor_portal import parsing
from vendor_portal.auth import current_actor
from vendor_portal.errors import OrderNotFound
from vendor_portal.orders import schemas, service
from vendor_portal.orders.service import LineRequest
from vendor_portal.serials import service as serials
from vendor_portal.serials.service import serial_json, serials_csv


def line_requests(lines: list[schemas.OrderLineBody]) -> list[LineRequest]:
    """The declared lines with the checks their type cannot make: codes written to the end."""
    return [
        LineRequest(
            product=parsing.product_code(line.product, f"lines[{index}].product"),
            license_type=line.license_type,
            quantity=line.quantity,
            features=None if line.features is None else parsing.features(line.features),
            term_months=parsing.given(line.term_months),
            updates_months=parsing.given(line.updates_months),
        )
        for index, line in enumerate(lines)
    ]


def _order_id(request: web.Request) -> int:
    return parsing.path_id(request.match_info["order_id"], OrderNotFound)


async def get_orders(request: web.Request, query: schemas.OrderQuery) -> web.Response:
    actor = await current_actor(request)
    views, total = await service.page_orders(
        request.app[DB_POOL],
        actor,
        status=query.status,
        vendor_id=query.vendor_id,
        limit=query.limit,
        offset=query.offset,
    )
    return web.json_response(page([view.to_json() for view in views], total, query))


async def post_order(request: web.Request, body: schemas.OrderBody) -> web.Response:
    actor = await current_actor(request)
    view = await service.place_order(
        request.app[DB_POOL],
        actor,
        line_requests(body.lines),
        vendor_id=parsing.given(body.vendor_id),
    )
    return web.json_response(view.to_json(detail=True), status=201)


async def get_order(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    view = await service.get_order(request.app[DB_POOL], actor, _order_id(request))
    return web.json_response(view.to_json(detail=True))


async def put_order(request: web.Request, body: schemas.OrderBody) -> web.Response:
    actor = await current_actor(request)
    view = await service.update_order(
        request.app[DB_POOL], actor, _order_id(request), line_requests(body.lines)
    )
    return web.json_response(view.to_json(detail=True))


async def post_invoice(request: web.Request, body: NoOptions) -> web.Response:
    actor = await current_actor(request)
    actor.require_staff()
    view = await service.invoice_order(
        request.app[DB_POOL],
        actor,
        _order_id(request),
        trial_days=request.app[SETTINGS].trial_days,
        base_url=request.app[SETTINGS].base_url,
    )
    return web.json_response(view.to_json(detail=True))


async def post_payment(request: web.Request, body: schemas.PaymentBody) -> web.Response:
    actor = await current_actor(request)
    order_id = _order_id(request)
    method = "transfer" if actor.is_staff else "balance"
    if body.method is not UNSET:
        method = body.method
    reference = parsing.given(body.reference)
    if reference is not None:
        parsing.checked_text(reference, "reference")
    view, created = await service.record_payment(
        request.app[DB_POOL],
        actor,
        order_id,
        method=method,
        reference=reference,
        amount=parsing.given(body.amount),
        trial_days=request.app[SETTINGS].trial_days,
        base_url=request.app[SETTINGS].base_url,
    )
    return web.json_response(view.to_json(detail=True), status=201 if created else 200)


async def post_cancel(request: web.Request, body: schemas.CancelBody) -> web.Response:
    actor = await current_actor(request)
    order_id = _order_id(request)
    reason = parsing.given(body.reason)
    if reason is not None:
        parsing.checked_text(reason, "reason")
    view = await service.cancel_order(request.app[DB_POOL], actor, order_id, reason)
    return web.json_response(view.to_json(detail=True))


def _wants_csv(request: web.Request) -> bool:
    accept = request.headers.get("Accept", "")
    return "text/csv" in accept or request.query.get("format") == "csv"


async def get_order_serials(request: web.Request, query: schemas.OrderSerialsQuery) -> web.Response:
    """JSON pages through the serials; the CSV file holds all of them."""
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
    shown = [serial_json(row) for row in rows[query.offset : query.offset + query.limit]]
    return web.json_response(page(shown, len(rows), query, order_id=order_id, serials=shown))
