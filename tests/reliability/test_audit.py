"""Audit: every state-changing action leaves an entry with who, what, when and from where; the log
cannot be changed or emptied, even by the application's own database user; a vendor reads its
own part of it and nothing of anybody else's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from tests.conftest import PASSWORD, Account, fingerprint
from tests.vendor_portal.helpers import invoice, ok, pay, place, product


async def _entries(client: TestClient, account: Account, **query: str) -> list[dict[str, Any]]:
    listed = await ok(await client.get("/v1/audit", params=query, headers=account.headers))
    return list(listed["items"])


async def test_every_state_change_is_audited_with_who_what_when_where(
    client: TestClient, staff: Account, vendor: Account, other_vendor: Account, pool: asyncpg.Pool
) -> None:
    started = datetime.now(UTC) - timedelta(seconds=5)
    # Sign-ins, good and bad.
    await client.post("/v1/auth/token", json={"email": vendor.email, "password": "wrong"})
    await ok(
        await client.post("/v1/auth/token", json={"email": vendor.email, "password": PASSWORD})
    )
    # An order's whole life, paid by transfer.
    await product(client, vendor)
    order = await place(client, vendor, [{"product": "ACME", "license_type": "SP3", "quantity": 2}])
    await invoice(client, staff, order["id"])
    await ok(await pay(client, staff, order["id"], "AUDIT-1"), 201)
    cancelled = await place(client, vendor)
    await ok(await client.post(f"/v1/orders/{cancelled['id']}/cancel", headers=vendor.headers))
    serials = await ok(
        await client.get(f"/v1/orders/{order['id']}/serials", headers=vendor.headers)
    )
    serial = serials["serials"][0]["serial"]
    # A machine activates and deactivates; the vendor blocks and unblocks the serial.
    activated = await ok(
        await client.post(
            "/v1/activations", json={"serial": serial, "fingerprint": fingerprint("audited")}
        ),
        201,
    )
    await ok(await client.post("/v1/deactivations", json={"license": activated["license"]}))
    await ok(await client.post(f"/v1/serials/{serial}/block", headers=vendor.headers))
    await ok(await client.post(f"/v1/serials/{serial}/unblock", headers=vendor.headers))
    # Another vendor's activity, which vendor A must never see.
    await product(client, other_vendor, "BEE")

    async with pool.acquire() as connection:
        rows = await connection.fetch("SELECT * FROM audit_log ORDER BY id")
    actions = {row["action"] for row in rows}
    expected = {
        "login",
        "login.failed",
        "order.placed",
        "order.invoiced",
        "order.payment_recorded",
        "order.fulfilled",
        "order.cancelled",
        "activation.create",
        "activation.deactivate",
        "serial.blocked",
        "serial.active",
    }
    assert expected <= actions, expected - actions
    for row in rows:
        assert row["actor"], row
        assert row["at"] >= started
        if row["actor"] != "test":  # the fixtures' accounts are made as by the command line
            assert row["address"] is not None, f"{row['action']} has no client address"
        if row["action"].startswith(("order.", "activation.", "serial.", "product.")):
            # What concerns one vendor's business is filed under that vendor.
            assert row["vendor_id"] is not None, row

    # The vendor reads its own part: its orders, serials, machines and sign-ins.
    own = await _entries(client, vendor, limit="500")
    own_actions = {entry["action"] for entry in own}
    assert expected - {"login.failed"} <= own_actions, expected - own_actions
    assert {entry["vendor_id"] for entry in own} == {vendor.vendor_id}
    assert all(entry["at"] and entry["actor"] for entry in own)
    assert "BEE" not in str(own) and other_vendor.email not in str(own)
    # A filter naming another vendor does not widen the view.
    assert await _entries(client, vendor, vendor_id=str(other_vendor.vendor_id)) in ([], own)
    # Staff read everything.
    every = await _entries(client, staff, limit="500")
    assert {vendor.vendor_id, other_vendor.vendor_id} <= {entry["vendor_id"] for entry in every}


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET actor = 'somebody else'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ],
)
async def test_the_audit_log_cannot_be_changed_or_emptied(
    client: TestClient, vendor: Account, pool: asyncpg.Pool, statement: str
) -> None:
    await product(client, vendor)
    async with pool.acquire() as connection:
        before = await connection.fetchval("SELECT count(*) FROM audit_log")
        assert before > 0
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await connection.execute(statement)
        assert await connection.fetchval("SELECT count(*) FROM audit_log") == before
