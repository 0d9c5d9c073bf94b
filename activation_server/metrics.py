"""Prometheus metrics: requests by route and result code, latency, activations by result.

With several worker processes, the command line points prometheus-client's multiprocess mode at
a directory of the data dir, so ``GET /metrics`` on any worker reports the sum of all of them.
"""

from __future__ import annotations

import os
from typing import Any

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

REQUESTS = Counter(
    "activation_http_requests_total", "HTTP requests answered", ["route", "method", "code"]
)
LATENCY = Histogram(
    "activation_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
ACTIVATIONS = Counter(
    "activation_activations_total",
    "Activation requests by result: created, existing, or the refusal's code",
    ["result"],
)

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"

# The labelled children of the metrics above, by label values. ``.labels(...)`` validates and
# joins its arguments and takes a lock on every call, a few microseconds per request; the
# children never change once made. Bounded, because the method is whatever the client sent:
# past the bound a lookup just goes through ``.labels`` as before.
_MAX_CHILDREN = 1024
_children: dict[tuple[Any, ...], Any] = {}


def _child(key: tuple[Any, ...], make: Any) -> Any:
    child = _children.get(key)
    if child is None:
        child = make()
        if len(_children) < _MAX_CHILDREN:
            _children[key] = child
    return child


def request_counter(route: str, method: str, status: int) -> Any:
    """``REQUESTS.labels(route, method, str(status))``, cached."""
    return _child(
        ("requests", route, method, status), lambda: REQUESTS.labels(route, method, str(status))
    )


def latency_histogram(route: str) -> Any:
    """``LATENCY.labels(route)``, cached."""
    return _child(("latency", route), lambda: LATENCY.labels(route))


def activation_counter(result: str) -> Any:
    """``ACTIVATIONS.labels(result=result)``, cached."""
    return _child(("activations", result), lambda: ACTIVATIONS.labels(result=result))


async def get_metrics(request: web.Request) -> web.Response:
    if os.environ.get(MULTIPROCESS_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        payload = generate_latest(registry)
    else:
        payload = generate_latest()
    response = web.Response(body=payload)
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    return response
