"""Renewals at scale: the time to price an upload of N serials and to fulfil their renewal.

``python -m bench.renewals [--serials 10000] [--rounds 5] [--database-url URL]`` runs the domain
functions the portal and the API call (``quote_upload``, ``place_renewal_order`` and the payment
from the balance that fulfils the order) against a real PostgreSQL: the embedded one in a
temporary directory unless a URL is given. Half of the serials have a running subscription, half
none, so both prices and both extension rules are exercised. Each round renews the same serials
again (a paid order releases them). Prints one JSON line with the median and every round.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg

from activation_server.db.migrate import migrate
from activation_server.db.pool import create_pool
from activation_server.settings import Settings
from vendor_portal.actor import Actor
from vendor_portal.balances import queries as balances
from vendor_portal.orders import service as orders
from vendor_portal.products import queries as product_queries
from vendor_portal.renewals import service as renewals
from vendor_portal.serials.issuing import SerialBatch, issue_serials

EARLY = 20


async def _seed(pool: asyncpg.Pool, count: int) -> tuple[Actor, list[str]]:
    async with pool.acquire() as connection, connection.transaction():
        vendor_id = await product_queries.insert_vendor(connection, "Bench Partner")
        product = await product_queries.insert_product(
            connection, vendor_id, f"BENCH{time.time_ns() % 10**8}", "Bench", ["export"]
        )
        [serials] = await issue_serials(
            connection, [SerialBatch(product.id, "SP1", count, [])], trial_days=30
        )
        await connection.execute(
            "UPDATE serials SET updates_until = now() + interval '90 days' WHERE serial = ANY($1)",
            serials[::2],
        )
        await balances.move(
            connection, vendor_id=vendor_id, kind="top_up", amount=10**13, reference="bench"
        )
    return Actor(user_id=None, email="bench", role="vendor", vendor_id=vendor_id), serials


async def _round(pool: asyncpg.Pool, actor: Actor, serials: list[str]) -> dict[str, float]:
    text = "serial\n" + "\n".join(serials) + "\n"
    started = time.perf_counter()
    quote = await renewals.quote_upload(pool, actor, text, early_percent=EARLY)
    priced = time.perf_counter()
    assert len(quote.items) == len(serials), quote.refused[:3]
    view = await renewals.place_renewal_order(
        pool, actor, [item.serial for item in quote.items], early_percent=EARLY
    )
    placed = time.perf_counter()
    paid, _ = await orders.record_payment(pool, actor, view.order.id, method="balance")
    fulfilled = time.perf_counter()
    assert paid.order.status == "fulfilled"
    return {
        "price_upload_s": priced - started,
        "place_order_s": placed - priced,
        "pay_and_fulfil_s": fulfilled - placed,
    }


async def run(url: str, count: int, rounds: int) -> dict[str, Any]:
    settings = Settings(data_dir=Path(tempfile.gettempdir()))
    connection = await asyncpg.connect(url)
    try:
        await migrate(connection)
    finally:
        await connection.close()
    pool = await create_pool(url, settings, min_size=2, max_size=4)
    try:
        actor, serials = await _seed(pool, count)
        measured = [await _round(pool, actor, serials) for _ in range(rounds)]
    finally:
        await pool.close()
    return {
        "serials": count,
        "rounds": rounds,
        "median": {key: statistics.median(r[key] for r in measured) for key in measured[0]},
        "each": measured,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serials", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database-url")
    options = parser.parse_args(argv)
    if options.database_url:
        result = asyncio.run(run(options.database_url, options.serials, options.rounds))
    else:
        from activation_server.db.embedded import server_url, start_embedded

        with tempfile.TemporaryDirectory(prefix="bench-renewals-") as directory:
            server = start_embedded(Path(directory), stop_on_exit=True)
            try:
                admin = server_url(server, "postgres")
                result = asyncio.run(run(admin, options.serials, options.rounds))
            finally:
                server.cleanup()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
