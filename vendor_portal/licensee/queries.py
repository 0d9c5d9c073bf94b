"""SQL of licensee self-service: the address recorded on a serial, sign-in codes, sessions, and
the serial's machines and transfer budget as its licensee sees them."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import asyncpg

from vendor_portal.serials.queries import MACHINES_FROM, MachineRow

SELECT_SERIAL = """
SELECT s.serial, p.vendor_id, p.code AS product, p.name AS product_name, p.self_service,
       s.status, s.transferable, s.activation_limit, s.used, l.email
FROM serials s
JOIN products p ON p.id = s.product_id
LEFT JOIN serial_licensees l ON l.serial = s.serial
WHERE s.serial = $1
"""
SET_EMAIL = """
INSERT INTO serial_licensees (serial, email) VALUES ($1, $2)
ON CONFLICT (serial) DO UPDATE SET email = excluded.email, updated_at = now()
"""
DELETE_EMAIL = "DELETE FROM serial_licensees WHERE serial = $1"
SELECT_EMAIL = "SELECT email FROM serial_licensees WHERE serial = $1"

VOID_CODES = """
UPDATE licensee_codes SET voided_at = now()
WHERE serial = $1 AND used_at IS NULL AND voided_at IS NULL
"""
INSERT_CODE = """
INSERT INTO licensee_codes (serial, code_hash, expires_at)
VALUES ($1, $2, now() + make_interval(secs => $3))
"""
# The one code of the serial that may still be used, locked so that two tries of it are
# counted one after the other.
SELECT_LIVE_CODE = """
SELECT id, code_hash FROM licensee_codes
WHERE serial = $1 AND used_at IS NULL AND voided_at IS NULL AND expires_at > now()
  AND wrong_tries < $2
ORDER BY created_at DESC, id DESC LIMIT 1
FOR UPDATE
"""
USE_CODE = "UPDATE licensee_codes SET used_at = now() WHERE id = $1"
COUNT_WRONG_TRY = "UPDATE licensee_codes SET wrong_tries = wrong_tries + 1 WHERE id = $1"

INSERT_SESSION = """
INSERT INTO licensee_sessions (token_hash, serial, via, expires_at, address)
VALUES ($1, $2, $3, now() + make_interval(secs => $4), $5)
"""
SELECT_SESSION = """
SELECT serial, via FROM licensee_sessions
WHERE token_hash = $1 AND ended_at IS NULL AND expires_at > now()
"""
END_SESSION = """
UPDATE licensee_sessions SET ended_at = now() WHERE token_hash = $1 AND ended_at IS NULL
"""

# The serial's live machines, first activated first.
SELECT_MACHINES = (
    MACHINES_FROM
    + """
WHERE a.serial = $1 AND a.deactivated_at IS NULL
ORDER BY a.created_at, a.id
"""
)
SELECT_ACTIVATION_SERIAL = "SELECT serial FROM activations WHERE id = $1"
# What the deactivation counts (activations.queries.DEACTIVATE) to allow or refuse a transfer.
SELECT_BUDGET = """
SELECT p.transfer_budget, s.transfers_granted,
       (SELECT count(*) FROM transfers t
        WHERE t.serial = s.serial AND t.at > now() - interval '365 days') AS spent
FROM serials s JOIN products p ON p.id = s.product_id
WHERE s.serial = $1
"""


@dataclass(frozen=True)
class LicenseeSerial:
    serial: str
    vendor_id: int
    product: str
    product_name: str
    self_service: bool
    status: str
    transferable: bool
    activation_limit: int
    used: int
    email: str | None


@dataclass(frozen=True)
class LicenseeSession:
    serial: str
    via: str


@dataclass(frozen=True)
class Budget:
    # None: the product sets no limit.
    budget: int | None
    granted: int
    spent: int

    @property
    def left(self) -> int | None:
        if self.budget is None:
            return None
        return max(0, self.budget + self.granted - self.spent)


async def serial(connection: asyncpg.Connection, value: str) -> LicenseeSerial | None:
    row = await connection.fetchrow(SELECT_SERIAL, value)
    return LicenseeSerial(**dict(row)) if row is not None else None


async def set_email(connection: asyncpg.Connection, value: str, email: str | None) -> None:
    if email is None:
        await connection.execute(DELETE_EMAIL, value)
    else:
        await connection.execute(SET_EMAIL, value, email)


async def email(connection: asyncpg.Connection, value: str) -> str | None:
    found = await connection.fetchval(SELECT_EMAIL, value)
    return str(found) if found is not None else None


async def new_code(
    connection: asyncpg.Connection, value: str, code_hash: bytes, seconds: int
) -> None:
    """Stores a code and voids the serial's older ones: only the latest mail works."""
    await connection.execute(VOID_CODES, value)
    await connection.execute(INSERT_CODE, value, code_hash, float(seconds))


async def live_code(
    connection: asyncpg.Connection, value: str, max_wrong_tries: int
) -> tuple[int, bytes] | None:
    row = await connection.fetchrow(SELECT_LIVE_CODE, value, max_wrong_tries)
    return (int(row["id"]), bytes(row["code_hash"])) if row is not None else None


async def use_code(connection: asyncpg.Connection, code_id: int) -> None:
    await connection.execute(USE_CODE, code_id)


async def count_wrong_try(connection: asyncpg.Connection, code_id: int) -> None:
    await connection.execute(COUNT_WRONG_TRY, code_id)


async def start_session(
    connection: asyncpg.Connection,
    token_hash: bytes,
    value: str,
    via: str,
    seconds: int,
    address: str | None,
) -> None:
    await connection.execute(INSERT_SESSION, token_hash, value, via, float(seconds), address)


async def session(connection: asyncpg.Connection, token_hash: bytes) -> LicenseeSession | None:
    row = await connection.fetchrow(SELECT_SESSION, token_hash)
    return LicenseeSession(**dict(row)) if row is not None else None


async def end_session(connection: asyncpg.Connection, token_hash: bytes) -> None:
    await connection.execute(END_SESSION, token_hash)


async def machines(connection: asyncpg.Connection, value: str) -> list[MachineRow]:
    return [MachineRow(**dict(row)) for row in await connection.fetch(SELECT_MACHINES, value)]


async def activation_serial(connection: asyncpg.Connection, activation_id: UUID) -> str | None:
    found = await connection.fetchval(SELECT_ACTIVATION_SERIAL, activation_id)
    return str(found) if found is not None else None


async def budget(connection: asyncpg.Connection, value: str) -> Budget:
    row = await connection.fetchrow(SELECT_BUDGET, value)
    assert row is not None
    return Budget(row["transfer_budget"], int(row["transfers_granted"]), int(row["spent"]))
