"""SQL of serial numbers: license types, issuing batches, and a vendor's serials (listing with
filters, one serial with its activations, blocking)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

# The filters of the serial list, shared by the page of rows and the count of all of them.
_FILTERED_SERIALS = """
FROM serials s
JOIN products p ON p.id = s.product_id
LEFT JOIN order_lines l ON l.id = s.order_line_id
LEFT JOIN orders o ON o.id = l.order_id
WHERE ($1::bigint IS NULL OR p.vendor_id = $1)
  AND ($2::bigint IS NULL OR l.order_id = $2)
  AND ($3::text IS NULL OR p.code = $3)
  AND ($4::text IS NULL OR s.license_type = $4)
  AND ($5::text IS NULL OR s.status = $5)
  AND ($6::text IS NULL
       OR ($6 = 'unused' AND s.used = 0)
       OR ($6 = 'used' AND s.used > 0)
       OR ($6 = 'exhausted' AND s.used >= s.activation_limit))
  AND ($7::text IS NULL OR replace(s.serial, '-', '') LIKE '%' || $7 || '%')
"""
SELECT_SERIALS = (
    """
SELECT
s.serial, p.code AS product, p.vendor_id, s.license_type, s.trial, s.activation_limit, s.used,
s.features, s.status, l.order_id, o.number AS order_number, s.valid_until, s.created_at
"""
    + _FILTERED_SERIALS
    + """
ORDER BY s.created_at DESC, s.serial
LIMIT $8 OFFSET $9
"""
)
COUNT_SERIALS = "SELECT count(*)" + _FILTERED_SERIALS
SELECT_SERIAL = """
SELECT
s.serial, p.code AS product, p.vendor_id, s.license_type, s.trial, s.activation_limit, s.used,
s.features, s.status, l.order_id, o.number AS order_number, s.valid_until, s.created_at
FROM serials s
JOIN products p ON p.id = s.product_id
LEFT JOIN order_lines l ON l.id = s.order_line_id
LEFT JOIN orders o ON o.id = l.order_id
 WHERE s.serial = $1
"""
SELECT_ORDER_SERIALS = """
SELECT
s.serial, p.code AS product, p.vendor_id, s.license_type, s.trial, s.activation_limit, s.used,
s.features, s.status, l.order_id, o.number AS order_number, s.valid_until, s.created_at
FROM serials s
JOIN products p ON p.id = s.product_id
LEFT JOIN order_lines l ON l.id = s.order_line_id
LEFT JOIN orders o ON o.id = l.order_id
 WHERE l.order_id = $1 ORDER BY l.position, s.serial
"""
SELECT_OWNERS = """
SELECT s.serial, p.vendor_id FROM serials s JOIN products p ON p.id = s.product_id
WHERE s.serial = ANY($1::text[])
"""
SELECT_ACTIVATIONS = """
SELECT a.id, a.fingerprint, a.features, a.client, host(a.address) AS address, a.via,
       a.created_at, a.last_seen_at, a.expires_at, a.deactivated_at,
       c.last_at AS last_check_in_at,
       (SELECT t.by FROM transfers t WHERE t.activation_id = a.id ORDER BY t.at DESC LIMIT 1)
           AS released_by,
       b.changed AS components_changed, b.changed_at AS components_changed_at
FROM activations a LEFT JOIN check_ins c ON c.activation_id = a.id
LEFT JOIN activation_components b ON b.activation_id = a.id
WHERE a.serial = $1 ORDER BY a.created_at, a.id LIMIT $2 OFFSET $3
"""
SELECT_ACTIVATION_VENDOR = """
SELECT p.vendor_id, s.serial FROM activations a
JOIN serials s ON s.serial = a.serial JOIN products p ON p.id = s.product_id
WHERE a.id = $1
"""
# The columns of a MachineRow; a WHERE clause follows.
MACHINES_FROM = """
SELECT a.id, a.serial, p.code AS product, a.fingerprint, a.client, a.created_at, a.last_seen_at,
       c.last_at AS last_check_in_at,
       b.changed AS components_changed, b.changed_at AS components_changed_at
FROM activations a
LEFT JOIN check_ins c ON c.activation_id = a.id
LEFT JOIN activation_components b ON b.activation_id = a.id
JOIN serials s ON s.serial = a.serial
JOIN products p ON p.id = s.product_id
"""
# A vendor's live machines across all its serials, most recently seen first; the search matches
# a part of the host name the application reported.
SELECT_MACHINES = (
    MACHINES_FROM
    + """
WHERE p.vendor_id = $1 AND a.deactivated_at IS NULL
  AND ($2::text IS NULL
       OR strpos(lower(coalesce(a.client->>'hostname', a.client->>'host', '')), lower($2)) > 0)
ORDER BY a.last_seen_at DESC, a.id
LIMIT $3 OFFSET $4
"""
)
SELECT_LICENSED = """
SELECT s.serial, p.vendor_id, p.features FROM serials s JOIN products p ON p.id = s.product_id
WHERE s.serial = ANY($1::text[])
"""
# Changes what sold serials license. Each live activation keeps what it asked for within what is
# licensed now; one that held every feature the serial licensed gets the new set in full.
SET_FEATURES = """
WITH old AS (
    SELECT serial, features FROM serials WHERE serial = ANY($1::text[]) ORDER BY serial FOR UPDATE
),
changed AS (
    UPDATE serials s SET features = $2::text[] FROM old WHERE s.serial = old.serial
)
UPDATE activations a SET features = CASE
        WHEN a.features @> old.features AND old.features @> a.features THEN $2::text[]
        ELSE ARRAY(
            SELECT u.f FROM unnest(a.features) WITH ORDINALITY AS u(f, n)
            WHERE u.f = ANY($2::text[]) ORDER BY u.n
        )
    END
FROM old
WHERE a.serial = old.serial AND a.deactivated_at IS NULL
"""
GRANT_TRANSFERS = """
UPDATE serials SET transfers_granted = transfers_granted + $2 WHERE serial = $1
RETURNING transfers_granted
"""
SET_STATUS = """
UPDATE serials SET status = $2 WHERE serial = ANY($1::text[]) AND status <> $2 RETURNING serial
"""


@dataclass(frozen=True)
class SerialFilters:
    vendor_id: int | None = None
    order_id: int | None = None
    product: str | None = None
    license_type: str | None = None
    status: str | None = None
    usage: str | None = None
    search: str | None = None

    def arguments(self) -> tuple[Any, ...]:
        return (
            self.vendor_id,
            self.order_id,
            self.product,
            self.license_type,
            self.status,
            self.usage,
            self.search,
        )


@dataclass(frozen=True)
class SerialRow:
    serial: str
    product: str
    vendor_id: int
    license_type: str
    trial: bool
    activation_limit: int
    used: int
    features: list[str]
    status: str
    order_id: int | None
    order_number: int | None
    valid_until: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class ActivationRow:
    id: UUID
    fingerprint: str
    features: list[str]
    client: dict[str, Any]
    address: str | None
    via: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime | None
    deactivated_at: datetime | None
    last_check_in_at: datetime | None = None
    # Who freed it: the machine itself or the vendor.
    released_by: str | None = None
    # The hardware components that changed when the activation last moved to its machine (a
    # tolerant binding), and when.
    components_changed: list[str] | None = None
    components_changed_at: datetime | None = None


async def serials(
    connection: asyncpg.Connection, filters: SerialFilters, limit: int, offset: int
) -> list[SerialRow]:
    rows = await connection.fetch(SELECT_SERIALS, *filters.arguments(), limit, offset)
    return [SerialRow(**dict(row)) for row in rows]


async def count(connection: asyncpg.Connection, filters: SerialFilters) -> int:
    return int(await connection.fetchval(COUNT_SERIALS, *filters.arguments()))


async def serial(connection: asyncpg.Connection, value: str) -> SerialRow | None:
    row = await connection.fetchrow(SELECT_SERIAL, value)
    return SerialRow(**dict(row)) if row is not None else None


async def order_serials(connection: asyncpg.Connection, order_id: int) -> list[SerialRow]:
    return [
        SerialRow(**dict(row)) for row in await connection.fetch(SELECT_ORDER_SERIALS, order_id)
    ]


async def owners(connection: asyncpg.Connection, values: list[str]) -> dict[str, int]:
    rows = await connection.fetch(SELECT_OWNERS, values)
    return {row["serial"]: int(row["vendor_id"]) for row in rows}


async def activations(
    connection: asyncpg.Connection, value: str, limit: int, offset: int
) -> list[ActivationRow]:
    rows = await connection.fetch(SELECT_ACTIVATIONS, value, limit, offset)
    return [ActivationRow(**dict(row)) for row in rows]


async def set_status(connection: asyncpg.Connection, values: list[str], status: str) -> list[str]:
    """Changes the serials not yet in ``status``; returns those it changed."""
    return [row["serial"] for row in await connection.fetch(SET_STATUS, values, status)]


async def activation_vendor(
    connection: asyncpg.Connection, activation_id: UUID
) -> tuple[int, str] | None:
    """The vendor and the serial of an activation."""
    row = await connection.fetchrow(SELECT_ACTIVATION_VENDOR, activation_id)
    return (int(row["vendor_id"]), str(row["serial"])) if row is not None else None


async def grant_transfers(connection: asyncpg.Connection, serial: str, extra: int) -> int:
    return int(await connection.fetchval(GRANT_TRANSFERS, serial, extra))


@dataclass(frozen=True)
class MachineRow:
    id: UUID
    serial: str
    product: str
    fingerprint: str
    client: dict[str, Any]
    created_at: datetime
    last_seen_at: datetime
    last_check_in_at: datetime | None
    # As in ActivationRow.
    components_changed: list[str] | None = None
    components_changed_at: datetime | None = None

    @property
    def host(self) -> str | None:
        name = self.client.get("hostname") or self.client.get("host")
        return str(name) if name else None


async def machines(
    connection: asyncpg.Connection, vendor_id: int, search: str | None, limit: int, offset: int
) -> list[MachineRow]:
    rows = await connection.fetch(SELECT_MACHINES, vendor_id, search, limit, offset)
    return [MachineRow(**dict(row)) for row in rows]


async def licensed(
    connection: asyncpg.Connection, serials: list[str]
) -> list[tuple[str, int, list[str]]]:
    """Each serial with its vendor and its product's features."""
    rows = await connection.fetch(SELECT_LICENSED, serials)
    return [(row["serial"], int(row["vendor_id"]), list(row["features"])) for row in rows]


async def set_features(
    connection: asyncpg.Connection, serials: list[str], features: list[str]
) -> None:
    await connection.execute(SET_FEATURES, serials, features)


SELECT_LICENSE_TYPES = """
SELECT code, name, kind, activation_limit, transferable FROM license_types ORDER BY position
"""
SELECT_LICENSE_TYPE = """
SELECT code, name, kind, activation_limit, transferable FROM license_types WHERE code = $1
"""
SERIAL_COLUMNS = (
    "serial",
    "product_id",
    "license_type",
    "trial",
    "transferable",
    "activation_limit",
    "features",
    "trial_days",
    "order_line_id",
)


@dataclass(frozen=True)
class LicenseType:
    code: str
    name: str
    kind: str
    activation_limit: int
    transferable: bool

    @property
    def trial(self) -> bool:
        return self.kind == "trial"


async def license_types(connection: asyncpg.Connection) -> list[LicenseType]:
    return [LicenseType(**dict(row)) for row in await connection.fetch(SELECT_LICENSE_TYPES)]


async def license_type(connection: asyncpg.Connection, code: str) -> LicenseType | None:
    row = await connection.fetchrow(SELECT_LICENSE_TYPE, code)
    return LicenseType(**dict(row)) if row is not None else None


async def copy_serials(
    connection: asyncpg.Connection, records: Sequence[tuple[object, ...]]
) -> None:
    """Bulk insert through COPY: a batch of 100 000 serials takes seconds, not minutes."""
    await connection.copy_records_to_table("serials", records=records, columns=SERIAL_COLUMNS)
