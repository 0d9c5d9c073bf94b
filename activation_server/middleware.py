"""Middlewares: every error becomes the contract's JSON body; every request is measured."""

from __future__ import annotations

import logging
import time

from aiohttp import web
from aiohttp.typedefs import Handler

from activation_server import metrics
from activation_server.db.pool import UNAVAILABLE_ERRORS, is_refused_value
from activation_server.errors import (
    ApiError,
    InvalidRequest,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    UnsupportedMediaType,
)

log = logging.getLogger(__name__)

# Pages of the portal render their own errors as HTML.
HTML_PREFIX = "/portal"

_HTTP_ERRORS: dict[int, type[ApiError]] = {
    400: InvalidRequest,
    404: NotFound,
    405: MethodNotAllowed,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
}


def error_response(error: ApiError) -> web.Response:
    return web.json_response(error.body(), status=error.status, headers=error.headers)


def _route_name(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


def _error_answer(request: web.Request, error: Exception) -> web.StreamResponse:
    """The contract's JSON answer to an exception a handler raised; re-raises the HTTP
    exceptions that are not errors (redirects) and those of the portal's HTML pages."""
    if isinstance(error, ApiError):
        return error_response(error)
    if isinstance(error, web.HTTPException):
        if error.status < 400 or request.path.startswith(HTML_PREFIX):
            raise error
        kind = _HTTP_ERRORS.get(error.status)
        if kind is None:
            return web.json_response(
                {"error": {"code": "HTTP_" + str(error.status), "message": error.reason}},
                status=error.status,
            )
        # A 405 says which methods the address does take (RFC 9110 §15.5.6).
        allow = error.headers.get("Allow")
        return error_response(kind(headers={"Allow": allow} if allow is not None else None))
    if is_refused_value(error):
        # Input that a parser should have refused: still the client's fault, not the server's.
        log.warning(
            "value refused by the database on %s %s: %r", request.method, request.path, error
        )
        return error_response(InvalidRequest("The request holds a value that cannot be stored."))
    if isinstance(error, UNAVAILABLE_ERRORS):
        log.warning("database unavailable on %s %s: %r", request.method, request.path, error)
        return error_response(ServiceUnavailable())
    log.exception("unexpected error on %s %s", request.method, request.path, exc_info=error)
    return web.json_response(
        {"error": {"code": "INTERNAL_ERROR", "message": "Something went wrong on our side."}},
        status=500,
    )


# aiohttp's default Server header names its version and Python's: a list of what to try.
SERVER = "activation-server"


def _bad_address(request: web.Request) -> Exception:
    if request.path.startswith(HTML_PREFIX):
        return web.HTTPBadRequest()
    return InvalidRequest("The address holds a NUL character (%00).")


_SECURITY_HEADERS = (
    ("Server", SERVER),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
)


@web.middleware
async def api_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Measures every request, renders every error as the contract's body and adds the security
    headers: one middleware rather than three, because each layer of aiohttp's middleware chain
    costs a coroutine and a partial per request on the hot path.

    The order is that of the three middlewares it replaces (metrics outermost, then security
    headers, then errors): an error answer gets the headers, and an HTTP exception passed
    through (a redirect, a portal page's error) gets neither but is counted with its status.
    """
    started = time.perf_counter()
    status = 500
    try:
        try:
            if "%00" in request.raw_path:
                # No path segment or query value of any address holds a NUL, and PostgreSQL's
                # text cannot store one: refused here, before it can reach a statement.
                raise _bad_address(request)
            response = await handler(request)
        except Exception as error:  # every error gets the contract's answer
            response = _error_answer(request, error)
        headers = response.headers
        for name, value in _SECURITY_HEADERS:
            headers.setdefault(name, value)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        exc.headers.setdefault("Server", SERVER)
        raise
    finally:
        metrics.record_request(
            _route_name(request), request.method, status, time.perf_counter() - started
        )
