"""The database ceiling: the activation's own SQL driven directly with asyncpg, no HTTP.

``python -m bench.dbceiling URL FILE --mode cold|hot --processes N --concurrency C --pool P``
runs the hot path's statements exactly as a server worker issues them (the per-pool batcher of
``activation_server.activations.batching`` over ``queries.ACTIVATE``/``ACTIVATE_MANY``) from N
processes with C activations in flight in total and P connections per process, the same as the
server under the same load, and prints one JSON line: activations, seconds, p50/p99 in
microseconds. Every activation must take a slot (a distinct machine each time); anything else
is counted as an error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from activation_server.activations import queries
from activation_server.activations.batching import ActivationBatcher
from activation_server.db.pool import create_pool
from activation_server.settings import Settings

CLIENT = {"app": "bench", "version": "1.0", "os": "linux"}


def _machine(salt: str, worker: int, n: int) -> str:
    return f"{salt}{worker:08x}{n:08x}" + "0" * 40


async def _drive(
    url: str,
    serials: list[str],
    mode: str,
    worker: int,
    workers: int,
    concurrency: int,
    connections: int,
    seconds: float,
    salt: str,
) -> dict[str, Any]:
    settings = Settings(data_dir=Path(tempfile.gettempdir()))
    pool = await create_pool(url, settings, min_size=connections, max_size=connections)
    batcher = ActivationBatcher(pool)
    latencies: list[float] = []
    errors = 0
    counter = 0
    deadline = time.monotonic() + seconds
    lanes = workers * concurrency

    async def lane(index: int) -> None:
        nonlocal errors, counter
        lane_id = worker * concurrency + index
        step = 0
        while time.monotonic() < deadline:
            if mode == "hot":
                serial = serials[0]
            else:
                serial = serials[(lane_id + (step // 3) * lanes) % len(serials)]
            counter += 1
            started = time.perf_counter()
            outcome = await batcher.activate(
                queries.ActivationParams(
                    serial=serial,
                    fingerprint=_machine(salt, lane_id, step),
                    product="BENCH",
                    features=None,
                    client=CLIENT,
                    address="127.0.0.1",
                    new_id=uuid.uuid4(),
                    via="online",
                )
            )
            latencies.append(time.perf_counter() - started)
            if outcome is None or outcome.created_id is None:
                errors += 1
            step += 1

    started = time.monotonic()
    await asyncio.gather(*(lane(i) for i in range(concurrency)))
    elapsed = time.monotonic() - started
    await pool.close()
    return {"statements": len(latencies), "errors": errors, "seconds": elapsed, "lat": latencies}


def _worker(arguments: tuple[Any, ...], results: Any) -> None:
    results.put(asyncio.run(_drive(*arguments)))


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dbceiling")
    parser.add_argument("url")
    parser.add_argument("serials", type=Path)
    parser.add_argument("--mode", choices=("cold", "hot"), default="cold")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=64, help="activations in flight")
    parser.add_argument("--pool", type=int, default=10, help="connections per process")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--salt", default="dbce0000")
    arguments = parser.parse_args(argv)
    serials = arguments.serials.read_text().split()
    per_process = max(1, arguments.concurrency // arguments.processes)
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    processes = [
        context.Process(
            target=_worker,
            args=(
                (
                    arguments.url,
                    serials,
                    arguments.mode,
                    index,
                    arguments.processes,
                    per_process,
                    arguments.pool,
                    arguments.seconds,
                    arguments.salt,
                ),
                results,
            ),
        )
        for index in range(arguments.processes)
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=arguments.seconds + 60) for _ in processes]
    for process in processes:
        process.join(30)
    latencies = [value for outcome in outcomes for value in outcome["lat"]]
    seconds = max(outcome["seconds"] for outcome in outcomes)
    print(
        json.dumps(
            {
                "requests": len(latencies),
                "errors": sum(outcome["errors"] for outcome in outcomes),
                "duration_us": int(seconds * 1e6),
                "p50_us": int(_percentile(latencies, 0.50) * 1e6),
                "p99_us": int(_percentile(latencies, 0.99) * 1e6),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
