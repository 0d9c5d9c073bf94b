"""The failure budget of a client address for everything that looks a serial up.

Activations, offline activations (the API's and the portal page's) and validations by serial
spend one budget, so that a guesser cannot go on at another endpoint when one says 429. Each
caller runs its look-up through :func:`limited`, the one place that checks and counts.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiohttp import web

from activation_server.appkeys import DB_POOL, FAILURE_LIMITER
from activation_server.errors import SerialNotFound
from activation_server.http import client_address

T = TypeVar("T")


async def limited(
    request: web.Request,
    attempt: Callable[[str | None], Awaitable[T]],
    *,
    failed: Callable[[T], bool] | None = None,
) -> T:
    """Runs ``attempt(address)`` unless the client's address is over its limit (429), and
    counts a failure when it raises :class:`SerialNotFound` or its answer is ``failed``.

    The failure is counted before it is answered, by one statement that also says whether the
    limit is passed: past it, the caller gets 429 instead of the failure, however many requests
    arrive at once. A success costs no database round trip here."""
    address = client_address(request)
    limiter = request.config_dict[FAILURE_LIMITER]
    limiter.check(address)
    try:
        result = await attempt(address)
    except SerialNotFound:
        await _count(request, address)
        raise
    if failed is not None and failed(result):
        await _count(request, address)
    return result


async def _count(request: web.Request, address: str | None) -> None:
    # An unknown address (a Unix socket) shares one counter rather than escaping the limit.
    async with request.config_dict[DB_POOL].acquire() as connection:
        await request.config_dict[FAILURE_LIMITER].record_failure(connection, address)
