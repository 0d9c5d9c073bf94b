"""Handlers of a company's requisites: GET and PUT /v1/company (vendors; staff add vendor_id)."""

from __future__ import annotations

from aiohttp import web

from activation_server.appkeys import DB_POOL
from activation_server.errors import InvalidRequest
from vendor_portal.actor import Actor
from vendor_portal.auth import current_actor
from vendor_portal.documents import schemas, service
from vendor_portal.documents.queries import REQUISITE_COLUMNS


def _vendor_id(actor: Actor, query: schemas.CompanyQuery) -> int:
    vendor_id = query.vendor_id or actor.vendor_id
    if vendor_id is None:
        raise InvalidRequest("Staff name the company: the query parameter 'vendor_id'.")
    return vendor_id


async def get_company(request: web.Request, query: schemas.CompanyQuery) -> web.Response:
    actor = await current_actor(request)
    details = await service.get_requisites(request.app[DB_POOL], actor, _vendor_id(actor, query))
    return web.json_response(service.requisites_json(details))


async def put_company(
    request: web.Request, body: schemas.CompanyBody, query: schemas.CompanyQuery
) -> web.Response:
    actor = await current_actor(request)
    values = {name: getattr(body, name) or "" for name in REQUISITE_COLUMNS}
    details = await service.set_requisites(
        request.app[DB_POOL], actor, _vendor_id(actor, query), values
    )
    return web.json_response(service.requisites_json(details))
