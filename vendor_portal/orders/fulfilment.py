"""Fulfilment: the ordered serials, created in the caller's transaction (whole or not at all).

The caller holds the order's row lock, so one order is fulfilled once.
"""

from __future__ import annotations

import asyncpg

from vendor_portal.orders import queries
from vendor_portal.orders.queries import OrderLine
from vendor_portal.serials.issuing import SerialBatch, issue_serials


async def issue_order_serials(
    connection: asyncpg.Connection, lines: list[OrderLine], trial_days: int
) -> int:
    """Creates every line's serials; returns how many. The caller owns the transaction."""
    issued = await issue_serials(
        connection,
        [
            SerialBatch(line.product_id, line.license_type, line.quantity, line.features, line.id)
            for line in lines
        ],
        trial_days=trial_days,
    )
    if any(line.term_months or line.updates_months for line in lines):
        await queries.apply_line_terms(connection, lines[0].order_id)
    return sum(len(serials) for serials in issued)
