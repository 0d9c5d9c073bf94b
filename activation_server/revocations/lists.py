"""A vendor's signed revocation list: what an offline machine is told of the licenses that no
longer run (docs/protocol.md, *Revocation list*).

Each export signs the list as the database has it now with the vendor's current key, under the
next number of that vendor's lists, so a client keeps the newest one it was given.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from activation_server.keys.keyring import Signer
from activation_server.revocations import queries

LIST_TYPE = "revocations"


@dataclass(frozen=True)
class IssuedList:
    vendor: uuid.UUID
    sequence: int
    issued_at: datetime
    serials: int
    activations: int
    token: str

    @property
    def filename(self) -> str:
        return f"revocations-{str(self.vendor)[:8]}-{self.sequence}.jwt"


def list_claims(
    *,
    issuer: str,
    vendor: uuid.UUID,
    sequence: int,
    issued_at: datetime,
    serials: dict[str, str],
    activations: dict[str, str],
    retired: dict[str, datetime],
) -> dict[str, Any]:
    return {
        "iss": issuer,
        "typ": LIST_TYPE,
        "vnd": str(vendor),
        "seq": sequence,
        "iat": int(issued_at.timestamp()),
        "serials": serials,
        "activations": activations,
        # A pinned JWKS copied before a retirement does not say it; the list does.
        "retired": {kid: int(at.timestamp()) for kid, at in retired.items()},
    }


async def issue(
    connection: asyncpg.Connection,
    signer: Signer,
    vendor_id: int,
    vendor: uuid.UUID,
    *,
    issuer: str,
) -> IssuedList:
    """Numbers, fills and signs the vendor's list with its current key (``signer``); the
    caller owns the transaction."""
    serials = await queries.revoked_serials(connection, vendor_id)
    activations = await queries.revoked_activations(connection, vendor_id)
    retired = await queries.retired_keys(connection, vendor_id)
    numbered = await queries.number(connection, vendor_id, len(serials), len(activations))
    token = signer.sign(
        list_claims(
            issuer=issuer,
            vendor=vendor,
            sequence=numbered.sequence,
            issued_at=numbered.issued_at,
            serials=serials,
            activations=activations,
            retired=retired,
        )
    )
    return IssuedList(
        vendor, numbered.sequence, numbered.issued_at, len(serials), len(activations), token
    )
