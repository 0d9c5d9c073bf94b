"""Demo data for ``activation-server demo`` and ``serve --demo``: a staff user, a vendor user,
the DEMO product and a fulfilled order of unused serials of every license type.

The order goes through the real life cycle (placed, invoiced, paid), so the demo shows what a
vendor sees. Each call adds a new order, hence new unused serials; the demo users' passwords are
set to the printed ones each time, so what is printed always works.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from activation_server.settings import Settings
from vendor_portal.accounts import queries as accounts
from vendor_portal.accounts.passwords import Passwords
from vendor_portal.actor import system_actor
from vendor_portal.orders import service as orders
from vendor_portal.orders.service import LineRequest
from vendor_portal.products import queries as product_queries
from vendor_portal.serials import queries as serial_queries

DEMO_COMPANY = "Demo Software Ltd"
DEMO_PRODUCT = "DEMO"
DEMO_FEATURES = ["export", "print", "reports"]
STAFF = ("staff@demo.example", "demo-staff-password")
VENDOR = ("vendor@demo.example", "demo-vendor-password")
QUANTITIES = {"SP1": 5, "SP3": 5, "SP5": 5, "TRIAL30K": 1, "TRIAL100K": 1}


async def _user(
    connection: asyncpg.Connection,
    passwords: Passwords,
    email: str,
    password: str,
    role: str,
    vendor_id: int | None,
) -> None:
    password_hash = await passwords.hash(password)
    user = await accounts.user_by_email(connection, email)
    if user is None:
        await accounts.insert_user(
            connection,
            email=email,
            password_hash=password_hash,
            role=role,
            vendor_id=vendor_id,
            confirmed=True,
        )
    else:
        await accounts.upgrade_hash(connection, user.id, password_hash)


async def seed_demo(pool: asyncpg.Pool, settings: Settings) -> dict[str, Any]:
    passwords = Passwords.from_settings(settings)
    actor = system_actor("demo")
    async with pool.acquire() as connection, connection.transaction():
        product = await product_queries.product_by_code(connection, DEMO_PRODUCT, None)
        if product is None:
            vendor = await accounts.insert_vendor(connection, DEMO_COMPANY, "legal_entity")
            product = await product_queries.insert_product(
                connection, vendor.id, DEMO_PRODUCT, "Demo Application", DEMO_FEATURES
            )
        await _user(connection, passwords, *STAFF, "staff", None)
        await _user(connection, passwords, *VENDOR, "vendor", product.vendor_id)
    view = await orders.place_order(
        pool,
        actor,
        [LineRequest(DEMO_PRODUCT, kind, quantity) for kind, quantity in QUANTITIES.items()],
        vendor_id=product.vendor_id,
    )
    order_id = view.order.id
    await orders.invoice_order(pool, actor, order_id, trial_days=settings.trial_days)
    await orders.record_payment(
        pool,
        actor,
        order_id,
        method="transfer",
        reference=f"DEMO-{view.order.number}",
        trial_days=settings.trial_days,
    )
    serials: dict[str, list[str]] = {kind: [] for kind in QUANTITIES}
    async with pool.acquire() as connection:
        for row in await serial_queries.order_serials(connection, order_id):
            serials[row.license_type].append(row.serial)
    return {
        "product": DEMO_PRODUCT,
        "serials": serials,
        "staff": {"email": STAFF[0], "password": STAFF[1]},
        "vendor": {"email": VENDOR[0], "password": VENDOR[1]},
    }
