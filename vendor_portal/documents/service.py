"""A company's requisites: read by anyone who may see the company, changed by the company."""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

import asyncpg

from vendor_portal.actor import Actor
from vendor_portal.audit import queries as audit
from vendor_portal.documents import queries
from vendor_portal.documents.queries import REQUISITE_COLUMNS, Requisites
from vendor_portal.errors import VendorNotFound

MAX_LENGTHS = {
    "legal_name": 300,
    "address": 500,
    "tax_id": 32,
    "tax_reason_code": 32,
    "bank_name": 300,
    "bank_code": 32,
    "bank_account": 64,
    "correspondent_account": 64,
    "billing_email": 254,
}


def requisites_json(details: Requisites) -> dict[str, Any]:
    body = asdict(details)
    body["vendor_id"] = body.pop("id")
    return body


async def get_requisites(pool: asyncpg.Pool, actor: Actor, vendor_id: int) -> Requisites:
    if not actor.may_see(vendor_id):
        raise VendorNotFound()
    async with pool.acquire() as connection:
        details = await queries.requisites(connection, vendor_id)
    if details is None:
        raise VendorNotFound()
    return details


async def set_requisites(
    pool: asyncpg.Pool, actor: Actor, vendor_id: int, values: dict[str, str]
) -> Requisites:
    """Replaces the company's requisites with ``values`` (every field; empty clears it)."""
    if not actor.may_see(vendor_id):
        raise VendorNotFound()
    async with pool.acquire() as connection, connection.transaction():
        current = await queries.requisites(connection, vendor_id)
        if current is None:
            raise VendorNotFound()
        fields: dict[str, Any] = {name: values.get(name, "").strip() for name in REQUISITE_COLUMNS}
        changed = replace(current, **fields)
        await queries.set_requisites(connection, changed)
        await audit.record(
            connection,
            actor,
            "vendor.requisites_set",
            vendor_id=vendor_id,
            subject=f"vendor:{vendor_id}",
            details={name: getattr(changed, name) for name in REQUISITE_COLUMNS},
        )
        return changed
