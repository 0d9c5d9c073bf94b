"""A vendor's signing keys: the JWKS its applications pin, and staged rotation
(add a next key, which is published at once; promote it when the applications know it)."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from activation_server.errors import InvalidRequest
from activation_server.keys import keyring as keys
from activation_server.keys import queries
from activation_server.keys.keyring import Keyring
from activation_server.revocations import lists
from activation_server.revocations.lists import IssuedList
from vendor_portal.actor import Actor, iso
from vendor_portal.audit import queries as audit
from vendor_portal.errors import NoNextKey, VendorNotFound


def _vendor(actor: Actor, vendor_id: int | None) -> int:
    scope = actor.scope()
    if scope is not None:
        return scope
    if vendor_id is None:
        raise InvalidRequest("Staff name the company: the query parameter 'vendor_id' is required.")
    return vendor_id


async def _known(connection: asyncpg.Connection, vendor_id: int) -> uuid.UUID:
    """The vendor's public handle; VendorNotFound for no such vendor."""
    public_id = await queries.public_id(connection, vendor_id)
    if public_id is None:
        raise VendorNotFound()
    return public_id


async def signing_keys(
    pool: asyncpg.Pool, keyring: Keyring, actor: Actor, vendor_id: int | None = None
) -> dict[str, Any]:
    """The vendor's keys with their states, its JWKS and the address that publishes it."""
    vendor_id = _vendor(actor, vendor_id)
    async with pool.acquire() as connection:
        public_id = await _known(connection, vendor_id)
        await keyring.ensure(connection, vendor_id)
        await keyring.refresh(connection)
    return {
        "jwks_url": f"/v1/vendors/{public_id}/keys",
        "jwks": keyring.vendor_jwks(vendor_id),
        "keys": [
            {
                "kid": row.kid,
                "state": row.state,
                "created_at": iso(row.created_at),
                "promoted_at": iso(row.promoted_at),
                "retired_at": iso(row.retired_at),
            }
            for row in keyring.vendor_rows(vendor_id)
        ],
    }


async def add_next_key(
    pool: asyncpg.Pool, keyring: Keyring, actor: Actor, vendor_id: int | None = None
) -> dict[str, Any]:
    vendor_id = _vendor(actor, vendor_id)
    async with pool.acquire() as connection:
        await _known(connection, vendor_id)
        await keyring.ensure(connection, vendor_id)
        async with connection.transaction():
            kid = await keys.add_next_key(
                connection, keyring.directory, keyring.passphrase, vendor_id
            )
            await audit.record(
                connection, actor, "signing_key.next", vendor_id=vendor_id, subject=f"key:{kid}"
            )
    return await signing_keys(pool, keyring, actor, vendor_id)


async def promote_next_key(
    pool: asyncpg.Pool, keyring: Keyring, actor: Actor, vendor_id: int | None = None
) -> dict[str, Any]:
    vendor_id = _vendor(actor, vendor_id)
    async with pool.acquire() as connection:
        await _known(connection, vendor_id)
        async with connection.transaction():
            kid = await keys.promote(connection, vendor_id)
            if kid is None:
                raise NoNextKey()
            await audit.record(
                connection,
                actor,
                "signing_key.promoted",
                vendor_id=vendor_id,
                subject=f"key:{kid}",
            )
    return await signing_keys(pool, keyring, actor, vendor_id)


async def revocation_list(
    pool: asyncpg.Pool,
    keyring: Keyring,
    actor: Actor,
    vendor_id: int | None = None,
    *,
    issuer: str,
) -> IssuedList:
    """A new signed revocation list of the vendor, numbered after the last one."""
    vendor_id = _vendor(actor, vendor_id)
    async with pool.acquire() as connection:
        public_id = await _known(connection, vendor_id)
        signer = await keyring.ensure(connection, vendor_id)
        async with connection.transaction():
            issued = await lists.issue(connection, signer, vendor_id, public_id, issuer=issuer)
            await audit.record(
                connection,
                actor,
                "revocation_list.issued",
                vendor_id=vendor_id,
                subject=f"revocations:{issued.sequence}",
            )
    return issued


def revocation_list_json(issued: IssuedList) -> dict[str, Any]:
    return {
        "sequence": issued.sequence,
        "issued_at": iso(issued.issued_at),
        "serials": issued.serials,
        "activations": issued.activations,
        "token": issued.token,
    }
