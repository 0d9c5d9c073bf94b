"""The subscription migrations on a database that already has orders: every order fulfilled
before acts were numbered gets an act number, and new acts continue after them."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import asyncpg

from activation_server.db.migrate import default_directory, migrate
from activation_server.db.pool import with_database


async def test_acts_are_numbered_for_orders_fulfilled_before(
    pg_admin_url: str, tmp_path: Path
) -> None:
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(pg_admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        before = tmp_path / "before"
        before.mkdir()
        for path in sorted(default_directory().glob("*.sql")):
            if int(path.name[:4]) <= 60:
                shutil.copy(path, before / path.name)
        connection = await asyncpg.connect(with_database(pg_admin_url, name))
        try:
            await migrate(connection, before)
            vendor = await connection.fetchval(
                "INSERT INTO vendors (name) VALUES ('Old') RETURNING id"
            )
            for number, status, day in ((1, "fulfilled", 3), (2, "placed", 1), (3, "fulfilled", 2)):
                await connection.execute(
                    "INSERT INTO orders (number, vendor_id, status, currency, discount_percent, "
                    "subtotal, discount, total, invoice_number, fulfilled_at) "
                    "VALUES ($1, $2, $3, 'RUB', 0, 0, 0, 0, $4, "
                    "CASE WHEN $3 = 'fulfilled' THEN now() - make_interval(days => 10 - $5) END)",
                    number,
                    vendor,
                    status,
                    None if status == "placed" else number,
                    day,
                )
            await migrate(connection)
            acts = dict(await connection.fetch("SELECT number, act_number FROM orders"))
            counter = await connection.fetchval("SELECT value FROM counters WHERE name = 'act'")
        finally:
            await connection.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    # Numbered in the order they were fulfilled: order 3 (day 2) before order 1 (day 3).
    assert acts == {1: 2, 2: None, 3: 1}
    assert counter == 2
