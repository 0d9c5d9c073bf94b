"""Issuing serial numbers: the one path by which serials come to exist.

Order fulfilment issues through it (and so does the demo, which fulfils a real order), and so do
the tests' factories and the benchmarks' seeds, so that every test and every measurement runs on
serials exactly as production makes them.

Generating 10 000 serials takes a noticeable fraction of a second of pure Python, so it runs in
a worker thread; the rows go in by COPY in chunks, and between chunks the event loop serves
other requests. The caller owns the transaction, so a batch is whole or absent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from vendor_portal.serials import queries
from vendor_portal.serials.codec import generate_many

COPY_CHUNK = 5000


class UnknownLicenseType(ValueError):
    pass


@dataclass(frozen=True)
class SerialBatch:
    """``quantity`` serials of one license type for one product (an order line's)."""

    product_id: int
    license_type: str
    quantity: int
    features: Sequence[str]
    order_line_id: int | None = None


async def issue_serials(
    connection: asyncpg.Connection, batches: Sequence[SerialBatch], *, trial_days: int
) -> list[list[str]]:
    """Creates each batch's serials, with the limits and terms of its license type; returns
    each batch's serials, sorted. ``trial_days`` is the trial length of trial serials."""
    kinds = {kind.code: kind for kind in await queries.license_types(connection)}
    issued: list[list[str]] = []
    for batch in batches:
        kind = kinds.get(batch.license_type)
        if kind is None:
            raise UnknownLicenseType(batch.license_type)
        serials = await asyncio.to_thread(generate_many, batch.quantity)
        features = sorted(set(batch.features))
        records = [
            (
                serial,
                batch.product_id,
                kind.code,
                kind.trial,
                kind.transferable,
                kind.activation_limit,
                features,
                trial_days if kind.trial else None,
                batch.order_line_id,
            )
            for serial in serials
        ]
        for start in range(0, len(records), COPY_CHUNK):
            await queries.copy_serials(connection, records[start : start + COPY_CHUNK])
            await asyncio.sleep(0)
        issued.append(serials)
    return issued
