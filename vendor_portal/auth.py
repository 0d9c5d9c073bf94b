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
# The actor once found, so that the checks before a handler (an idempotency key, a declared
# endpoint's sign-in) and the handler itself look the token up once.
ACTOR = web.RequestKey("actor", Actor)


async def current_actor(request: web.Request) -> Actor:
    if ACTOR in request:
        return request[ACTOR]
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.partition(" ")
    credentials = credentials.strip()
    if scheme.lower() != "bearer" or not credentials or len(credentials) > MAX_TOKEN_CHARS:
        raise Unauthorized("Sign in first: send 'Authorization: Bearer <token or API key>'.")
    actor = await service.authenticate(
        request.app[DB_POOL], request.app[PORTAL], credentials, client_address(request)
    )
    request[ACTOR] = actor
    return actor
