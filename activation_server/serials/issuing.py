"""Issuing serial numbers in batches."""

from __future__ import annotations

import asyncpg

from activation_server.serials import queries
from activation_server.serials.codec import generate


class UnknownLicenseType(ValueError):
    pass


async def issue_serials(
    connection: asyncpg.Connection,
    *,
    product_id: int,
    license_type: str,
    quantity: int,
    features: list[str],
    trial_days: int = 30,
    order_line_id: int | None = None,
    activation_limit: int | None = None,
) -> list[str]:
    """Creates ``quantity`` new serials; the caller owns the transaction, so a batch is whole or
    absent. ``activation_limit`` overrides the type's limit (small trial pools in tests)."""
    kind = await queries.license_type(connection, license_type)
    if kind is None:
        raise UnknownLicenseType(license_type)
    limit = activation_limit or kind.activation_limit
    # 95 random bits make a collision practically impossible; the set guards the batch itself
    # and the primary key guards against the rest of the table.
    serials: set[str] = set()
    while len(serials) < quantity:
        serials.add(generate())
    ordered = sorted(serials)
    records = [
        (
            serial,
            product_id,
            kind.code,
            kind.trial,
            kind.transferable,
            limit,
            sorted(set(features)),
            trial_days if kind.trial else None,
            order_line_id,
        )
        for serial in ordered
    ]
    await queries.copy_serials(connection, records)
    return ordered
