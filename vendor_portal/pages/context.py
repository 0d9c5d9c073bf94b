"""What every page handler knows about its request: who is signed in, the language, the CSRF
token, and the helpers that render a page or send the browser elsewhere."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import wraps
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp_jinja2
from aiohttp import web

from vendor_portal.accounts.queries import User, Vendor
from vendor_portal.actor import Actor
from vendor_portal.pages import i18n
from vendor_portal.pages.security import Session

# Where the pages are mounted (the session and CSRF cookies are limited to it).
PREFIX = "/portal/"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Page:
    language: str
    csrf_token: str
    user: User | None = None
    vendor: Vendor | None = None
    session: Session | None = None
    # Set by a handler that signs the user in or out; the middleware writes the cookie.
    new_session: Session | None = None
    end_session: bool = False
    # The user a signed device cookie says signed in from this browser before.
    known_user_id: int | None = None
    # One-time messages carried to the next page in a cookie (after a redirect).
    flashes: list[tuple[str, str]] = field(default_factory=list)
    new_flashes: list[tuple[str, str]] = field(default_factory=list)
    language_choice: str | None = None
    # The reader's time zone (IANA name): the profile's setting, else UTC.
    time_zone: str = "UTC"

    @property
    def is_staff(self) -> bool:
        return self.user is not None and self.user.role == "staff"

    @property
    def is_vendor(self) -> bool:
        return self.user is not None and self.user.role == "vendor"


PAGE = web.RequestKey("portal_page", Page)


def page(request: web.Request) -> Page:
    return request[PAGE]


def actor(request: web.Request) -> Actor:
    """The signed-in user as the domain functions know them."""
    from activation_server.http import client_address

    user = request[PAGE].user
    if user is None:
        raise web.HTTPUnauthorized()
    return Actor(
        user_id=user.id,
        email=user.email,
        role=user.role,
        vendor_id=user.vendor_id,
        address=client_address(request),
    )


def url(path: str, **query: object) -> str:
    """An address inside the portal, wherever it is mounted."""
    text = PREFIX + path.lstrip("/")
    pairs = [
        f"{quote(str(key))}={quote(str(value))}"
        for key, value in query.items()
        if value is not None and value != ""
    ]
    return text + ("?" + "&".join(pairs) if pairs else "")


def flash(request: web.Request, message: str, kind: str = "success") -> None:
    request[PAGE].new_flashes.append((kind, message))


def redirect(location: str) -> web.HTTPSeeOther:
    """After a form is accepted: 303 sends the browser to GET the next page."""
    return web.HTTPSeeOther(location)


def safe_next(target: str | None, default: str) -> str:
    """Only addresses inside the portal: a ``next`` parameter must not send people elsewhere."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/portal/") or "\\" in target:
        return default
    return target


def render(
    request: web.Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
) -> web.Response:
    values = dict(context or {})
    values.setdefault("form", None)
    return aiohttp_jinja2.render_template(template, request, values, status=status)


def login_required(handler: Handler) -> Handler:
    @wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        if request[PAGE].user is None:
            target = request.path_qs if request.method == "GET" else None
            raise redirect(url("login", next=target))
        return await handler(request)

    return wrapper


def vendor_required(handler: Handler) -> Handler:
    @wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        current = request[PAGE]
        if current.user is None:
            target = request.path_qs if request.method == "GET" else None
            raise redirect(url("login", next=target))
        if not current.is_vendor:
            raise redirect(url("staff/orders"))
        return await handler(request)

    return wrapper


def staff_required(handler: Handler) -> Handler:
    @wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        current = request[PAGE]
        if current.user is None:
            target = request.path_qs if request.method == "GET" else None
            raise redirect(url("login", next=target))
        if not current.is_staff:
            # As the API does for another vendor's data: nothing is here for this account.
            raise web.HTTPNotFound()
        return await handler(request)

    return wrapper


__all__ = [
    "PAGE",
    "Page",
    "actor",
    "flash",
    "i18n",
    "login_required",
    "page",
    "redirect",
    "render",
    "safe_next",
    "staff_required",
    "url",
    "vendor_required",
]
