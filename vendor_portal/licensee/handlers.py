"""Handlers of the vendor API for self-service: the licensee's address recorded on a serial,
``GET`` and ``PUT /v1/serials/{serial}/licensee``."""

from __future__ import annotations

from aiohttp import web

from activation_server.activations.requests import parse_serial
from activation_server.appkeys import DB_POOL
from vendor_portal import parsing
from vendor_portal.auth import current_actor
from vendor_portal.licensee import service
from vendor_portal.licensee.schemas import LicenseeEmail


async def get_licensee(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    serial = parse_serial(request.match_info["serial"][:100])
    email = await service.recorded_email(request.app[DB_POOL], actor, serial)
    return web.json_response({"serial": serial, "email": email})


async def put_licensee(request: web.Request, body: LicenseeEmail) -> web.Response:
    actor = await current_actor(request)
    serial = parse_serial(request.match_info["serial"][:100])
    email = None if body.email is None else parsing.email(body.email)
    await service.record_email(request.app[DB_POOL], actor, serial, email)
    return web.json_response({"serial": serial, "email": email})
