"""Middlewares: every error becomes the contract's JSON body; every request is measured."""

from __future__ import annotations

import logging
import time

from aiohttp import web
from aiohttp.typedefs import Handler

from activation_server import metrics
from activation_server.db.pool import UNAVAILABLE_ERRORS
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


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as error:
        return error_response(error)
    except web.HTTPException as exc:
        if exc.status < 400 or request.path.startswith(HTML_PREFIX):
            raise
        kind = _HTTP_ERRORS.get(exc.status)
        if kind is None:
            return web.json_response(
                {"error": {"code": "HTTP_" + str(exc.status), "message": exc.reason}},
                status=exc.status,
            )
        return error_response(kind())
    except UNAVAILABLE_ERRORS as exc:
        log.warning("database unavailable on %s %s: %r", request.method, request.path, exc)
        return error_response(ServiceUnavailable())
    except Exception:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return web.json_response(
            {"error": {"code": "INTERNAL_ERROR", "message": "Something went wrong on our side."}},
            status=500,
        )


@web.middleware
async def metrics_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        route = _route_name(request)
        metrics.REQUESTS.labels(route, request.method, str(status)).inc()
        metrics.LATENCY.labels(route).observe(time.perf_counter() - started)


@web.middleware
async def security_headers_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    return response
