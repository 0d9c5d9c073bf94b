"""SQL of companies (vendors), users, one-time e-mail tokens and API keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

INSERT_VENDOR = """
INSERT INTO vendors AS v (name, kind) VALUES ($1, $2)
RETURNING v.id, v.name, v.kind, v.discount_percent, v.balance, v.created_at, v.partner_tier
"""
SELECT_VENDOR = """
SELECT v.id, v.name, v.kind, v.discount_percent, v.balance, v.created_at, v.partner_tier
FROM vendors v WHERE v.id = $1
"""
SELECT_VENDOR_BY_NAME = """
SELECT v.id, v.name, v.kind, v.discount_percent, v.balance, v.created_at, v.partner_tier
FROM vendors v WHERE v.name = $1
ORDER BY id LIMIT 1
"""
SELECT_VENDORS = """
SELECT v.id, v.name, v.kind, v.discount_percent, v.balance, v.created_at, v.partner_tier
FROM vendors v WHERE ($1::bigint IS NULL OR v.id = $1)
ORDER BY v.id
LIMIT $2 OFFSET $3
"""
COUNT_VENDORS = "SELECT count(*) FROM vendors v WHERE ($1::bigint IS NULL OR v.id = $1)"
UPDATE_DISCOUNT = """
UPDATE vendors AS v SET discount_percent = $2 WHERE v.id = $1
RETURNING v.id, v.name, v.kind, v.discount_percent, v.balance, v.created_at, v.partner_tier
"""


INSERT_USER = """
INSERT INTO users AS u (email, password_hash, role, vendor_id, confirmed_at)
VALUES ($1, $2, $3, $4, CASE WHEN $5 THEN now() END)
RETURNING u.id, u.email, u.password_hash, u.role, u.vendor_id, u.confirmed_at, u.token_version,
    u.created_at, u.disabled_at, u.company_role
"""
SELECT_USER = """
SELECT u.id, u.email, u.password_hash, u.role, u.vendor_id, u.confirmed_at, u.token_version,
    u.created_at, u.disabled_at, u.company_role FROM users u WHERE u.id = $1
"""
SELECT_USER_BY_EMAIL = """
SELECT u.id, u.email, u.password_hash, u.role, u.vendor_id, u.confirmed_at, u.token_version,
    u.created_at, u.disabled_at, u.company_role FROM users u WHERE u.email = $1
"""
SELECT_USERS = """
SELECT u.id, u.email, u.password_hash, u.role, u.vendor_id, u.confirmed_at, u.token_version,
    u.created_at, u.disabled_at, u.company_role
FROM users u WHERE ($1::bigint IS NULL OR u.vendor_id = $1) ORDER BY u.id
LIMIT $2 OFFSET $3
"""
COUNT_USERS = "SELECT count(*) FROM users u WHERE ($1::bigint IS NULL OR u.vendor_id = $1)"
UPDATE_USER_HASH = """
UPDATE users AS u SET password_hash = $2, token_version = token_version + 1 WHERE u.id = $1
RETURNING u.id, u.email, u.password_hash, u.role, u.vendor_id, u.confirmed_at, u.token_version,
    u.created_at, u.disabled_at, u.company_role
"""
UPDATE_HASH_ONLY = "UPDATE users SET password_hash = $2 WHERE id = $1"
CONFIRM_USER = """
UPDATE users AS u SET confirmed_at = coalesce(confirmed_at, now()) WHERE u.id = $1
RETURNING u.id, u.email, u.password_hash, u.role, u.vendor_id, u.confirmed_at, u.token_version,
    u.created_at, u.disabled_at, u.company_role
"""

INSERT_EMAIL_LINK = """
INSERT INTO email_tokens (token_hash, user_id, purpose, expires_at, password_hash, company, kind)
VALUES ($1, $2, $3, now() + make_interval(secs => $4), $5, $6, $7)
"""
# Taking a token marks it used in the same statement: two clicks on one link cannot both win.
TAKE_EMAIL_LINK = """
UPDATE email_tokens SET used_at = now()
WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()
RETURNING user_id, password_hash, company, kind
"""
SELECT_EMAIL_LINK_USER = """
SELECT user_id FROM email_tokens
WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()
"""
# A newer link of a purpose, or the use of any, voids the older ones still unused.
VOID_EMAIL_LINKS = """
UPDATE email_tokens SET used_at = now()
WHERE user_id = $1 AND purpose = ANY($2::text[]) AND used_at IS NULL
"""
# The confirmed registration takes the account over: its password, its company's name.
CLAIM_REGISTRATION = """
UPDATE users AS u SET password_hash = $2, token_version = token_version + 1,
    confirmed_at = coalesce(confirmed_at, now())
WHERE u.id = $1
RETURNING u.id, u.email, u.password_hash, u.role, u.vendor_id, u.confirmed_at, u.token_version,
    u.created_at, u.disabled_at, u.company_role
"""
SET_COMPANY_ROLE = """
UPDATE users AS u SET company_role = $2 WHERE u.id = $1
RETURNING u.id, u.email, u.password_hash, u.role, u.vendor_id, u.confirmed_at, u.token_version,
    u.created_at, u.disabled_at, u.company_role
"""
RENAME_VENDOR = "UPDATE vendors SET name = $2, kind = $3 WHERE id = $1"
REVOKE_USER_API_KEYS = """
UPDATE api_keys SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL
"""
SET_DISABLED = """
UPDATE users AS u SET
    disabled_at = CASE WHEN $2 THEN coalesce(disabled_at, now()) END,
    token_version = token_version + CASE WHEN $2 THEN 1 ELSE 0 END
WHERE u.id = $1
RETURNING u.id, u.email, u.password_hash, u.role, u.vendor_id, u.confirmed_at, u.token_version,
    u.created_at, u.disabled_at, u.company_role
"""

INSERT_API_KEY = """
INSERT INTO api_keys (user_id, name, prefix, key_hash) VALUES ($1, $2, $3, $4)
RETURNING id, user_id, name, prefix, created_at, last_used_at, revoked_at
"""
# No limit ($3 null) is every key.
SELECT_API_KEYS = """
SELECT k.id, k.user_id, k.name, k.prefix, k.created_at, k.last_used_at, k.revoked_at
FROM api_keys k JOIN users u ON u.id = k.user_id
WHERE ($1::bigint IS NULL OR u.vendor_id = $1) AND ($2::bigint IS NULL OR k.user_id = $2)
ORDER BY k.id
LIMIT $3 OFFSET $4
"""
COUNT_API_KEYS = """
SELECT count(*) FROM api_keys k JOIN users u ON u.id = k.user_id
WHERE ($1::bigint IS NULL OR u.vendor_id = $1) AND ($2::bigint IS NULL OR k.user_id = $2)
"""
SELECT_API_KEY = """
SELECT k.id, k.user_id, k.name, k.prefix, k.created_at, k.last_used_at, k.revoked_at,
       u.vendor_id
FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.id = $1
"""
REVOKE_API_KEY = """
UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1
RETURNING id, user_id, name, prefix, created_at, last_used_at, revoked_at
"""
USE_API_KEY = """
WITH used AS (
    UPDATE api_keys SET last_used_at = now()
    WHERE key_hash = $1 AND revoked_at IS NULL
    RETURNING id, user_id
)
SELECT used.id AS api_key_id, u.id, u.email, u.password_hash, u.role, u.vendor_id,
    u.confirmed_at, u.token_version, u.created_at, u.disabled_at, u.company_role
FROM used JOIN users u ON u.id = used.user_id
"""


@dataclass(frozen=True)
class Vendor:
    id: int
    name: str
    kind: str
    discount_percent: int
    balance: int
    created_at: datetime
    # The partner status staff assigned; its discount is kept in discount_percent.
    partner_tier: str | None = None


@dataclass(frozen=True)
class User:
    id: int
    email: str
    password_hash: str
    role: str
    vendor_id: int | None
    confirmed_at: datetime | None
    token_version: int
    created_at: datetime
    disabled_at: datetime | None = None
    company_role: str = "admin"


@dataclass(frozen=True)
class ApiKey:
    id: int
    user_id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def live(self) -> bool:
        return self.revoked_at is None


def _vendor(row: asyncpg.Record | None) -> Vendor | None:
    return Vendor(**dict(row)) if row is not None else None


def _user(row: asyncpg.Record | None) -> User | None:
    return User(**dict(row)) if row is not None else None


async def insert_vendor(connection: asyncpg.Connection, name: str, kind: str) -> Vendor:
    vendor = _vendor(await connection.fetchrow(INSERT_VENDOR, name, kind))
    assert vendor is not None
    return vendor


async def vendor(connection: asyncpg.Connection, vendor_id: int) -> Vendor | None:
    return _vendor(await connection.fetchrow(SELECT_VENDOR, vendor_id))


async def vendor_by_name(connection: asyncpg.Connection, name: str) -> Vendor | None:
    return _vendor(await connection.fetchrow(SELECT_VENDOR_BY_NAME, name))


async def vendors(
    connection: asyncpg.Connection, only: int | None, limit: int, offset: int
) -> list[Vendor]:
    rows = await connection.fetch(SELECT_VENDORS, only, limit, offset)
    return [Vendor(**dict(row)) for row in rows]


async def count_vendors(connection: asyncpg.Connection, only: int | None) -> int:
    return int(await connection.fetchval(COUNT_VENDORS, only))


async def set_discount(
    connection: asyncpg.Connection, vendor_id: int, percent: int
) -> Vendor | None:
    return _vendor(await connection.fetchrow(UPDATE_DISCOUNT, vendor_id, percent))


async def insert_user(
    connection: asyncpg.Connection,
    *,
    email: str,
    password_hash: str,
    role: str,
    vendor_id: int | None,
    confirmed: bool,
) -> User:
    user = _user(
        await connection.fetchrow(INSERT_USER, email, password_hash, role, vendor_id, confirmed)
    )
    assert user is not None
    return user


async def user(connection: asyncpg.Connection, user_id: int) -> User | None:
    return _user(await connection.fetchrow(SELECT_USER, user_id))


async def user_by_email(connection: asyncpg.Connection, email: str) -> User | None:
    return _user(await connection.fetchrow(SELECT_USER_BY_EMAIL, email))


async def users(
    connection: asyncpg.Connection, vendor_id: int | None, limit: int, offset: int
) -> list[User]:
    rows = await connection.fetch(SELECT_USERS, vendor_id, limit, offset)
    return [User(**dict(row)) for row in rows]


async def count_users(connection: asyncpg.Connection, vendor_id: int | None) -> int:
    return int(await connection.fetchval(COUNT_USERS, vendor_id))


async def set_password(connection: asyncpg.Connection, user_id: int, password_hash: str) -> User:
    changed = _user(await connection.fetchrow(UPDATE_USER_HASH, user_id, password_hash))
    assert changed is not None
    return changed


async def upgrade_hash(connection: asyncpg.Connection, user_id: int, password_hash: str) -> None:
    await connection.execute(UPDATE_HASH_ONLY, user_id, password_hash)


async def confirm_user(connection: asyncpg.Connection, user_id: int) -> User | None:
    return _user(await connection.fetchrow(CONFIRM_USER, user_id))


@dataclass(frozen=True)
class Registration:
    """What a sign-up asked for, carried by its confirmation link until the link is used."""

    password_hash: str
    company: str
    kind: str


@dataclass(frozen=True)
class EmailLink:
    user_id: int
    registration: Registration | None


async def insert_email_token(
    connection: asyncpg.Connection,
    token_hash: bytes,
    user_id: int,
    purpose: str,
    seconds: int,
    registration: Registration | None = None,
) -> None:
    await connection.execute(
        INSERT_EMAIL_LINK,
        token_hash,
        user_id,
        purpose,
        float(seconds),
        registration.password_hash if registration else None,
        registration.company if registration else None,
        registration.kind if registration else None,
    )


async def take_email_token(
    connection: asyncpg.Connection, token_hash: bytes, purpose: str
) -> EmailLink | None:
    row = await connection.fetchrow(TAKE_EMAIL_LINK, token_hash, purpose)
    if row is None:
        return None
    registration = None
    if row["password_hash"] is not None:
        registration = Registration(row["password_hash"], row["company"], row["kind"])
    return EmailLink(int(row["user_id"]), registration)


async def email_token_user(
    connection: asyncpg.Connection, token_hash: bytes, purpose: str
) -> int | None:
    """The user a valid, unused link belongs to, without using it up."""
    value = await connection.fetchval(SELECT_EMAIL_LINK_USER, token_hash, purpose)
    return int(value) if value is not None else None


async def void_email_tokens(
    connection: asyncpg.Connection, user_id: int, purposes: list[str]
) -> None:
    await connection.execute(VOID_EMAIL_LINKS, user_id, purposes)


async def claim_registration(
    connection: asyncpg.Connection, user: User, registration: Registration
) -> User:
    claimed = _user(
        await connection.fetchrow(CLAIM_REGISTRATION, user.id, registration.password_hash)
    )
    assert claimed is not None
    if user.vendor_id is not None:
        await connection.execute(
            RENAME_VENDOR, user.vendor_id, registration.company, registration.kind
        )
    return claimed


async def set_company_role(connection: asyncpg.Connection, user_id: int, role: str) -> User:
    changed = _user(await connection.fetchrow(SET_COMPANY_ROLE, user_id, role))
    assert changed is not None
    return changed


async def revoke_user_api_keys(connection: asyncpg.Connection, user_id: int) -> None:
    await connection.execute(REVOKE_USER_API_KEYS, user_id)


async def set_disabled(connection: asyncpg.Connection, user_id: int, disabled: bool) -> User | None:
    return _user(await connection.fetchrow(SET_DISABLED, user_id, disabled))


async def insert_api_key(
    connection: asyncpg.Connection, user_id: int, name: str, prefix: str, key_hash: bytes
) -> ApiKey:
    row = await connection.fetchrow(INSERT_API_KEY, user_id, name, prefix, key_hash)
    assert row is not None
    return ApiKey(**dict(row))


async def api_keys(
    connection: asyncpg.Connection,
    vendor_id: int | None,
    user_id: int | None,
    limit: int | None = None,
    offset: int = 0,
) -> list[ApiKey]:
    rows = await connection.fetch(SELECT_API_KEYS, vendor_id, user_id, limit, offset)
    return [ApiKey(**dict(row)) for row in rows]


async def count_api_keys(
    connection: asyncpg.Connection, vendor_id: int | None, user_id: int | None
) -> int:
    return int(await connection.fetchval(COUNT_API_KEYS, vendor_id, user_id))


async def api_key(connection: asyncpg.Connection, key_id: int) -> tuple[ApiKey, int | None] | None:
    row = await connection.fetchrow(SELECT_API_KEY, key_id)
    if row is None:
        return None
    values = dict(row)
    vendor_id = values.pop("vendor_id")
    return ApiKey(**values), vendor_id


async def revoke_api_key(connection: asyncpg.Connection, key_id: int) -> ApiKey:
    row = await connection.fetchrow(REVOKE_API_KEY, key_id)
    assert row is not None
    return ApiKey(**dict(row))


async def use_api_key(connection: asyncpg.Connection, key_hash: bytes) -> tuple[int, User] | None:
    row = await connection.fetchrow(USE_API_KEY, key_hash)
    if row is None:
        return None
    values = dict(row)
    key_id = int(values.pop("api_key_id"))
    return key_id, User(**values)


SELECT_LANGUAGE = "SELECT language FROM users WHERE id = $1"
UPDATE_LANGUAGE = "UPDATE users SET language = $2 WHERE id = $1"


async def user_language(connection: asyncpg.Connection, user_id: int) -> str | None:
    value = await connection.fetchval(SELECT_LANGUAGE, user_id)
    return str(value) if value is not None else None


async def set_user_language(connection: asyncpg.Connection, user_id: int, language: str) -> None:
    await connection.execute(UPDATE_LANGUAGE, user_id, language)


SELECT_PREFERENCES = "SELECT language, time_zone FROM users WHERE id = $1"
UPDATE_TIME_ZONE = "UPDATE users SET time_zone = $2 WHERE id = $1"


async def user_preferences(
    connection: asyncpg.Connection, user_id: int
) -> tuple[str | None, str | None]:
    """The user's language and time zone (None where the user has not chosen)."""
    row = await connection.fetchrow(SELECT_PREFERENCES, user_id)
    if row is None:
        return None, None
    return row["language"], row["time_zone"]


async def set_user_time_zone(connection: asyncpg.Connection, user_id: int, zone: str) -> None:
    await connection.execute(UPDATE_TIME_ZONE, user_id, zone)
