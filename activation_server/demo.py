"""Demo data: a vendor, a product and unused serials of every license type, ready to activate."""

from __future__ import annotations

from typing import Any

import asyncpg

from activation_server.catalog import queries as catalog
from activation_server.serials import queries as serial_queries
from activation_server.serials.issuing import issue_serials

DEMO_VENDOR = "Demo Software Ltd"
DEMO_PRODUCT = "DEMO"
DEMO_FEATURES = ["export", "print", "reports"]
FULL_SERIALS_PER_TYPE = 5


async def seed_demo(pool: asyncpg.Pool, *, trial_days: int = 30) -> dict[str, Any]:
    """Adds new unused serials (and the vendor and product the first time); returns them."""
    async with pool.acquire() as connection, connection.transaction():
        product = await catalog.product_by_code(connection, DEMO_PRODUCT)
        if product is None:
            vendor_id = await catalog.insert_vendor(connection, DEMO_VENDOR)
            product = await catalog.insert_product(
                connection, vendor_id, DEMO_PRODUCT, "Demo Application", DEMO_FEATURES
            )
        serials: dict[str, list[str]] = {}
        for kind in await serial_queries.license_types(connection):
            serials[kind.code] = await issue_serials(
                connection,
                product_id=product.id,
                license_type=kind.code,
                quantity=1 if kind.trial else FULL_SERIALS_PER_TYPE,
                features=DEMO_FEATURES,
                trial_days=trial_days,
            )
    return {"product": product.code, "serials": serials}
