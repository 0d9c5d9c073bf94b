"""Handlers of balances: GET /v1/balance, GET /v1/vendors/{id}/balance, POST .../top-ups, and
prepayment invoices: POST/GET /v1/balance/prepayment-invoices, POST
/v1/prepayment-invoices/{number}/payments (staff)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from activation_server.appkeys import DB_POOL, SETTINGS
from activation_server.declare import page
from activation_server.errors import InvalidRequest
from vendor_portal import parsing
from vendor_portal.actor import Actor, iso
from vendor_portal.auth import current_actor
from vendor_portal.balances import schemas, service
from vendor_portal.balances.service import entry_json
from vendor_portal.documents.queries import Prepayment
from vendor_portal.errors import PrepaymentNotFound, VendorNotFound


async def get_own_balance(request: web.Request, query: schemas.LedgerQuery) -> web.Response:
    actor = await current_actor(request)
    if actor.vendor_id is None:
        raise InvalidRequest("Staff belong to no company: use /v1/vendors/{id}/balance.")
    return await _balance(request, actor, actor.vendor_id, query)


async def get_balance(request: web.Request, query: schemas.LedgerQuery) -> web.Response:
    actor = await current_actor(request)
    vendor_id = parsing.path_id(request.match_info["vendor_id"], VendorNotFound)
    return await _balance(request, actor, vendor_id, query)


async def _balance(
    request: web.Request, actor: Actor, vendor_id: int, query: schemas.LedgerQuery
) -> web.Response:
    balance = await service.get_balance(
        request.app[DB_POOL], actor, vendor_id, query.limit, query.offset
    )
    ledger = [entry_json(entry) for entry in balance.ledger]
    return web.json_response(
        {
            "vendor_id": balance.vendor_id,
            "balance": balance.balance,
            "currency": balance.currency,
            **page(ledger, balance.entries, query, ledger=ledger),
        }
    )


async def post_top_up(request: web.Request, body: schemas.TopUpBody) -> web.Response:
    actor = await current_actor(request)
    actor.require_staff()
    vendor_id = parsing.path_id(request.match_info["vendor_id"], VendorNotFound)
    entry, created = await service.top_up(
        request.app[DB_POOL],
        actor,
        vendor_id,
        body.amount,
        parsing.checked_text(body.reference, "reference"),
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


async def post_prepayment(request: web.Request, body: schemas.PrepaymentBody) -> web.Response:
    actor = await current_actor(request)
    invoice = await service.request_prepayment(
        request.app[DB_POOL],
        actor,
        body.amount,
        vendor_id=parsing.given(body.vendor_id),
    )
    return web.json_response(prepayment_json(invoice), status=201)


async def get_prepayments(request: web.Request, query: schemas.PrepaymentQuery) -> web.Response:
    actor = await current_actor(request)
    vendor_id = query.vendor_id or actor.vendor_id
    if vendor_id is None:
        raise InvalidRequest("Staff name the company: the query parameter 'vendor_id'.")
    found, total = await service.page_prepayments(
        request.app[DB_POOL], actor, vendor_id, query.limit, query.offset
    )
    return web.json_response(page([prepayment_json(invoice) for invoice in found], total, query))


async def post_prepayment_payment(
    request: web.Request, body: schemas.PrepaymentPaymentBody
) -> web.Response:
    actor = await current_actor(request)
    actor.require_staff()
    number = parsing.path_id(request.match_info["number"], PrepaymentNotFound)
    reference = parsing.checked_text(body.reference, "reference")
    invoice, changed = await service.pay_prepayment(
        request.app[DB_POOL], actor, number, reference, base_url=request.app[SETTINGS].base_url
    )
    return web.json_response(prepayment_json(invoice), status=201 if changed else 200)
