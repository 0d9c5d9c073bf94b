"""A trial pool filled from empty, as a trial launch fills it.

A fresh database of its own (migrated, one product, one TRIAL100K serial; never vacuumed or
analyzed), a server with one worker on it, and wrk (``hot`` mode: one serial, every request a new
machine) in slices of a few seconds, with no maintenance between them, until the pool is full.
Each slice's new activations are read from the serial's count, so refused requests never count
as activations. One more slice after the end must be refused whole (409), and the pool must end
at exactly its limit with as many live activations.

``python -m bench.fill`` runs it alone (its own embedded PostgreSQL); ``make bench`` runs it once
per run (``bench.run``).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import asyncpg

from activation_server.db.migrate import migrate
from bench import procstat
from bench.seed import _product, issue

if TYPE_CHECKING:
    from bench.run import Harness

# Slices after which a fill that has not ended stops (a collapsed pool would otherwise run on
# for many minutes).
MAX_SLICES = 120


@dataclass
class FillSlice:
    index: int
    seconds: float
    created: int
    rate: float
    requests: int
    p50_ms: float
    p99_ms: float
    used: int
    # CPU per request answered (new or refused) of the server and of PostgreSQL: a slice slower
    # for want of CPU (a busy shared machine) costs the same per request; a worse plan costs more.
    server_us: float
    database_us: float


async def fresh_database(url: str, limit: int) -> str:
    """Migrates the new database at ``url``; one product, one unused trial serial of ``limit``
    slots, and nothing else (no VACUUM, no ANALYZE)."""
    connection = await asyncpg.connect(url)
    try:
        await migrate(connection)
        product = await _product(connection)
        [serial] = await issue(connection, product, "TRIAL100K", 1)
        # The pool's size is the run's: filling 100 000 slots would take a long benchmark.
        await connection.execute(
            "UPDATE serials SET activation_limit = $2 WHERE serial = $1", serial, limit
        )
        return serial
    finally:
        await connection.close()


async def _counts(url: str, serial: str) -> tuple[int, int]:
    """The serial's count and its live activations."""
    connection = await asyncpg.connect(url)
    try:
        row = await connection.fetchrow(
            "SELECT s.used, (SELECT count(*) FROM activations a WHERE a.serial = s.serial"
            " AND a.deactivated_at IS NULL) AS live FROM serials s WHERE s.serial = $1",
            serial,
        )
        assert row is not None
        return int(row["used"]), int(row["live"])
    finally:
        await connection.close()


def run(harness: Harness, limit: int, slice_seconds: float) -> dict[str, Any]:
    """Fills a fresh pool of ``limit`` through a one-worker server; the per-slice figures."""
    name = f"fill_{harness.salt()}"
    url = harness.drop_database(name, create=True)
    serial = asyncio.run(fresh_database(url, limit))
    path = harness.serial_file(name, [serial])
    server, port = harness.start_server(url, workers=1, name=name)
    members = procstat.session_members(server.pid)
    slices: list[FillSlice] = []
    try:
        used = 0
        while used < limit and len(slices) < MAX_SLICES:
            sample = harness.wrk(
                "fill", "hot", path, seconds=slice_seconds, port=port, server=members
            )
            now_used, _ = asyncio.run(_counts(url, serial))
            created = now_used - used
            used = now_used
            slices.append(
                FillSlice(
                    len(slices) + 1,
                    sample.seconds,
                    created,
                    created / sample.seconds,
                    sample.requests,
                    sample.p50_ms,
                    sample.p99_ms,
                    used,
                    sample.server_us,
                    sample.database_us,
                )
            )
            print(
                f"  fill slice {len(slices):>3} {created / sample.seconds:>8,.0f} new/s  "
                f"p50 {sample.p50_ms:6.2f} ms  p99 {sample.p99_ms:6.2f} ms  in the pool {used:,}  "
                f"CPU µs/req server {sample.server_us:,.0f} database {sample.database_us:,.0f}",
                file=sys.stderr,
            )
        after = harness.wrk("fill", "hot", path, seconds=1.0, port=port, server=members)
        end_used, live = asyncio.run(_counts(url, serial))
    finally:
        harness.stop_server(server)
        harness.drop_database(name)
    # The last slice ends when the pool does, part-way through: it is no measure of the rate.
    full = [s for s in slices if s.used < limit] or slices
    rates = [s.rate for s in full]
    return {
        "limit": limit,
        "slice_seconds": slice_seconds,
        "slices": [asdict(s) for s in slices],
        "slowest": min(rates),
        "fastest": max(rates),
        "slowest_over_fastest": min(rates) / max(rates) if max(rates) else 0.0,
        "median_rate": statistics.median(rates),
        "end_used": end_used,
        "end_live": live,
        "after_requests": after.requests,
        "after_refused": after.errors,
        "complete": end_used == limit and live == limit and after.errors == after.requests,
    }


def main(argv: list[str] | None = None) -> int:
    from bench.run import Harness, _parser

    parser = argparse.ArgumentParser(
        prog="python -m bench.fill", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--limit", type=int, default=100_000)
    parser.add_argument("--slice", type=float, default=5.0, help="seconds per slice")
    own, rest = parser.parse_known_args(argv)
    arguments = _parser().parse_args(rest)
    arguments.runs, arguments.seconds, arguments.machines = 1, own.slice, 0
    harness = Harness(arguments)
    try:
        harness.start_database()
        started = time.monotonic()
        result = run(harness, own.limit, own.slice)
    finally:
        harness.stop()
    print(
        f"filled {result['end_used']:,}/{own.limit:,} in {time.monotonic() - started:.0f} s; "
        f"slowest slice {result['slowest']:,.0f}/s, fastest {result['fastest']:,.0f}/s "
        f"({result['slowest_over_fastest']:.2f}); after the end {result['after_refused']} of "
        f"{result['after_requests']} refused"
    )
    return 0 if result["complete"] else 1


if __name__ == "__main__":
    sys.exit(main())
