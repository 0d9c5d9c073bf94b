"""The bearer token of a vendor API request, turned into the actor that makes it."""

from __future__ import annotations

from aiohttp import web

from activation_server.appkeys import DB_POOL
from activation_server.errors import Unauthorized
from activation_server.http import client_address
from vendor_portal.accounts import service
from vendor_portal.actor import Actor
from vendor_portal.appkeys import PORTAL

MAX_TOKEN_CHARS = 4096
# Who makes the request, once known: a declared endpoint learns it before reading the body and
# the handler asks again (an API key's use is recorded once).
ACTOR = web.RequestKey("actor", Actor)


async def current_actor(request: web.Request) -> Actor:
    if ACTOR in request:
        return request[ACTOR]
    actor = await _authenticate(request)
    request[ACTOR] = actor
    return actor


async def _authenticate(request: web.Request) -> Actor:
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.partition(" ")
    credentials = credentials.strip()
    if scheme.lower() != "bearer" or not credentials or len(credentials) > MAX_TOKEN_CHARS:
        raise Unauthorized("Sign in first: send 'Authorization: Bearer <token or API key>'.")
    return await service.authenticate(
        request.app[DB_POOL], request.app[PORTAL], credentials, client_address(request)
    )
