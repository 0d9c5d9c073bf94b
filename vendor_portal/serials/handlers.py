"""Handlers of serial management: list and search, one serial, block and unblock, group work,
a machine's release by its vendor and transfers granted by staff. Each is given its body and
query decoded as :mod:`vendor_portal.serials.endpoints` declares them."""

from __future__ import annotations

from uuid import UUID

from aiohttp import web

from activation_server.activations.requests import parse_serial
from activation_server.appkeys import DB_POOL
from activation_server.bodies import decode, decoder
from activation_server.declare import NoOptions
from activation_server.errors import ActivationNotFound, InvalidRequest
from activation_server.http import client_address, read_body
from vendor_portal import parsing
from vendor_portal.auth import current_actor
from vendor_portal.errors import OrderNotFound
from vendor_portal.serials import service
from vendor_portal.serials.queries import SerialFilters
from vendor_portal.serials.schemas import (
    MAX_BULK_BYTES,
    BulkQuery,
    BulkRequest,
    CardQuery,
    FeatureChange,
    SerialQuery,
    StatusChange,
    TransferGrant,
)
from vendor_portal.serials.service import activation_json, serial_json

_BULK = decoder(BulkRequest)
_LIST_TYPES = ("text/csv", "text/plain")


def _serial(request: web.Request) -> str:
    return parse_serial(request.match_info["serial"][:100])


async def get_serials(request: web.Request, query: SerialQuery) -> web.Response:
    actor = await current_actor(request)
    filters = SerialFilters(
        vendor_id=query.vendor_id,
        order_id=query.order_id,
        product=None if query.product is None else parsing.product_code(query.product),
        license_type=query.license_type,
        status=query.status,
        usage=query.usage,
        search=None if query.q is None else service.search_fragment(query.q),
    )
    found = await service.list_serials(
        request.app[DB_POOL], actor, filters, query.limit, query.offset
    )
    return web.json_response(found.to_json())


async def get_serial(request: web.Request, query: CardQuery) -> web.Response:
    actor = await current_actor(request)
    row, activations = await service.get_serial(
        request.app[DB_POOL], actor, _serial(request), query.limit, query.offset
    )
    return web.json_response(
        {**serial_json(row), "activation_list": [activation_json(a) for a in activations]}
    )


async def _set_status(request: web.Request, action: str, body: StatusChange) -> web.Response:
    actor = await current_actor(request)
    serial = _serial(request)
    reason = parsing.given(body.reason)
    if reason is not None:
        parsing.checked_text(reason, "reason")
    row = await service.set_serial_status(request.app[DB_POOL], actor, serial, action, reason)
    return web.json_response(serial_json(row))


async def post_block(request: web.Request, body: StatusChange) -> web.Response:
    return await _set_status(request, "block", body)


async def post_unblock(request: web.Request, body: StatusChange) -> web.Response:
    return await _set_status(request, "unblock", body)


async def post_bulk(request: web.Request, query: BulkQuery) -> web.Response:
    """A JSON :class:`BulkRequest`, or a raw ``text/csv`` / ``text/plain`` list with
    ``?action=`` (the query's action is checked whatever the body's type)."""
    actor = await current_actor(request)
    raw = await read_body(request, MAX_BULK_BYTES)
    action: str
    if request.content_type in _LIST_TYPES:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidRequest("The list is not UTF-8 text.") from None
        action = query.action or "check"
        entries = service.split_list(text)
    else:
        body: BulkRequest = decode(raw.removeprefix(b"\xef\xbb\xbf"), _BULK)
        action = body.action
        if isinstance(body.serials, list):
            entries = [
                (n, v.strip()[:100]) for n, v in enumerate(body.serials, start=1) if v.strip()
            ]
        elif isinstance(body.text, str):
            entries = service.split_list(parsing.checked_text(body.text, "text"))
        else:
            raise InvalidRequest("Send 'serials' (a list) or 'text' (a pasted list).")
    result = await service.bulk(request.app[DB_POOL], actor, action, entries)
    return web.json_response(result.to_json())


async def post_release(request: web.Request, body: NoOptions) -> web.Response:
    actor = await current_actor(request)
    try:
        activation_id = UUID(request.match_info["activation_id"])
    except ValueError:
        raise ActivationNotFound("No such activation.") from None
    released = await service.release_activation(
        request.app[DB_POOL], actor, activation_id, client_address(request)
    )
    return web.json_response(released.to_json())


async def post_transfer_grant(request: web.Request, body: TransferGrant) -> web.Response:
    actor = await current_actor(request)
    serial = _serial(request)
    granted = await service.grant_transfers(request.app[DB_POOL], actor, serial, body.extra)
    return web.json_response({"serial": serial, "transfers_granted": granted})


async def post_serial_features(request: web.Request, body: FeatureChange) -> web.Response:
    actor = await current_actor(request)
    serial = _serial(request)
    features = parsing.features(body.features)
    await service.change_features(request.app[DB_POOL], actor, [serial], features)
    row, _ = await service.get_serial(request.app[DB_POOL], actor, serial, 1, 0)
    return web.json_response(serial_json(row))


async def post_order_features(request: web.Request, body: FeatureChange) -> web.Response:
    actor = await current_actor(request)
    order_id = parsing.path_id(request.match_info["order_id"], OrderNotFound)
    features = parsing.features(body.features)
    rows = await service.order_serials(request.app[DB_POOL], actor, order_id)
    changed = await service.change_features(
        request.app[DB_POOL], actor, [row.serial for row in rows], features
    )
    return web.json_response({"order_id": order_id, "serials": changed, "features": features})
