"""The in-process tallies publish exactly what prometheus-client would have counted itself."""

from __future__ import annotations

import random

from prometheus_client import REGISTRY as DEFAULT
from prometheus_client import CollectorRegistry, Histogram

from activation_server import metrics


def test_published_tallies_equal_direct_observations() -> None:
    route = f"/test/{random.randrange(10**9)}"
    reference = Histogram(
        "reference", "", ["route"], buckets=metrics.LATENCY_BUCKETS, registry=CollectorRegistry()
    )
    rng = random.Random(7)
    # Values on the bucket bounds too: a bound belongs to its own bucket ("le").
    seconds = [rng.choice([0.001, 0.05, 10.0, 11.0, rng.random() * 3]) for _ in range(500)]
    for value in seconds:
        metrics.record_request(route, "POST", 201, value)
        reference.labels(route).observe(value)
    metrics.record_request(route, "GET", 404, 0.002)
    metrics.record_activation("created")
    before = DEFAULT.get_sample_value("activation_activations_total", {"result": "created"}) or 0
    metrics.publish()

    for bound in (*metrics.LATENCY_BUCKETS, float("inf")):
        le = "+Inf" if bound == float("inf") else str(bound)
        ours = DEFAULT.get_sample_value(
            "activation_http_request_duration_seconds_bucket", {"route": route, "le": le}
        )
        theirs = reference.collect()[0]
        expected = next(
            s.value for s in theirs.samples if s.name == "reference_bucket" and s.labels["le"] == le
        )
        assert ours == expected + (1 if bound >= 0.002 else 0), le
    total = DEFAULT.get_sample_value(
        "activation_http_request_duration_seconds_sum", {"route": route}
    )
    assert total is not None and abs(total - (sum(seconds) + 0.002)) < 1e-9
    count = DEFAULT.get_sample_value(
        "activation_http_requests_total", {"route": route, "method": "POST", "code": "201"}
    )
    assert count == len(seconds)
    after = DEFAULT.get_sample_value("activation_activations_total", {"result": "created"})
    assert after == before + 1
    # Published once: a second publish adds nothing.
    metrics.publish()
    assert DEFAULT.get_sample_value(
        "activation_http_requests_total", {"route": route, "method": "POST", "code": "201"}
    ) == len(seconds)
