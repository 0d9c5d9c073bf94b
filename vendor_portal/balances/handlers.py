"""Handlers of balances: GET /v1/balance, GET /v1/vendors/{id}/balance, POST .../top-ups, and
prepayment invoices: POST/GET /v1/balance/prepayment-invoices, POST
/v1/prepayment-invoices/{number}/payments (staff)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from activation_server.appkeys import DB_POOL, SETTINGS
from activation_server.errors import InvalidRequest
from activation_server.http import read_json_object
from vendor_portal import parsing
from vendor_portal.actor import iso
from vendor_portal.auth import current_actor
from vendor_portal.balances import service
from vendor_portal.balances.service import entry_json
from vendor_portal.documents.queries import Prepayment
from vendor_portal.errors import PrepaymentNotFound, VendorNotFound


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
    entry, created = await service.top_up(
        request.app[DB_POOL],
        actor,
        vendor_id,
        amount,
        reference,
        base_url=request.app[SETTINGS].base_url,
    )
    return web.json_response(entry_json(entry), status=201 if created else 200)


def prepayment_json(invoice: Prepayment) -> dict[str, Any]:
    return {
        "number": invoice.number,
        "vendor_id": invoice.vendor_id,
        "amount": invoice.amount,
        "currency": invoice.currency,
        "created_at": iso(invoice.created_at),
        "paid_at": iso(invoice.paid_at),
        "reference": invoice.reference,
    }


async def post_prepayment(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    body = await read_json_object(request)
    amount = parsing.integer(body, "amount", minimum=1, maximum=service.MAX_PREPAYMENT)
    assert amount is not None
    invoice = await service.request_prepayment(
        request.app[DB_POOL],
        actor,
        amount,
        vendor_id=parsing.integer(body, "vendor_id", required=False, minimum=1),
    )
    return web.json_response(prepayment_json(invoice), status=201)


async def get_prepayments(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    vendor_id = parsing.optional_query_int(request.query, "vendor_id") or actor.vendor_id
    if vendor_id is None:
        raise InvalidRequest("Staff name the company: the query parameter 'vendor_id'.")
    found = await service.list_prepayments(request.app[DB_POOL], actor, vendor_id)
    return web.json_response({"items": [prepayment_json(invoice) for invoice in found]})


async def post_prepayment_payment(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    actor.require_staff()
    number = parsing.path_id(request.match_info["number"], PrepaymentNotFound)
    body = await read_json_object(request)
    reference = parsing.required_text(body, "reference", max_length=100)
    invoice, changed = await service.pay_prepayment(
        request.app[DB_POOL], actor, number, reference, base_url=request.app[SETTINGS].base_url
    )
    return web.json_response(prepayment_json(invoice), status=201 if changed else 200)
