"""Prometheus metrics: requests by route and result code, latency, activations by result.

With several worker processes, the command line points prometheus-client's multiprocess mode at
a directory of the data dir, so ``GET /metrics`` on any worker reports the sum of all of them.
"""

from __future__ import annotations

import os

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
