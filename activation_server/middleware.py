"""Middlewares: every error becomes the contract's JSON body; every request is measured, logged
and bounded in how long it may wait for the database."""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
import secrets
import time
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from activation_server import metrics
from activation_server.accesslog import ACCESS_LOG
from activation_server.appkeys import SETTINGS
from activation_server.bodies import json_answer
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

REQUEST_ID_HEADER = "X-Request-Id"
# A caller's own request id is kept when it is short and plain; anything else is replaced.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


_HTTP_ERRORS: dict[int, type[ApiError]] = {
    400: InvalidRequest,
    404: NotFound,
    405: MethodNotAllowed,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
}


def error_response(error: ApiError) -> web.Response:
    return json_answer(error.body(), status=error.status, headers=error.headers)


def _route_name(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


def _error_answer(request: web.Request, error: Exception) -> web.StreamResponse:
    """The contract's JSON answer to an exception a handler raised; re-raises the HTTP
    exceptions that are not errors (redirects) and those of the portal's HTML pages."""
    if isinstance(error, ApiError):
        return error_response(error)
    if isinstance(error, web.HTTPException):
        if error.status < 400 or _answers_itself(request):
            raise error
        kind = _HTTP_ERRORS.get(error.status)
        if kind is None:
            return json_answer(
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
    return json_answer(
        {"error": {"code": "INTERNAL_ERROR", "message": "Something went wrong on our side."}},
        status=500,
    )


# aiohttp's default Server header names its version and Python's: a list of what to try.
SERVER = "activation-server"


def _answers_itself(request: web.Request) -> bool:
    """True for an address of a mounted sub-application (the portal's pages), which renders its
    own errors (as HTML) instead of the API's JSON."""
    return len(request.match_info.apps) > 1


def _bad_address(request: web.Request) -> Exception:
    if _answers_itself(request):
        return web.HTTPBadRequest()
    return InvalidRequest("The address holds a NUL character (%00).")


_SECURITY_HEADERS = (
    ("Server", SERVER),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
)


class DatabaseWaitExceeded(asyncio.TimeoutError):
    """The request waited longer than ``db_wait_seconds`` in all: answered 503."""


def _abandon(task: asyncio.Future[Any]) -> None:
    # What a frozen database left half done finishes (or times out) in the background.
    if not task.cancelled():
        task.exception()


def _wake(woken: asyncio.Future[None]) -> None:
    if not woken.done():
        woken.set_result(None)


async def _within(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The handler's answer, or DatabaseWaitExceeded once the request has waited its budget.

    The budget is a hard bound on the client's wait: the handler runs as a task of its own and is
    cancelled and left to clean up (a rollback on a frozen database can take the command timeout
    again) while the client already has its 503. A body still arriving has the client's own
    timeout on top, so a slow client gets its 408, not a 503.
    """
    settings = request.app[SETTINGS]
    budget = settings.db_wait_seconds
    if request.body_exists and not request.content.is_eof():
        budget += settings.client_timeout_seconds
    # What asyncio.wait((task,), timeout=budget) does, without its sets and extra futures: about
    # two thirds of its cost, which every request pays.
    loop = asyncio.get_running_loop()
    task: asyncio.Future[web.StreamResponse] = asyncio.ensure_future(handler(request))
    woken: asyncio.Future[None] = loop.create_future()
    timer = loop.call_later(budget, _wake, woken)
    task.add_done_callback(lambda _task: _wake(woken))
    try:
        await woken
    except asyncio.CancelledError:
        task.cancel()
        raise
    finally:
        timer.cancel()
    if task.done():
        return task.result()
    task.cancel()
    task.add_done_callback(_abandon)
    raise DatabaseWaitExceeded(f"no answer within {budget:g} s")


# A request's id when the caller sent none: unique per process (a random half) and per request
# (a counter), 32 hex digits like a UUID's, without a system call for randomness per request.
_ID_PREFIX = secrets.token_hex(8)
_ID_COUNTER = itertools.count(1)


def new_request_id() -> str:
    return f"{_ID_PREFIX}{next(_ID_COUNTER) & 0xFFFF_FFFF_FFFF_FFFF:016x}"


@web.middleware
async def api_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Measures and logs every request, bounds its wait for the database, renders every error as
    the contract's body and adds the security headers: one middleware rather than several,
    because each layer of aiohttp's middleware chain costs a coroutine and a partial per request
    on the hot path.

    The order is that of the middlewares it replaces (metrics outermost, then security headers,
    then errors): an error answer gets the headers, and an HTTP exception passed through (a
    redirect, a portal page's error) gets neither but is counted with its status.
    """
    started = time.perf_counter()
    status = 500
    given = request.headers.get(REQUEST_ID_HEADER)
    request_id = given if given and _REQUEST_ID.fullmatch(given) else new_request_id()
    try:
        try:
            if "%00" in request.raw_path:
                # No path segment or query value of any address holds a NUL, and PostgreSQL's
                # text cannot store one: refused here, before it can reach a statement.
                raise _bad_address(request)
            response = await _within(request, handler)
        except Exception as error:  # every error gets the contract's answer
            response = _error_answer(request, error)
        headers = response.headers
        for name, value in _SECURITY_HEADERS:
            headers.setdefault(name, value)
        headers[REQUEST_ID_HEADER] = request_id
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        exc.headers.setdefault("Server", SERVER)
        raise
    finally:
        seconds = time.perf_counter() - started
        route = _route_name(request)
        metrics.record_request(route, request.method, status, seconds)
        if ACCESS_LOG.enabled:
            ACCESS_LOG.record(request, request_id, route, status, seconds)
