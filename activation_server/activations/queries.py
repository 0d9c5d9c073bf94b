"""SQL of activations, validations and deactivations.

The activation is one statement, one round trip: it reads the serial and this machine's live
activation, takes a slot with a conditional ``UPDATE`` (``used < activation_limit`` is rechecked
on the newest row version when concurrent activations queue on the serial's row lock, so a slot
is never oversold), inserts the activation and its audit row, and returns everything the answer
needs. The row lock is held only for the rest of that statement and its commit, never across a
round trip to the application.

Every look-up has one index that answers it, whatever the planner believes of the tables' sizes:
a prepared statement keeps the plan it made on its first executions, which on a fresh database
are made on nearly empty tables, where every path costs about the same. A machine's activation
is found by fingerprint first (migration 0030); the serial is tested as a filter (``serial ||
''``) so that the (serial, created_at) index, which would walk every activation of a trial
pool's serial, cannot serve it. Rows are updated by primary key from an array of ids
(``id = ANY (ARRAY(...))``), never by a join that could hash a scan of the whole table.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

import asyncpg

# The serial's terms as both activation statements read them, from "serials s JOIN products p".
SERIAL_TERMS = """
    SELECT s.serial, s.status, (s.valid_until IS NOT NULL AND s.valid_until <= now()) AS expired,
           s.activation_limit, s.used, s.features, s.trial, s.trial_days,
           s.valid_until, s.updates_until, p.code AS product, p.vendor_id, p.check_in_days,
           p.grace_days, p.binding_tolerance
"""

# Why request "r" (its product and features) may take no slot of serial "i" (SERIAL_TERMS),
# however many are free: the error code, or NULL when it may. The one statement of the rule:
# both activation statements grant slots only where it is NULL and answer it as "refusal",
# which the service turns into its error, in this order of precedence.
REFUSAL = """
    CASE
        WHEN i.status <> 'active' THEN 'SERIAL_BLOCKED'
        WHEN i.expired THEN 'SERIAL_EXPIRED'
        WHEN r.product IS NOT NULL AND r.product <> i.product THEN 'PRODUCT_MISMATCH'
        WHEN r.features IS NOT NULL AND NOT r.features <@ i.features
            THEN 'FEATURES_NOT_LICENSED'
    END
"""

# Whether request "r" waits for the binding step (binding.py) before it may take a slot: the
# machine sent its components and the product has a binding tolerance, so it may be a machine
# that holds an activation already under another fingerprint.
BINDING_FIRST = """r.tolerant AND i.binding_tolerance > 0"""

# The statements are put together from the constant fragments above when this module loads; no
# value is ever formatted into them.
ACTIVATE = (
    """
WITH i AS ("""
    + SERIAL_TERMS
    + """
    FROM serials s JOIN products p ON p.id = s.product_id
    WHERE s.serial = $1
),
r AS (
    SELECT $3::text AS product, $4::text[] AS features, $9::boolean AS tolerant
),
existing AS (
    -- By the machine index only (see the module's docstring).
    SELECT a.id, a.created_at, a.expires_at, a.features, a.license
    FROM activations a
    WHERE a.fingerprint = $2 AND a.serial || '' = $1 AND a.deactivated_at IS NULL
    LIMIT 1
),
eligible AS (
    SELECT 1 FROM i CROSS JOIN r
    WHERE ("""
    + REFUSAL
    + """) IS NULL
      AND NOT EXISTS (SELECT 1 FROM existing)
      AND NOT ("""
    + BINDING_FIRST
    + """)
),
bump AS (
    UPDATE serials SET used = used + 1
    WHERE serial = $1 AND used < activation_limit AND status = 'active'
      AND EXISTS (SELECT 1 FROM eligible)
    RETURNING used
),
created AS (
    INSERT INTO activations (id, serial, fingerprint, features, client, address, via, expires_at)
    SELECT $7, $1, $2, COALESCE($4::text[], i.features), $5, $6, $8,
           CASE WHEN i.trial THEN now() + make_interval(days => i.trial_days) END
    FROM bump CROSS JOIN i
    RETURNING id, created_at, expires_at, features
),
audit AS (
    INSERT INTO audit_log (actor, vendor_id, action, subject, address, details)
    SELECT 'machine', i.vendor_id, 'activation.create', $1, $6,
           jsonb_build_object('activation_id', c.id, 'fingerprint', $2, 'via', $8)
    FROM created c CROSS JOIN i
),
seen AS (
    -- Last-seen has hour resolution, so a restart storm of known machines writes nothing.
    UPDATE activations SET last_seen_at = now()
    WHERE id = (SELECT id FROM existing) AND last_seen_at < now() - interval '1 hour'
)
SELECT ("""
    + REFUSAL
    + """) AS refusal,
       i.activation_limit, i.used, i.features AS licensed, i.trial,
       i.product, i.vendor_id, i.check_in_days, i.grace_days,
       e.id AS existing_id, e.created_at AS existing_created_at,
       e.expires_at AS existing_expires_at, e.features AS existing_features,
       c.id AS created_id, c.created_at AS created_created_at,
       c.expires_at AS created_expires_at, c.features AS created_features,
       b.used AS bumped_used, e.license AS existing_license, i.valid_until, i.updates_until,
       i.binding_tolerance
FROM i
CROSS JOIN r
LEFT JOIN existing e ON true
LEFT JOIN created c ON true
LEFT JOIN bump b ON true
"""
)

# The same activation for a batch of requests that arrived together, in one statement and one
# transaction: one round trip, one commit and one WAL flush for the batch. Requests are numbered
# by ``n``. The batch travels as one JSON document: encoding it is one C-accelerated dump, where
# eight array parameters cost the driver a type check per element. Only serials that
# will take a slot are locked, all in one order, so concurrent batches queue and never deadlock;
# ``FOR UPDATE`` returns the newest committed count, and slots are granted in request order
# while ``used + rank <= activation_limit``. A machine that appears twice in a batch takes one
# slot: its first request creates the activation, the others get it as an existing one.
ACTIVATE_MANY = (
    """
WITH req AS (
    SELECT r.n, r.serial, r.fingerprint, r.product, r.features, r.client, r.address, r.id, r.via,
           r.tolerant
    FROM jsonb_to_recordset($1::jsonb) AS r(n integer, serial text, fingerprint text,
         product text, features text[], client jsonb, address inet, id uuid, via text,
         tolerant boolean)
),
-- LATERAL lookups keep to the primary and live-activation indexes whatever the planner guesses
-- of the batch's size (it cannot see into the JSON document).
info AS ("""
    + SERIAL_TERMS
    + """
    FROM (SELECT DISTINCT serial FROM req) r
    -- LIMIT keeps the planner from flattening the lookup into a join, which it does with a
    -- sequential scan of serials whenever it guesses the table small enough.
    CROSS JOIN LATERAL (SELECT * FROM serials s WHERE s.serial = r.serial LIMIT 1) s
    JOIN products p ON p.id = s.product_id
),
existing AS (
    SELECT r.n, a.id, a.created_at, a.expires_at, a.features, a.license, a.last_seen_at
    FROM req r
    CROSS JOIN LATERAL (
        SELECT a.id, a.created_at, a.expires_at, a.features, a.license, a.last_seen_at
        FROM activations a
        WHERE a.fingerprint = r.fingerprint AND a.serial || '' = r.serial
          AND a.deactivated_at IS NULL
        LIMIT 1
    ) a
),
wanted AS (
    SELECT r.*, row_number() OVER (PARTITION BY r.serial, r.fingerprint ORDER BY r.n) AS copy
    FROM req r JOIN info i ON i.serial = r.serial
    WHERE ("""
    + REFUSAL
    + """) IS NULL
      AND NOT EXISTS (SELECT 1 FROM existing e WHERE e.n = r.n)
      AND NOT ("""
    + BINDING_FIRST
    + """)
),
locked AS (
    SELECT s.serial, s.used, s.activation_limit, s.status
    FROM serials s
    WHERE s.serial IN (SELECT serial FROM wanted)
    ORDER BY s.serial
    FOR UPDATE
),
ranked AS (
    SELECT w.n, w.serial, w.fingerprint, w.features, w.client, w.address, w.id, w.via,
           l.used AS base, l.activation_limit,
           row_number() OVER (PARTITION BY w.serial ORDER BY w.n) AS rank
    FROM wanted w JOIN locked l ON l.serial = w.serial
    WHERE w.copy = 1 AND l.status = 'active'
),
granted AS (
    SELECT * FROM ranked WHERE base + rank <= activation_limit
),
taken AS (
    SELECT serial, min(base) AS base, count(*) AS slots FROM granted GROUP BY serial
),
bump AS (
    -- The new count is computed from the locked row's value, not from s.used: PostgreSQL checks
    -- constraints on the row built from the statement's snapshot before it notices a concurrent
    -- update (a deactivation committed a moment ago), so "s.used + slots" could trip the limit
    -- check on a count that is already out of date.
    UPDATE serials s SET used = t.base + t.slots
    FROM taken t
    WHERE s.serial = t.serial
    RETURNING s.serial, s.used
),
created AS (
    INSERT INTO activations (id, serial, fingerprint, features, client, address, via, expires_at)
    SELECT g.id, g.serial, g.fingerprint, COALESCE(g.features, i.features),
           g.client, g.address, g.via,
           CASE WHEN i.trial THEN now() + make_interval(days => i.trial_days) END
    FROM granted g
    JOIN info i ON i.serial = g.serial
    -- Only serials whose count was raised get activations: a slot is never handed out uncounted.
    JOIN bump b ON b.serial = g.serial
    RETURNING id, created_at, expires_at, features
),
audit AS (
    INSERT INTO audit_log (actor, vendor_id, action, subject, address, details)
    SELECT 'machine', i.vendor_id, 'activation.create', g.serial, g.address,
           jsonb_build_object('activation_id', g.id, 'fingerprint', g.fingerprint, 'via', g.via)
    FROM created c
    JOIN granted g ON g.id = c.id
    JOIN info i ON i.serial = g.serial
),
kept AS (
    -- Licenses this process issued again since its previous batch (see STORE_LICENSES). A row
    -- is written at most once by one statement, so "seen" leaves these to this update.
    UPDATE activations a SET license = k.license, last_seen_at = now()
    FROM jsonb_to_recordset($2::jsonb) AS k(id uuid, license text)
    WHERE a.id = ANY (ARRAY(SELECT (e ->> 'id')::uuid FROM jsonb_array_elements($2::jsonb) e))
      AND a.id = k.id AND a.license IS DISTINCT FROM k.license
    RETURNING a.id
),
seen AS (
    -- Last-seen has hour resolution, so a restart storm of known machines writes nothing. The
    -- test is on the value "existing" read already: testing the updated row's own value made
    -- every re-activation look its activation up by primary key a second time.
    UPDATE activations a SET last_seen_at = now()
    WHERE a.id = ANY (ARRAY(
        SELECT e.id FROM existing e
        WHERE e.last_seen_at < now() - interval '1 hour' AND e.id NOT IN (SELECT id FROM kept)
    ))
)
SELECT ("""
    + REFUSAL
    + """) AS refusal,
       i.activation_limit,
       COALESCE(b.used, l.used, i.used) AS used,
       i.features AS licensed, i.trial, i.product, i.vendor_id, i.check_in_days, i.grace_days,
       COALESCE(e.id, c2.id) AS existing_id,
       COALESCE(e.created_at, c2.created_at) AS existing_created_at,
       CASE WHEN e.id IS NOT NULL THEN e.expires_at ELSE c2.expires_at END
           AS existing_expires_at,
       COALESCE(e.features, c2.features) AS existing_features,
       c.id AS created_id, c.created_at AS created_created_at,
       c.expires_at AS created_expires_at, c.features AS created_features,
       g.base + g.rank AS bumped_used,
       e.license AS existing_license, i.valid_until, i.updates_until, i.binding_tolerance,
       r.n
FROM req r
JOIN info i ON i.serial = r.serial
LEFT JOIN existing e ON e.n = r.n
LEFT JOIN wanted w ON w.n = r.n
LEFT JOIN granted g ON g.n = r.n
LEFT JOIN created c ON c.id = g.id
LEFT JOIN granted g2 ON w.copy > 1 AND g2.serial = r.serial AND g2.fingerprint = r.fingerprint
LEFT JOIN created c2 ON c2.id = g2.id
LEFT JOIN locked l ON l.serial = r.serial
LEFT JOIN bump b ON b.serial = r.serial
ORDER BY r.n
"""
)

# The look-ups of validations, for a batch of requests numbered by ``n``: the request's number,
# then the columns of ActivationState in its order. Look-ups are LATERAL so that they keep to
# the indexes whatever the planner guesses of the batch's size (it cannot see into the JSON).
STATES_BY_ACTIVATION = """
SELECT r.n, a.id, s.serial, a.fingerprint, a.features, a.created_at, a.expires_at, a.deactivated_at,
       s.status, (s.valid_until IS NOT NULL AND s.valid_until <= now()) AS serial_expired,
       s.activation_limit, s.used, s.trial, p.code AS product
FROM jsonb_to_recordset($1::jsonb) AS r(n integer, id uuid)
CROSS JOIN LATERAL (SELECT * FROM activations a WHERE a.id = r.id LIMIT 1) a
CROSS JOIN LATERAL (SELECT * FROM serials s WHERE s.serial = a.serial LIMIT 1) s
JOIN products p ON p.id = s.product_id
"""

# A machine's live activation if it has one (the live-activation index), else its latest
# deactivated one (the deactivated-machine index): both are index look-ups however many machines
# share the serial, where one scan ordered by "live first" walked every activation of a trial
# pool's serial.
STATES_BY_MACHINE = """
SELECT r.n, a.id, s.serial, a.fingerprint, a.features, a.created_at, a.expires_at, a.deactivated_at,
       s.status, (s.valid_until IS NOT NULL AND s.valid_until <= now()) AS serial_expired,
       s.activation_limit, s.used, s.trial, p.code AS product
FROM jsonb_to_recordset($1::jsonb) AS r(n integer, serial text, fingerprint text)
CROSS JOIN LATERAL (SELECT * FROM serials s WHERE s.serial = r.serial LIMIT 1) s
JOIN products p ON p.id = s.product_id
LEFT JOIN LATERAL (
    (SELECT * FROM activations a
     WHERE a.fingerprint = r.fingerprint AND a.serial || '' = r.serial
       AND a.deactivated_at IS NULL
     LIMIT 1)
    UNION ALL
    (SELECT * FROM activations a
     WHERE a.fingerprint = r.fingerprint AND a.serial || '' = r.serial
       AND a.deactivated_at IS NOT NULL
     ORDER BY a.created_at DESC
     LIMIT 1)
    LIMIT 1
) a ON true
"""

# A check-in: records it on a live activation and answers its state with the product's policy.
CHECK_IN = """
WITH touched AS (
    INSERT INTO check_ins (activation_id, last_at)
    SELECT id, now() FROM activations WHERE id = $1 AND deactivated_at IS NULL
    ON CONFLICT (activation_id) DO UPDATE SET last_at = excluded.last_at
)
SELECT a.id, s.serial, a.fingerprint, a.features, a.created_at, a.expires_at, a.deactivated_at,
       s.status, (s.valid_until IS NOT NULL AND s.valid_until <= now()) AS serial_expired,
       s.activation_limit, s.used, s.trial, p.code AS product,
       p.vendor_id, p.check_in_days, p.grace_days, s.valid_until, s.updates_until
FROM activations a
JOIN serials s ON s.serial = a.serial
JOIN products p ON p.id = s.product_id
WHERE a.id = $1
"""

# Taken first, in the deactivation's transaction: the statement that follows then counts the
# serial's transfers in a snapshot that includes every committed one, so concurrent
# deactivations of one serial cannot both spend its last transfer.
LOCK_SERIAL_OF_ACTIVATION = """
SELECT s.serial FROM activations a JOIN serials s ON s.serial = a.serial
WHERE a.id = $1
FOR UPDATE OF s
"""

DEACTIVATE = """
WITH target AS (
    SELECT id, serial FROM activations WHERE id = $1
),
locked AS (
    -- The serial's row is locked before the activation's, in the same order as an activation
    -- takes them, so a deactivation and an activation of one serial never deadlock.
    SELECT s.serial, s.transferable, s.used, p.vendor_id, p.transfer_budget, s.transfers_granted
    FROM serials s JOIN products p ON p.id = s.product_id
    WHERE s.serial = (SELECT serial FROM target)
    FOR UPDATE OF s
),
spent AS (
    -- Transfers in the rolling year: machines of the serial freed in the last 365 days.
    SELECT count(*) AS n FROM transfers t
    WHERE t.serial = (SELECT serial FROM locked) AND t.at > now() - interval '365 days'
),
allowed AS (
    SELECT l.transferable AND (
        l.transfer_budget IS NULL
        OR (SELECT n FROM spent) < l.transfer_budget + l.transfers_granted
    ) AS ok
    FROM locked l
),
closed AS (
    UPDATE activations SET deactivated_at = now()
    WHERE id = $1 AND deactivated_at IS NULL AND (SELECT ok FROM allowed)
    RETURNING id, serial, deactivated_at, fingerprint
),
transferred AS (
    INSERT INTO transfers (serial, activation_id, by) SELECT serial, id, $3 FROM closed
),
freed AS (
    -- From the locked (current) count, for the same reason as in the batch activation.
    UPDATE serials SET used = (SELECT used FROM locked) - 1
    WHERE serial = (SELECT serial FROM closed)
    RETURNING used
),
audit AS (
    INSERT INTO audit_log (actor, vendor_id, action, subject, address, details)
    SELECT $4, l.vendor_id,
           CASE WHEN $3 = 'machine' THEN 'activation.deactivate' ELSE 'activation.release' END,
           c.serial, $2, jsonb_build_object('activation_id', c.id, 'fingerprint', c.fingerprint)
    FROM closed c CROSS JOIN locked l
)
SELECT t.id, t.serial, l.transferable,
       COALESCE(c.deactivated_at, a.deactivated_at) AS deactivated_at,
       COALESCE(f.used, s.used) AS used, s.activation_limit,
       (SELECT ok FROM allowed) AS allowed, l.transfer_budget, l.transfers_granted,
       (SELECT n FROM spent) AS transfers
FROM target t
JOIN locked l ON true
JOIN activations a ON a.id = t.id
JOIN serials s ON s.serial = t.serial
LEFT JOIN closed c ON true
LEFT JOIN freed f ON true
"""


class ActivateOutcome(NamedTuple):
    """One row of :data:`ACTIVATE` or :data:`ACTIVATE_MANY`, in their column order.

    A tuple rather than a dataclass: it is built once per activation from the driver's record
    (``ActivateOutcome(*row)``), without a dictionary of column names in between. The test of
    the statements' columns pins the order to these names.
    """

    # Why the request may take no slot (REFUSAL): an error code, None when it may.
    refusal: str | None
    activation_limit: int
    used: int
    licensed: list[str]
    trial: bool
    product: str
    # Whose keys sign the license.
    vendor_id: int
    # The product's check-in policy (see CheckInPolicy).
    check_in_days: int
    grace_days: int
    existing_id: uuid.UUID | None
    existing_created_at: datetime | None
    existing_expires_at: datetime | None
    existing_features: list[str] | None
    created_id: uuid.UUID | None
    created_created_at: datetime | None
    created_expires_at: datetime | None
    created_features: list[str] | None
    bumped_used: int | None
    # The license kept for the existing activation (NULL until it is issued a second time).
    existing_license: str | None
    # A term license's end and an update subscription's end (license claims).
    valid_until: datetime | None
    updates_until: datetime | None
    # Hardware components that may change before a machine is a new one (0: exact binding).
    binding_tolerance: int
    # The request's number in its batch (ACTIVATE_MANY only).
    n: int | None = None


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
class CheckInState:
    """An activation at a check-in, with who signs for it and the product's policy."""

    state: ActivationState
    vendor_id: int
    check_in_days: int
    grace_days: int
    # The serial's term and update subscription, which the renewed license states.
    valid_until: datetime | None
    updates_until: datetime | None


@dataclass(frozen=True)
class DeactivateOutcome:
    id: uuid.UUID
    serial: str
    transferable: bool
    deactivated_at: datetime | None
    used: int
    activation_limit: int
    # Whether the transfer budget allowed it, and the budget: the product's, the extra that
    # staff granted, and the transfers of the last 365 days.
    allowed: bool
    transfer_budget: int | None
    transfers_granted: int
    transfers: int


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
    tolerant: bool = False,
) -> ActivateOutcome | None:
    """``tolerant``: the machine sent its components and the binding step has not looked for
    it yet; no slot is taken for it where its product has a binding tolerance."""
    row = await connection.fetchrow(
        ACTIVATE, serial, fingerprint, product, features, client, address, new_id, via, tolerant
    )
    return ActivateOutcome(*row) if row is not None else None


@dataclass(frozen=True, slots=True)
class ActivationParams:
    """One request of a batch (see :func:`activate_many`)."""

    serial: str
    fingerprint: str
    product: str | None
    features: list[str] | None
    client: dict[str, Any]
    address: str | None
    new_id: uuid.UUID
    via: str
    # See :func:`activate`.
    tolerant: bool = False


async def activate_one(
    connection: asyncpg.Connection, params: ActivationParams
) -> ActivateOutcome | None:
    """:func:`activate` of one request of a batch."""
    return await activate(
        connection,
        serial=params.serial,
        fingerprint=params.fingerprint,
        product=params.product,
        features=params.features,
        client=params.client,
        address=params.address,
        new_id=params.new_id,
        via=params.via,
        tolerant=params.tolerant,
    )


async def activate_many(
    connection: asyncpg.Connection,
    batch: list[ActivationParams],
    licenses: list[tuple[str, str]] | None = None,
) -> list[ActivateOutcome | None]:
    """The outcomes of a batch, in its order; None where the serial does not exist.

    ``licenses`` are (activation id, license) pairs to keep on their activations, written by
    the same statement (see :data:`STORE_LICENSES`).
    """
    rows = await connection.fetch(
        ACTIVATE_MANY,
        [
            {
                "n": index,
                "serial": item.serial,
                "fingerprint": item.fingerprint,
                "product": item.product,
                "features": item.features,
                "client": item.client,
                "address": item.address,
                "id": str(item.new_id),
                "via": item.via,
                "tolerant": item.tolerant,
            }
            for index, item in enumerate(batch, 1)
        ],
        [{"id": activation_id, "license": token} for activation_id, token in licenses or ()],
    )
    outcomes: list[ActivateOutcome | None] = [None] * len(batch)
    for row in rows:
        outcomes[row[-1] - 1] = ActivateOutcome(*row)
    return outcomes


# Keeps licenses issued again when no activation batch follows to carry them (an idle moment).
STORE_LICENSES = """
UPDATE activations a SET license = k.license
FROM jsonb_to_recordset($1::jsonb) AS k(id uuid, license text)
WHERE a.id = ANY (ARRAY(SELECT (e ->> 'id')::uuid FROM jsonb_array_elements($1::jsonb) e))
  AND a.id = k.id AND a.license IS DISTINCT FROM k.license
"""


async def store_licenses(connection: asyncpg.Connection, licenses: list[tuple[str, str]]) -> None:
    await connection.execute(
        STORE_LICENSES,
        [{"id": activation_id, "license": token} for activation_id, token in licenses],
    )


async def states_by_activation(
    connection: asyncpg.Connection, activation_ids: list[uuid.UUID]
) -> list[ActivationState | None]:
    """Each activation with its serial, in the order asked; None for an unknown id."""
    rows = await connection.fetch(
        STATES_BY_ACTIVATION,
        [{"n": n, "id": str(activation_id)} for n, activation_id in enumerate(activation_ids)],
    )
    return _states(rows, len(activation_ids))


async def states_by_machine(
    connection: asyncpg.Connection, machines: list[tuple[str, str]]
) -> list[ActivationState | None]:
    """Each (serial, fingerprint): the serial and the machine's latest activation of it, in the
    order asked; None for an unknown serial."""
    rows = await connection.fetch(
        STATES_BY_MACHINE,
        [
            {"n": n, "serial": serial, "fingerprint": fingerprint}
            for n, (serial, fingerprint) in enumerate(machines)
        ],
    )
    return _states(rows, len(machines))


def _states(rows: list[asyncpg.Record], count: int) -> list[ActivationState | None]:
    states: list[ActivationState | None] = [None] * count
    for row in rows:
        states[row[0]] = ActivationState(*row[1:])
    return states


async def check_in(connection: asyncpg.Connection, activation_id: uuid.UUID) -> CheckInState | None:
    row = await connection.fetchrow(CHECK_IN, activation_id)
    if row is None:
        return None
    values = list(row.values())
    return CheckInState(ActivationState(*values[:13]), *values[13:])


async def deactivate(
    connection: asyncpg.Connection,
    activation_id: uuid.UUID,
    address: str | None,
    *,
    by: str = "machine",
    actor: str = "machine",
) -> DeactivateOutcome | None:
    """Frees the machine's slot when the serial's type and transfer budget allow it (``by``: the
    machine itself, its vendor or the licensee on the self-service pages), in one transaction
    with the serial locked first."""
    async with connection.transaction():
        await connection.execute(LOCK_SERIAL_OF_ACTIVATION, activation_id)
        row = await connection.fetchrow(DEACTIVATE, activation_id, address, by, actor)
    return DeactivateOutcome(**dict(row)) if row is not None else None


# Tolerant binding (see binding.py). The live activations of a serial that share at least one
# component hash with a machine: each of its components is looked up in the hash index, so the
# candidates are that machine's own activations however many machines the serial has.
NEAR_MACHINES = """
SELECT a.id, a.fingerprint, b.components
FROM (
    SELECT DISTINCT h.activation_id
    FROM jsonb_each($2::jsonb) AS e(name, hash)
    CROSS JOIN LATERAL (
        SELECT b.activation_id FROM activation_components b
        WHERE b.components @> jsonb_build_object(e.name, e.hash)
    ) h
) m
CROSS JOIN LATERAL (SELECT * FROM activations a WHERE a.id = m.activation_id LIMIT 1) a
JOIN activation_components b ON b.activation_id = a.id
WHERE a.serial = $1 AND a.deactivated_at IS NULL
ORDER BY a.id
"""

# Moves an activation to the machine's new fingerprint and components, only if it still holds
# the fingerprint the caller read: of two machines that both match it, one moves it and the
# other finds it moved. The license kept for the old fingerprint is dropped.
REBIND = """
WITH moved AS (
    UPDATE activations SET fingerprint = $3, license = NULL
    WHERE id = $1 AND fingerprint = $2 AND deactivated_at IS NULL
    RETURNING id, serial
),
kept AS (
    UPDATE activation_components SET components = $4, changed = $5, changed_at = now()
    WHERE activation_id = (SELECT id FROM moved)
),
audit AS (
    INSERT INTO audit_log (actor, vendor_id, action, subject, address, details)
    SELECT 'machine', p.vendor_id, 'activation.rebind', m.serial, $6,
           jsonb_build_object('activation_id', m.id, 'fingerprint', $3, 'previous', $2,
                              'changed', $5::text[])
    FROM moved m JOIN serials s ON s.serial = m.serial JOIN products p ON p.id = s.product_id
)
SELECT count(*) FROM moved
"""

BINDING_TOLERANCE = """
SELECT p.binding_tolerance FROM serials s JOIN products p ON p.id = s.product_id
WHERE s.serial = $1
"""

KEEP_COMPONENTS = """
INSERT INTO activation_components (activation_id, components) VALUES ($1, $2)
ON CONFLICT (activation_id) DO NOTHING
"""


@dataclass(frozen=True)
class NearMachine:
    """A live activation with the components it was bound with."""

    id: uuid.UUID
    fingerprint: str
    components: dict[str, str]


async def near_machines(
    connection: asyncpg.Connection, serial: str, components: dict[str, str]
) -> list[NearMachine]:
    rows = await connection.fetch(NEAR_MACHINES, serial, components)
    return [NearMachine(row["id"], row["fingerprint"], dict(row["components"])) for row in rows]


async def rebind(
    connection: asyncpg.Connection,
    activation_id: uuid.UUID,
    *,
    previous: str,
    fingerprint: str,
    components: dict[str, str],
    changed: list[str],
    address: str | None,
) -> bool:
    """Whether the activation moved (False: it no longer holds ``previous``)."""
    moved = await connection.fetchval(
        REBIND, activation_id, previous, fingerprint, components, changed, address
    )
    return bool(moved)


async def keep_components(
    connection: asyncpg.Connection, activation_id: uuid.UUID, components: dict[str, str]
) -> None:
    await connection.execute(KEEP_COMPONENTS, activation_id, components)


async def binding_tolerance(connection: asyncpg.Connection, serial: str) -> int | None:
    """The tolerance of the serial's product; None for an unknown serial."""
    value = await connection.fetchval(BINDING_TOLERANCE, serial)
    return int(value) if value is not None else None
