"""Cold and hot activations on a database that already holds a million serials and a million
activations, against the same on an empty one, side by side in one run.

Two databases of the benchmark's cluster: ``growth_empty`` (migrated, the benchmark's product, and
the serials each measurement needs) and ``growth_full`` (the same plus ``serials`` serials and
``activations`` activations, written by COPY through ``bench.seed``), each with its own server of
the benchmark's worker count. Every round measures cold and hot on the empty one and then on the
full one, each after the same VACUUM (ANALYZE) as the other scenarios; the figures are the
medians of the rounds. The cost of an activation must not grow with the data: the target is
full / empty ≥ 0.8 for both.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
from typing import TYPE_CHECKING, Any

from bench import procstat
from bench.seed import MACHINES_PER_SERIAL, seed

if TYPE_CHECKING:
    from bench.run import Harness, Sample

SCENARIOS = ("cold", "hot")


def run(harness: Harness, serials: int, activations: int) -> dict[str, Any]:
    rounds = harness.arguments.runs
    activated = activations // MACHINES_PER_SERIAL
    targets: dict[str, tuple[str, list[str]]] = {}
    for name, (unused, used) in {
        "empty": (0, 0),
        "full": (serials - activated, activated),
    }.items():
        url = harness.drop_database(f"growth_{name}", create=True)
        print(f"growth: seeding {name} ({unused + used:,} serials)", file=sys.stderr)
        seeded = asyncio.run(seed(url, sp3=unused, trials=rounds, activated=used, quiet=True))
        targets[name] = (url, list(seeded.trials))
    servers = {
        name: harness.start_server(url, workers=harness.arguments.workers, name=f"growth_{name}")
        for name, (url, _) in targets.items()
    }
    samples: dict[str, list[Sample]] = {}
    try:
        for index in range(rounds):
            for scenario in SCENARIOS:
                for name, (url, trials) in targets.items():
                    server, port = servers[name]
                    harness.settle(url)
                    if scenario == "cold":
                        path = harness.cold_file(
                            f"growth-{name}-{index}", harness.arguments.seconds, url=url
                        )
                    else:
                        path = harness.serial_file(f"growth-trial-{name}-{index}", [trials[index]])
                    label = f"{scenario} ({name})"
                    sample = harness.wrk(
                        label,
                        scenario,
                        path,
                        port=port,
                        server=procstat.session_members(server.pid),
                    )
                    print(
                        f"  {label:<13} {sample.rate:>8,.0f} req/s  p99 {sample.p99_ms:6.2f} ms  "
                        f"errors {sample.errors}",
                        file=sys.stderr,
                    )
                    samples.setdefault(label, []).append(sample)
    finally:
        for server, _ in servers.values():
            harness.stop_server(server)
        for name in targets:
            harness.drop_database(f"growth_{name}")
    rates = {label: statistics.median(s.rate for s in runs) for label, runs in samples.items()}
    return {
        "serials": serials,
        "activations": activations,
        "rates": rates,
        "runs": {label: [s.rate for s in runs] for label, runs in samples.items()},
        "p99_ms": {
            label: statistics.median(s.p99_ms for s in runs) for label, runs in samples.items()
        },
        "errors": sum(s.errors for runs in samples.values() for s in runs),
        "ratios": {
            scenario: rates[f"{scenario} (full)"] / rates[f"{scenario} (empty)"]
            for scenario in SCENARIOS
        },
    }
