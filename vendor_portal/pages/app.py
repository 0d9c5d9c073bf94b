"""``create_pages_app(settings)``: the portal's web pages as an aiohttp sub-application.

Mounted under ``/portal/`` by :func:`vendor_portal.app.setup_portal`. The parent application
opens the database, the signing keys and the portal's services; the pages find them through
``request.config_dict``. This sub-application adds what only browsers need: templates in the
reader's language, the session and CSRF cookies, HTML error pages and security headers.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp.typedefs import Handler

from activation_server.appkeys import DB_POOL, SETTINGS
from activation_server.db.pool import UNAVAILABLE_ERRORS
from activation_server.errors import ApiError, ServiceUnavailable
from activation_server.settings import Settings
from vendor_portal.accounts import queries as accounts
from vendor_portal.accounts.service import live_session_of
from vendor_portal.accounts.tokens import load_secret
from vendor_portal.pages import i18n, messages
from vendor_portal.pages.context import PAGE, PREFIX, Page, url
from vendor_portal.pages.once import new_nonce
from vendor_portal.pages.security import (
    COOKIE_PATH,
    CSRF_COOKIE,
    DEVICE_COOKIE,
    DEVICE_COOKIE_SECONDS,
    FLASH_COOKIE,
    LANGUAGE_COOKIE,
    LANGUAGE_COOKIE_SECONDS,
    SESSION_COOKIE,
    SESSION_IDLE_SECONDS,
    Signer,
    new_csrf_cookie,
)

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent.parent
TEMPLATE_DIR = PACKAGE_DIR / "templates"
STATIC_DIR = PACKAGE_DIR / "static"
# Part of every static address, so a browser fetches the new files after an upgrade.
STATIC_VERSION = "5"


def template_folders() -> list[Path]:
    """The shared layouts first, then each feature's own ``templates`` folder. A template's name
    (``orders/card.html``) is its path inside one of them, and names a single file."""
    return [TEMPLATE_DIR, *sorted(PACKAGE_DIR.glob("*/templates"))]


SIGNER = web.AppKey("portal_signer", Signer)

# A pasted or uploaded list of 10 000 serials is about 250 KiB.
FORM_BODY_LIMIT = 1024 * 1024
_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        # Bootstrap draws its form controls' icons as data: SVG images.
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)


@web.middleware
async def headers_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    headers = response.headers
    if request.path.startswith(PREFIX + "static/"):
        headers["Cache-Control"] = "public, max-age=604800"
    else:
        # Pages show one account's data: no shared cache may keep them.
        headers.setdefault("Cache-Control", "no-store")
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.app[SETTINGS].portal.cookie_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def _origin_allowed(request: web.Request) -> bool:
    """A form posted from another site names that site in ``Origin``: refuse it."""
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        # Old browsers send none; the CSRF token still protects them.
        return origin is None
    host = origin.split("://", 1)[-1]
    return host == request.host


def _language(request: web.Request, stored: str | None) -> tuple[str, str | None]:
    """The user's own choice, else this browser's, else the browser's Accept-Language."""
    if stored in i18n.LANGUAGE_CODES:
        assert stored is not None
        return stored, None
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in i18n.LANGUAGE_CODES:
        return chosen, chosen
    return i18n.negotiate(request.headers.get("Accept-Language")), None


async def _load_user(
    request: web.Request, page: Page
) -> tuple[accounts.User | None, accounts.Vendor | None, str | None]:
    """The signed-in user, their company and language; sets the page's time zone."""
    if page.session is None:
        return None, None, None
    async with request.config_dict[DB_POOL].acquire() as connection:
        # Sign-out, a password change or reset, or the user ending it elsewhere ended the
        # session's row: the cookie alone proves nothing.
        if not await live_session_of(connection, page.session.token, page.session.user_id):
            return None, None, None
        user = await accounts.user(connection, page.session.user_id)
        if (
            user is None
            or user.token_version != page.session.version
            or not user.confirmed_at
            or user.disabled_at is not None
        ):
            return None, None, None
        vendor = await accounts.vendor(connection, user.vendor_id) if user.vendor_id else None
        language, zone = await accounts.user_preferences(connection, user.id)
    page.time_zone = zone or "UTC"
    return user, vendor, language


def _error_page(request: web.Request, status: int, message: str, title: str) -> web.Response:
    # The template context is given here, not left to the context processors: a refusal raised
    # before the handler (the CSRF check) comes before they run.
    context = {
        **_template_values(request),
        "status": status,
        "message": message,
        "title": title,
        "form": None,
        "retry": status in _RETRYABLE and _reopens(request),
    }
    try:
        response = aiohttp_jinja2.render_template("error.html", request, context, status=status)
    except Exception:
        log.exception("the error page itself failed on %s", request.path)
        return web.Response(text=f"{status} {message}", status=status)
    return response


def _reopens(request: web.Request) -> bool:
    """Whether the address can be opened again as it is (a refused form's address shows the
    form again; an address only for sending, such as a download, does not)."""
    if request.method == "GET":
        return True
    resource = request.match_info.route.resource
    return resource is not None and any(route.method == "GET" for route in resource)


_HTTP_TITLES = {
    400: i18n.N_("The request is not valid"),
    401: i18n.N_("Sign in first"),
    403: i18n.N_("Not allowed"),
    404: i18n.N_("Page not found"),
    405: i18n.N_("This address does not take that request"),
    408: i18n.N_("The request took too long"),
    413: i18n.N_("Too large"),
    429: i18n.N_("Too many attempts"),
    500: i18n.N_("Something went wrong"),
    503: i18n.N_("Briefly unavailable"),
}
# Refusals that the same request may pass a little later, or after a reload (a stale form).
_RETRYABLE = frozenset({403, 408, 429, 500, 503})


def _title(status: int) -> str:
    return i18n.gettext(_HTTP_TITLES.get(status, i18n.N_("Something went wrong")))


def _http_error(request: web.Request, exc: web.HTTPException) -> web.Response:
    title = _title(exc.status)
    if exc.status == 404:
        message = messages.explain(_NOT_FOUND)
    elif exc.status == 403 and exc.reason == "CSRF":
        message = i18n.gettext(
            "The form was open too long or came from another site. Reload the page and send it "
            "again."
        )
    elif exc.status == 413:
        message = i18n.gettext("What was sent is too large.")
    elif exc.status == 405:
        message = i18n.gettext(
            "This address is for sending a form, not for opening in the browser. Go back to "
            "the page with the form."
        )
    else:
        message = exc.reason
    response = _error_page(request, exc.status, message, title)
    if "Allow" in exc.headers:
        response.headers["Allow"] = exc.headers["Allow"]
    return response


class _NotFound(ApiError):
    code = "NOT_FOUND"
    status = 404


_NOT_FOUND = _NotFound()


@web.middleware
async def page_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith(PREFIX + "static/"):
        return await handler(request)
    if request.method in _UNSAFE_METHODS:
        # Forms may carry more than the API's bodies: group work posts lists of serials.
        request = request.clone(client_max_size=FORM_BODY_LIMIT)
    signer = request.app[SIGNER]
    settings = request.app[SETTINGS]
    csrf_cookie = request.cookies.get(CSRF_COOKIE)
    fresh_csrf = csrf_cookie is None or len(csrf_cookie) > 128
    if fresh_csrf:
        csrf_cookie = new_csrf_cookie()
    assert csrf_cookie is not None
    session = signer.load_session(request.cookies.get(SESSION_COOKIE))
    language, choice = _language(request, None)
    page = Page(
        language=language,
        csrf_token=signer.csrf_token(csrf_cookie),
        session=session,
        flashes=signer.load_flashes(request.cookies.get(FLASH_COOKIE)),
        language_choice=choice,
        known_user_id=signer.load_device(request.cookies.get(DEVICE_COOKIE)),
    )
    request[PAGE] = page
    token = i18n.activate(language)
    zone_token = i18n.activate_time_zone("UTC")
    try:
        response = await _handle(request, handler, page, signer, csrf_cookie, fresh_csrf)
    finally:
        i18n.deactivate(token)
        i18n.deactivate_time_zone(zone_token)
    _write_cookies(request, response, page, signer, settings, csrf_cookie, fresh_csrf)
    return response


async def _handle(
    request: web.Request,
    handler: Handler,
    page: Page,
    signer: Signer,
    csrf_cookie: str,
    fresh_csrf: bool,
) -> web.StreamResponse:
    try:
        page.user, page.vendor, stored_language = await _load_user(request, page)
        i18n.activate_time_zone(page.time_zone)
        if page.user is None:
            page.session = None
        elif stored_language in i18n.LANGUAGE_CODES:
            assert stored_language is not None
            page.language = stored_language
            i18n.activate(stored_language)
        if request.method in _UNSAFE_METHODS:
            form = await request.post()
            token = form.get("csrf_token")
            if (
                fresh_csrf
                or not _origin_allowed(request)
                or not signer.check_csrf(csrf_cookie, token if isinstance(token, str) else None)
            ):
                raise web.HTTPForbidden(reason="CSRF")
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            # Answered anew so that the cookies of this request (a new session) go with it.
            return web.Response(status=exc.status, headers=exc.headers)
        return _http_error(request, exc)
    except ApiError as error:
        response = _error_page(request, error.status, messages.explain(error), _title(error.status))
        # Retry-After of a limit reached says when to come back, in a page as in the API.
        response.headers.update(error.headers)
        return response
    except UNAVAILABLE_ERRORS as exc:
        log.warning("database unavailable on %s %s: %r", request.method, request.path, exc)
        unavailable = ServiceUnavailable()
        response = _error_page(
            request, 503, messages.explain(unavailable), i18n.gettext("Briefly unavailable")
        )
        response.headers["Retry-After"] = "5"
        return response
    except Exception:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return _error_page(
            request,
            500,
            i18n.gettext("Something went wrong on our side. Please try again."),
            i18n.gettext("Something went wrong"),
        )


def _write_cookies(
    request: web.Request,
    response: web.StreamResponse,
    page: Page,
    signer: Signer,
    settings: Settings,
    csrf_cookie: str,
    fresh_csrf: bool,
) -> None:
    if response.prepared:
        return
    secure = settings.portal.cookie_secure
    common: dict[str, Any] = {"path": COOKIE_PATH, "secure": secure, "httponly": True}
    if fresh_csrf:
        # Strict: the token cookie is never sent along with a request that another site starts.
        response.set_cookie(CSRF_COOKIE, csrf_cookie, samesite="Strict", **common)
    if page.new_session is not None:
        response.set_cookie(
            DEVICE_COOKIE,
            signer.dump_device(page.new_session.user_id),
            max_age=DEVICE_COOKIE_SECONDS,
            samesite="Lax",
            **common,
        )
    if page.end_session:
        response.del_cookie(SESSION_COOKIE, path=COOKIE_PATH, secure=secure, samesite="Lax")
    elif page.new_session is not None or page.session is not None:
        session = page.new_session or page.session
        assert session is not None
        renewed = session.renewed(int(time.time()))
        # Renewed at most once a minute, not on every image or form.
        if page.new_session is not None or renewed.expires - session.expires > 60:
            response.set_cookie(
                SESSION_COOKIE,
                signer.dump_session(renewed),
                max_age=SESSION_IDLE_SECONDS,
                samesite="Lax",
                **common,
            )
    if page.new_flashes:
        response.set_cookie(
            FLASH_COOKIE, signer.dump_flashes(page.new_flashes), samesite="Lax", **common
        )
    elif page.flashes and response.status < 300:
        response.del_cookie(FLASH_COOKIE, path=COOKIE_PATH, secure=secure, samesite="Lax")
    if page.language_choice is not None and page.language_choice != request.cookies.get(
        LANGUAGE_COOKIE
    ):
        response.set_cookie(
            LANGUAGE_COOKIE,
            page.language_choice,
            max_age=LANGUAGE_COOKIE_SECONDS,
            samesite="Lax",
            **common,
        )


async def _template_context(request: web.Request) -> dict[str, Any]:
    return _template_values(request)


def _template_values(request: web.Request) -> dict[str, Any]:
    page = request[PAGE] if PAGE in request else None
    return {
        "page": page,
        "url": url,
        "request_path": request.path_qs,
        "static": lambda path: f"{PREFIX}static/{path}?v={STATIC_VERSION}",
        "status_name": messages.status_name,
        "license_type_name": messages.license_type_name,
        "ledger_kind": messages.ledger_kind,
        "ledger_reference": messages.ledger_reference,
        "payment_method": messages.payment_method,
        "renewal_reason": messages.renewal_reason,
    }


def _environment(app: web.Application) -> jinja2.Environment:
    environment = aiohttp_jinja2.setup(
        app,
        loader=jinja2.ChoiceLoader(
            [jinja2.FileSystemLoader(str(folder)) for folder in template_folders()]
        ),
        autoescape=jinja2.select_autoescape(["html", "svg", "xml"], default=True),
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        context_processors=[_template_context],
        trim_blocks=True,
        lstrip_blocks=True,
        default_helpers=False,
    )
    environment.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.raw_gettext, i18n.raw_ngettext, newstyle=True
    )
    environment.filters.update(
        money=i18n.money, number=i18n.number, moment=i18n.moment, day=i18n.day
    )
    environment.globals.update(i18n.template_globals(), new_nonce=new_nonce)
    return environment


def create_pages_app(settings: Settings) -> web.Application:
    """The pages' application without addresses: each feature adds its own pages to it."""
    app = web.Application(middlewares=[headers_middleware, page_middleware])
    app[SETTINGS] = settings
    app[SIGNER] = Signer(load_secret(settings))
    _environment(app)
    app.router.add_static("/static/", STATIC_DIR, name="static", append_version=False)
    return app
