"""Where a feature of the portal adds its addresses.

Each feature package (``vendor_portal/orders``, ``vendor_portal/serials``, ...) has a
``routes.py`` whose ``setup(routes)`` adds the feature's JSON API endpoints (under ``/v1/``,
beside the activation API) and its pages (under ``/portal/``). :mod:`vendor_portal.app` composes
the portal by calling those setups in turn; no other table of addresses exists.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import wraps

from aiohttp import web
from aiohttp.typedefs import Handler

from activation_server.declare import Endpoint, handler_of
from vendor_portal.auth import current_actor
from vendor_portal.idempotency.handlers import idempotent

# Calls that need no account (sign-up, sign-in, links from mail) have no user to keep keys for.
_UNAUTHENTICATED = "/v1/auth/"


@dataclass(frozen=True)
class Routes:
    """The two routers a feature writes into: the API's (the whole application's) and the
    pages' (the ``/portal/`` sub-application's, whose paths are relative to it)."""

    api_router: web.UrlDispatcher
    pages_router: web.UrlDispatcher
    # What the features declared, in order: the API reference is written from it.
    declared: list[Endpoint] = field(default_factory=list)

    def declare(self, endpoints: Iterable[Endpoint]) -> None:
        """The feature's declared endpoints of the vendor API (``endpoints.py``): their bodies
        and queries read as declared, and documented as mounted."""
        for endpoint in endpoints:
            handler = handler_of(endpoint)
            if not endpoint.public:
                handler = _signed_in(handler, staff=endpoint.staff)
            self.api(endpoint.method, endpoint.path, handler)
            self.declared.append(endpoint)

    def api(self, method: str, path: str, handler: Handler) -> None:
        """An endpoint of the vendor API; every call that changes something honours an
        ``Idempotency-Key``."""
        if method != "GET" and not path.startswith(_UNAUTHENTICATED):
            handler = idempotent(handler)
        self.api_router.add_route(method, path, handler)

    def page(self, path: str, handler: Handler, name: str) -> None:
        self.pages_router.add_get(path, handler, name=name)

    def action(self, path: str, handler: Handler, name: str) -> None:
        """A button's address: a form posts to it and is sent elsewhere."""
        self.pages_router.add_post(path, handler, name=name)

    def form(self, path: str, handler: Handler, name: str) -> None:
        """A page with a form: shown by GET, sent by POST to the same address."""
        resource = self.pages_router.add_resource(path, name=name)
        resource.add_route("GET", handler)
        resource.add_route("POST", handler)


def _signed_in(handler: Handler, *, staff: bool) -> Handler:
    """Who calls is known before the body is read: no token answers 401 and a vendor on a staff
    action 403, whatever the body holds."""

    @wraps(handler)
    async def check(request: web.Request) -> web.StreamResponse:
        actor = await current_actor(request)
        if staff:
            actor.require_staff()
        return await handler(request)

    return check
