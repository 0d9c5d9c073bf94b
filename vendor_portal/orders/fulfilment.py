"""Fulfilment: the ordered serials, created in the caller's transaction (whole or not at all).

Generating 10 000 serials takes a noticeable fraction of a second of pure Python, so it runs in
a worker thread; the rows go in by COPY in chunks, and between chunks the event loop serves
other requests. The caller holds the order's row lock, so one order is fulfilled once.
"""

from __future__ import annotations

import asyncio

import asyncpg

from activation_server.serials import queries as serial_queries
from activation_server.serials.codec import generate
from vendor_portal.orders import queries
from vendor_portal.orders.queries import OrderLine

COPY_CHUNK = 5000


def _generate_batch(quantity: int) -> list[str]:
    # 95 random bits make a collision practically impossible; the set guards the batch itself
    # and the primary key the rest of the table.
    serials: set[str] = set()
    while len(serials) < quantity:
        serials.add(generate())
    return sorted(serials)


async def issue_order_serials(
    connection: asyncpg.Connection, lines: list[OrderLine], trial_days: int
) -> int:
    """Creates every line's serials; returns how many. The caller owns the transaction."""
    kinds = {kind.code: kind for kind in await serial_queries.license_types(connection)}
    issued = 0
    for line in lines:
        kind = kinds[line.license_type]
        serials = await asyncio.to_thread(_generate_batch, line.quantity)
        features = sorted(set(line.features))
        records = [
            (
                serial,
                line.product_id,
                kind.code,
                kind.trial,
                kind.transferable,
                kind.activation_limit,
                features,
                trial_days if kind.trial else None,
                line.id,
            )
            for serial in serials
        ]
        for start in range(0, len(records), COPY_CHUNK):
            await serial_queries.copy_serials(connection, records[start : start + COPY_CHUNK])
            await asyncio.sleep(0)
        issued += len(records)
    if any(line.term_months or line.updates_months for line in lines):
        await queries.apply_line_terms(connection, lines[0].order_id)
    return issued
