"""Handlers of a company's requisites: GET and PUT /v1/company (vendors; staff add vendor_id)."""

from __future__ import annotations

from aiohttp import web

from activation_server.appkeys import DB_POOL
from activation_server.errors import InvalidRequest
from activation_server.http import read_json_object
from vendor_portal import parsing
from vendor_portal.actor import Actor
from vendor_portal.auth import current_actor
from vendor_portal.documents import service
from vendor_portal.documents.queries import REQUISITE_COLUMNS


def _vendor_id(actor: Actor, request: web.Request) -> int:
    vendor_id = parsing.optional_query_int(request.query, "vendor_id") or actor.vendor_id
    if vendor_id is None:
        raise InvalidRequest("Staff name the company: the query parameter 'vendor_id'.")
    return vendor_id


async def get_company(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    details = await service.get_requisites(request.app[DB_POOL], actor, _vendor_id(actor, request))
    return web.json_response(service.requisites_json(details))


async def put_company(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    body = await read_json_object(request)
    values = {
        name: parsing.text(
            body, name, required=False, max_length=service.MAX_LENGTHS[name], min_length=0
        )
        or ""
        for name in REQUISITE_COLUMNS
    }
    details = await service.set_requisites(
        request.app[DB_POOL], actor, _vendor_id(actor, request), values
    )
    return web.json_response(service.requisites_json(details))
