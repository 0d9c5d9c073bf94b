"""SQL of activations, validations and deactivations.

The activation is one statement, one round trip: it reads the serial and this machine's live
activation, takes a slot with a conditional ``UPDATE`` (``used < activation_limit`` is rechecked
on the newest row version when concurrent activations queue on the serial's row lock, so a slot
is never oversold), inserts the activation and its audit row, and returns everything the answer
needs. The row lock is held only for the rest of that statement and its commit, never across a
round trip to the application.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

ACTIVATE = """
WITH s AS (
    SELECT s.serial, s.status, (s.valid_until IS NOT NULL AND s.valid_until <= now()) AS expired,
           s.activation_limit, s.used, s.features, s.trial, s.trial_days,
           p.code AS product, p.vendor_id
    FROM serials s JOIN products p ON p.id = s.product_id
    WHERE s.serial = $1
),
existing AS (
    SELECT a.id, a.created_at, a.expires_at, a.features
    FROM activations a
    WHERE a.serial = $1 AND a.fingerprint = $2 AND a.deactivated_at IS NULL
),
eligible AS (
    SELECT 1 FROM s
    WHERE s.status = 'active' AND NOT s.expired
      AND ($3::text IS NULL OR s.product = $3)
      AND ($4::text[] IS NULL OR $4::text[] <@ s.features)
      AND NOT EXISTS (SELECT 1 FROM existing)
),
bump AS (
    UPDATE serials SET used = used + 1
    WHERE serial = $1 AND used < activation_limit AND status = 'active'
      AND EXISTS (SELECT 1 FROM eligible)
    RETURNING used
),
created AS (
    INSERT INTO activations (id, serial, fingerprint, features, client, address, via, expires_at)
    SELECT $7, $1, $2, COALESCE($4::text[], s.features), $5, $6, $8,
           CASE WHEN s.trial THEN now() + make_interval(days => s.trial_days) END
    FROM bump CROSS JOIN s
    RETURNING id, created_at, expires_at, features
),
audit AS (
    INSERT INTO audit_log (actor, vendor_id, action, subject, address, details)
    SELECT 'machine', s.vendor_id, 'activation.create', $1, $6,
           jsonb_build_object('activation_id', c.id, 'fingerprint', $2, 'via', $8)
    FROM created c CROSS JOIN s
),
seen AS (
    -- Last-seen has hour resolution, so a restart storm of known machines writes nothing.
    UPDATE activations SET last_seen_at = now()
    WHERE id = (SELECT id FROM existing) AND last_seen_at < now() - interval '1 hour'
)
SELECT s.status, s.expired, s.activation_limit, s.used, s.features AS licensed, s.trial,
       s.product,
       e.id AS existing_id, e.created_at AS existing_created_at,
       e.expires_at AS existing_expires_at, e.features AS existing_features,
       c.id AS created_id, c.created_at AS created_created_at,
       c.expires_at AS created_expires_at, c.features AS created_features,
       b.used AS bumped_used
FROM s
LEFT JOIN existing e ON true
LEFT JOIN created c ON true
LEFT JOIN bump b ON true
"""

SELECT_BY_ACTIVATION = """
SELECT a.id, a.serial, a.fingerprint, a.features, a.created_at, a.expires_at, a.deactivated_at,
       s.status, (s.valid_until IS NOT NULL AND s.valid_until <= now()) AS serial_expired,
       s.activation_limit, s.used, s.trial, p.code AS product
FROM activations a
JOIN serials s ON s.serial = a.serial
JOIN products p ON p.id = s.product_id
WHERE a.id = $1
"""

SELECT_BY_MACHINE = """
SELECT a.id, s.serial, a.fingerprint, a.features, a.created_at, a.expires_at, a.deactivated_at,
       s.status, (s.valid_until IS NOT NULL AND s.valid_until <= now()) AS serial_expired,
       s.activation_limit, s.used, s.trial, p.code AS product
FROM serials s
JOIN products p ON p.id = s.product_id
LEFT JOIN LATERAL (
    SELECT * FROM activations a
    WHERE a.serial = s.serial AND a.fingerprint = $2
    ORDER BY (a.deactivated_at IS NULL) DESC, a.created_at DESC
    LIMIT 1
) a ON true
WHERE s.serial = $1
"""

DEACTIVATE = """
WITH target AS (
    SELECT id, serial FROM activations WHERE id = $1
),
locked AS (
    -- The serial's row is locked before the activation's, in the same order as an activation
    -- takes them, so a deactivation and an activation of one serial never deadlock.
    SELECT s.serial, s.transferable, p.vendor_id
    FROM serials s JOIN products p ON p.id = s.product_id
    WHERE s.serial = (SELECT serial FROM target)
    FOR UPDATE OF s
),
closed AS (
    UPDATE activations SET deactivated_at = now()
    WHERE id = $1 AND deactivated_at IS NULL AND (SELECT transferable FROM locked)
    RETURNING id, serial, deactivated_at, fingerprint
),
freed AS (
    UPDATE serials SET used = used - 1
    WHERE serial = (SELECT serial FROM closed)
    RETURNING used
),
audit AS (
    INSERT INTO audit_log (actor, vendor_id, action, subject, address, details)
    SELECT 'machine', l.vendor_id, 'activation.deactivate', c.serial, $2,
           jsonb_build_object('activation_id', c.id, 'fingerprint', c.fingerprint)
    FROM closed c CROSS JOIN locked l
)
SELECT t.id, t.serial, l.transferable,
       COALESCE(c.deactivated_at, a.deactivated_at) AS deactivated_at,
       COALESCE(f.used, s.used) AS used, s.activation_limit
FROM target t
JOIN locked l ON true
JOIN activations a ON a.id = t.id
JOIN serials s ON s.serial = t.serial
LEFT JOIN closed c ON true
LEFT JOIN freed f ON true
"""


@dataclass(frozen=True)
class ActivateOutcome:
    status: str
    expired: bool
    activation_limit: int
    used: int
    licensed: list[str]
    trial: bool
    product: str
    existing_id: uuid.UUID | None
    existing_created_at: datetime | None
    existing_expires_at: datetime | None
    existing_features: list[str] | None
    created_id: uuid.UUID | None
    created_created_at: datetime | None
    created_expires_at: datetime | None
    created_features: list[str] | None
    bumped_used: int | None


@dataclass(frozen=True)
class ActivationState:
    """A serial and (if any) one machine's activation of it."""

    id: uuid.UUID | None
    serial: str
    fingerprint: str | None
    features: list[str] | None
    created_at: datetime | None
    expires_at: datetime | None
    deactivated_at: datetime | None
    status: str
    serial_expired: bool
    activation_limit: int
    used: int
    trial: bool
    product: str


@dataclass(frozen=True)
class DeactivateOutcome:
    id: uuid.UUID
    serial: str
    transferable: bool
    deactivated_at: datetime | None
    used: int
    activation_limit: int


async def activate(
    connection: asyncpg.Connection,
    *,
    serial: str,
    fingerprint: str,
    product: str | None,
    features: list[str] | None,
    client: dict[str, Any],
    address: str | None,
    new_id: uuid.UUID,
    via: str,
) -> ActivateOutcome | None:
    row = await connection.fetchrow(
        ACTIVATE, serial, fingerprint, product, features, client, address, new_id, via
    )
    return ActivateOutcome(**dict(row)) if row is not None else None


async def state_by_activation(
    connection: asyncpg.Connection, activation_id: uuid.UUID
) -> ActivationState | None:
    row = await connection.fetchrow(SELECT_BY_ACTIVATION, activation_id)
    return ActivationState(**dict(row)) if row is not None else None


async def state_by_machine(
    connection: asyncpg.Connection, serial: str, fingerprint: str
) -> ActivationState | None:
    row = await connection.fetchrow(SELECT_BY_MACHINE, serial, fingerprint)
    return ActivationState(**dict(row)) if row is not None else None


async def deactivate(
    connection: asyncpg.Connection, activation_id: uuid.UUID, address: str | None
) -> DeactivateOutcome | None:
    row = await connection.fetchrow(DEACTIVATE, activation_id, address)
    return DeactivateOutcome(**dict(row)) if row is not None else None
