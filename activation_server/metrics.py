"""Prometheus metrics: requests by route and result code, latency, activations by result.

With several worker processes, the command line points prometheus-client's multiprocess mode at
a directory of the data dir, so ``GET /metrics`` on any worker reports the sum of all of them.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import math
import os
from bisect import bisect_left
from collections.abc import AsyncIterator

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from activation_server.appkeys import SETTINGS
from activation_server.background import background
from activation_server.errors import NotFound, Unauthorized

REQUESTS = Counter(
    "activation_http_requests_total", "HTTP requests answered", ["route", "method", "code"]
)
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
LATENCY = Histogram(
    "activation_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["route"],
    buckets=LATENCY_BUCKETS,
)
ACTIVATIONS = Counter(
    "activation_activations_total",
    "Activation requests by result: created, existing, or the refusal's code",
    ["result"],
)

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
# How often a process hands its tallies to prometheus-client (and so, with several workers, to
# the shared files every worker's /metrics reads).
PUBLISH_SECONDS = 1.0

_BUCKETS = (*LATENCY_BUCKETS, math.inf)

# Tallies of this process since the last publish. prometheus-client's multiprocess values check
# the process id (a system call) and take a lock on every increment, and a histogram observation
# searches its buckets in Python: together about 5 µs a request. A dictionary increment here, and
# one publish a second, cost a tenth of that.
_requests: dict[tuple[str, str, int], int] = {}
_latency: dict[str, list[float]] = {}  # route -> count per bucket, then the sum of seconds
_activations: dict[str, int] = {}
# Past this many label sets (the method is whatever the client sent) the tallies are published
# at once rather than grown.
_MAX_KEYS = 1024


def record_request(route: str, method: str, status: int, seconds: float) -> None:
    key = (route, method, status)
    _requests[key] = _requests.get(key, 0) + 1
    tally = _latency.get(route)
    if tally is None:
        tally = _latency[route] = [0.0] * (len(_BUCKETS) + 1)
    tally[bisect_left(_BUCKETS, seconds)] += 1
    tally[-1] += seconds
    if len(_requests) > _MAX_KEYS:
        publish()


def record_activation(result: str) -> None:
    """An activation request's result: created, existing, or the refusal's code."""
    _activations[result] = _activations.get(result, 0) + 1


def publish() -> None:
    """Moves this process's tallies into the prometheus metrics."""
    requests, latency, activations = dict(_requests), dict(_latency), dict(_activations)
    _requests.clear()
    _latency.clear()
    _activations.clear()
    for (route, method, status), count in requests.items():
        REQUESTS.labels(route, method, str(status)).inc(count)
    for route, tally in latency.items():
        child = LATENCY.labels(route)
        # prometheus-client has no public call to add many observations at once; its children
        # keep one value per bucket (not cumulative) and the sum, which is what is added here.
        for value, observed in zip(child._buckets, tally, strict=False):
            if observed:
                value.inc(observed)
        child._sum.inc(tally[-1])
    for result, count in activations.items():
        ACTIVATIONS.labels(result=result).inc(count)


async def publish_periodically(app: web.Application) -> AsyncIterator[None]:
    """Cleanup context: publishes every PUBLISH_SECONDS, and once more on the way out."""

    async def loop() -> None:
        while True:
            await asyncio.sleep(PUBLISH_SECONDS)
            publish()

    async with background(loop()):
        yield
    publish()


def _check_access(request: web.Request) -> None:
    """Refuses a scrape that the settings do not allow: from a peer outside the allowed
    networks (404, as if there were no such page), or without the token (401).

    The peer is the TCP peer, never a forwarded header: a scraper sits next to the server."""
    settings = request.app[SETTINGS]
    networks = settings.metrics_allowed_networks
    if networks is not None:
        try:
            peer = ipaddress.ip_address(request.remote or "")
        except ValueError:
            raise NotFound() from None
        if not any(peer in network for network in networks):
            raise NotFound()
    token = settings.metrics_token
    if token is not None:
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            raise Unauthorized("Metrics need the bearer token the server was configured with.")


async def get_metrics(request: web.Request) -> web.Response:
    _check_access(request)
    publish()
    if os.environ.get(MULTIPROCESS_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        payload = generate_latest(registry)
    else:
        payload = generate_latest()
    response = web.Response(body=payload)
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    return response
