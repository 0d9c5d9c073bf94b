"""Accounts: registration with e-mail confirmation, log-in, password reset and change, API keys,
users and companies. Handlers and the portal's pages call these; the rules live here."""

from __future__ import annotations

import hashlib
import secrets
import zoneinfo
from dataclasses import dataclass
from functools import cache

import asyncpg
import jwt

from activation_server.errors import Forbidden, InvalidRequest, RateLimited, Unauthorized
from vendor_portal.accounts import queries
from vendor_portal.accounts.passwords import Passwords
from vendor_portal.accounts.queries import ApiKey, User, Vendor
from vendor_portal.actor import Actor
from vendor_portal.appkeys import Portal
from vendor_portal.audit import queries as audit
from vendor_portal.errors import (
    AccountNotConfirmed,
    ApiKeyNotFound,
    EmailTaken,
    InvalidCredentials,
    TokenNotFound,
    UserNotFound,
    VendorNotFound,
)

API_KEY_PREFIX = "ak_"
CONFIRM_SECONDS = 2 * 24 * 3600
RESET_SECONDS = 3600
VENDOR_KINDS = ("legal_entity", "individual")
ROLES = ("vendor", "staff")


def token_hash(token: str) -> bytes:
    """Link tokens and API keys carry 256 random bits, so a fast hash is enough to store them:
    nobody can guess their way back from it (unlike a person's password)."""
    return hashlib.sha256(token.encode()).digest()


def actor_for(user: User, address: str | None, api_key_id: int | None = None) -> Actor:
    return Actor(
        user_id=user.id,
        email=user.email,
        role=user.role,
        vendor_id=user.vendor_id,
        address=address,
        api_key_id=api_key_id,
    )


# --- registration and confirmation ---------------------------------------------------------


async def register(
    pool: asyncpg.Pool,
    portal: Portal,
    *,
    email: str,
    password: str,
    company: str,
    kind: str,
    address: str | None,
    time_zone: str | None = None,
) -> None:
    """Creates an unconfirmed vendor account and mails the confirmation link.

    The answer is the same whether or not the address has an account (its owner is told by
    e-mail instead), so that registration does not reveal who is a customer.
    """
    password_hash = await portal.passwords.hash(password)
    link_token = secrets.token_urlsafe(32)
    try:
        async with pool.acquire() as connection, connection.transaction():
            existing = await queries.user_by_email(connection, email)
            if existing is None:
                vendor = await queries.insert_vendor(connection, company, kind)
                user = await queries.insert_user(
                    connection,
                    email=email,
                    password_hash=password_hash,
                    role="vendor",
                    vendor_id=vendor.id,
                    confirmed=False,
                )
                if time_zone is not None:
                    await queries.set_user_time_zone(
                        connection, user.id, check_time_zone(time_zone)
                    )
                await audit.record(
                    connection,
                    actor_for(user, address),
                    "account.registered",
                    vendor_id=vendor.id,
                    subject=f"user:{user.id}",
                    details={"company": company, "kind": kind},
                )
            if existing is None or existing.confirmed_at is None:
                target = existing or user
                await queries.insert_email_token(
                    connection, token_hash(link_token), target.id, "confirm", CONFIRM_SECONDS
                )
    except asyncpg.UniqueViolationError:
        # The same address registered twice at the same moment: the other request won.
        return
    if existing is not None and existing.confirmed_at is not None:
        await portal.mailer.send(
            pool,
            email,
            "Somebody tried to register with your address",
            "An account with this e-mail address exists already. If that was you, sign in, "
            f"or set a new password at {portal.base_url}/portal/password-forgotten.\n",
        )
        return
    link = f"{portal.base_url}/v1/auth/confirm?token={link_token}"
    await portal.mailer.send(
        pool,
        email,
        "Confirm your e-mail address",
        "Welcome to the activation server's vendor portal.\n\n"
        f"Confirm your e-mail address by opening this link (valid for 48 hours):\n{link}\n\n"
        f"Confirmation code: {link_token}\n",
    )


async def confirm(pool: asyncpg.Pool, link_token: str, address: str | None) -> User:
    async with pool.acquire() as connection, connection.transaction():
        user_id = await queries.take_email_token(connection, token_hash(link_token), "confirm")
        if user_id is None:
            raise TokenNotFound()
        user = await queries.confirm_user(connection, user_id)
        assert user is not None
        await audit.record(
            connection,
            actor_for(user, address),
            "account.confirmed",
            vendor_id=user.vendor_id,
            subject=f"user:{user.id}",
        )
    return user


# --- log-in and sessions -------------------------------------------------------------------


@dataclass(frozen=True)
class Session:
    access_token: str
    expires_in: int
    user: User

    def to_json(self) -> dict[str, object]:
        return {
            "access_token": self.access_token,
            "token_type": "bearer",
            "expires_in": self.expires_in,
        }


def _limiter_keys(email: str, address: str | None) -> list[str]:
    # Per address (one machine guessing many accounts) and per account (many machines guessing
    # one account's password).
    keys = [f"account:{email}"]
    if address is not None:
        keys.append(f"address:{address}")
    return keys


async def login(
    pool: asyncpg.Pool, portal: Portal, *, email: str, password: str, address: str | None
) -> Session:
    limiter = portal.login_limiter
    keys = _limiter_keys(email, address)
    async with pool.acquire() as connection:
        try:
            for key in keys:
                await limiter.check_shared(connection, key)
        except RateLimited as exc:
            raise RateLimited(
                exc.retry_after,
                f"Too many failed sign-ins. Try again in {exc.retry_after} s, or reset the "
                "password.",
            ) from None
        user = await queries.user_by_email(connection, email)
    verified = await portal.passwords.verify(user.password_hash if user else None, password)
    async with pool.acquire() as connection:
        if user is None or not verified:
            for key in keys:
                await limiter.record_failure(connection, key)
            anonymous = Actor(
                user_id=user.id if user else None,
                email=email,
                role=user.role if user else "anonymous",
                vendor_id=user.vendor_id if user else None,
                address=address,
            )
            await audit.record(
                connection,
                anonymous,
                "login.failed",
                vendor_id=user.vendor_id if user else None,
                subject=f"user:{user.id}" if user else None,
            )
            raise InvalidCredentials()
        if user.confirmed_at is None:
            raise AccountNotConfirmed()
        if portal.passwords.needs_rehash(user.password_hash):
            await queries.upgrade_hash(connection, user.id, await portal.passwords.hash(password))
        await audit.record(
            connection,
            actor_for(user, address),
            "login",
            vendor_id=user.vendor_id,
            subject=f"user:{user.id}",
        )
    return _session(portal, user)


def _session(portal: Portal, user: User) -> Session:
    token = portal.tokens.issue(user.id, user.role, user.vendor_id, user.token_version)
    return Session(token, portal.tokens.lifetime_seconds, user)


async def authenticate(
    pool: asyncpg.Pool, portal: Portal, bearer: str, address: str | None
) -> Actor:
    """The actor behind a bearer token: a session JWT or an API key."""

    async with pool.acquire() as connection:
        if bearer.startswith(API_KEY_PREFIX):
            found = await queries.use_api_key(connection, token_hash(bearer))
            if found is None:
                raise Unauthorized("The API key is not valid or was revoked.")
            key_id, user = found
            return actor_for(user, address, key_id)
        try:
            claims = portal.tokens.decode(bearer)
        except jwt.InvalidTokenError:
            raise Unauthorized("The token is not valid or has expired: sign in again.") from None
        user_or_none = await queries.user(connection, claims.user_id)
    if user_or_none is None or user_or_none.token_version != claims.version:
        raise Unauthorized("The token is no longer valid: sign in again.")
    return actor_for(user_or_none, address)


# --- passwords -----------------------------------------------------------------------------


async def _count_attempt(
    connection: asyncpg.Connection, portal: Portal, keys: list[str], message: str
) -> None:
    """Refuses with 429 once any of ``keys`` is over the limit; otherwise counts this attempt."""
    limiter = portal.login_limiter
    try:
        for key in keys:
            await limiter.check_shared(connection, key)
    except RateLimited as exc:
        raise RateLimited(exc.retry_after, message.format(exc.retry_after)) from None
    for key in keys:
        await limiter.record_failure(connection, key)


async def request_password_reset(
    pool: asyncpg.Pool, portal: Portal, email: str, address: str | None
) -> None:
    """Mails a reset link if the address has an account; answers the same either way."""
    # Every request sends a mail: throttled per account and per address like failed sign-ins,
    # whether or not the account exists, so the limit reveals nothing either.
    async with pool.acquire() as connection:
        await _count_attempt(
            connection,
            portal,
            [f"reset:{key}" for key in _limiter_keys(email, address)],
            "Too many password reset requests. Try again in {} s.",
        )
    link_token = secrets.token_urlsafe(32)
    async with pool.acquire() as connection, connection.transaction():
        user = await queries.user_by_email(connection, email)
        if user is None:
            return
        await queries.insert_email_token(
            connection, token_hash(link_token), user.id, "reset", RESET_SECONDS
        )
        await audit.record(
            connection,
            actor_for(user, address),
            "password.reset_requested",
            vendor_id=user.vendor_id,
            subject=f"user:{user.id}",
        )
    await portal.mailer.send(
        pool,
        email,
        "Reset your password",
        "Somebody (hopefully you) asked to reset the password of your vendor portal account.\n\n"
        f"Reset code (valid for 1 hour): {link_token}\n\n"
        f"Set a new password at {portal.base_url}/portal/password-reset?token={link_token}\n"
        f'or send {{"token", "password"}} to {portal.base_url}/v1/auth/password-reset/confirm'
        "\n\nIf you did not ask for this, ignore this message: your password stays as it is.\n",
    )


async def reset_password(
    pool: asyncpg.Pool, portal: Portal, link_token: str, password: str, address: str | None
) -> User:
    # Codes are 256 random bits, but a guesser still gets no unlimited tries.
    guesses = f"reset-code:address:{address}"
    if address is not None:
        async with pool.acquire() as connection:
            await portal.login_limiter.check_shared(connection, guesses)
    password_hash = await portal.passwords.hash(password)
    try:
        return await _reset_password(pool, link_token, password_hash, address)
    except TokenNotFound:
        if address is not None:
            async with pool.acquire() as connection:
                await portal.login_limiter.record_failure(connection, guesses)
        raise


async def _reset_password(
    pool: asyncpg.Pool, link_token: str, password_hash: str, address: str | None
) -> User:
    async with pool.acquire() as connection, connection.transaction():
        user_id = await queries.take_email_token(connection, token_hash(link_token), "reset")
        if user_id is None:
            raise TokenNotFound()
        user = await queries.set_password(connection, user_id, password_hash)
        # The link came through the mailbox, so it proves the address as well.
        user = await queries.confirm_user(connection, user_id) or user
        await audit.record(
            connection,
            actor_for(user, address),
            "password.reset",
            vendor_id=user.vendor_id,
            subject=f"user:{user.id}",
        )
    return user


async def change_password(
    pool: asyncpg.Pool, portal: Portal, actor: Actor, current: str, new: str
) -> Session:
    if actor.user_id is None:
        raise Forbidden("Only a user can change a password.")
    async with pool.acquire() as connection:
        user = await queries.user(connection, actor.user_id)
    if user is None:
        raise Unauthorized()
    if not await portal.passwords.verify(user.password_hash, current):
        raise Forbidden("The current password is wrong.")
    password_hash = await portal.passwords.hash(new)
    async with pool.acquire() as connection, connection.transaction():
        user = await queries.set_password(connection, user.id, password_hash)
        await audit.record(
            connection,
            actor,
            "password.changed",
            vendor_id=user.vendor_id,
            subject=f"user:{user.id}",
        )
    # Tokens issued before the change stop working; the caller gets a fresh one.
    return _session(portal, user)


# --- API keys ------------------------------------------------------------------------------


async def create_api_key(pool: asyncpg.Pool, actor: Actor, name: str) -> tuple[ApiKey, str]:
    """A new key for the actor's user; the secret is returned here once and never stored."""
    if actor.user_id is None:
        raise Forbidden("Only a user can own an API key.")
    secret = API_KEY_PREFIX + secrets.token_urlsafe(32)
    async with pool.acquire() as connection, connection.transaction():
        key = await queries.insert_api_key(
            connection, actor.user_id, name, secret[:10], token_hash(secret)
        )
        await audit.record(
            connection,
            actor,
            "api_key.created",
            vendor_id=actor.vendor_id,
            subject=f"api_key:{key.id}",
            details={"name": name},
        )
    return key, secret


async def list_api_keys(pool: asyncpg.Pool, actor: Actor) -> list[ApiKey]:
    async with pool.acquire() as connection:
        if actor.is_staff:
            return await queries.api_keys(connection, None, actor.user_id)
        return await queries.api_keys(connection, actor.vendor_id, None)


async def revoke_api_key(pool: asyncpg.Pool, actor: Actor, key_id: int) -> ApiKey:
    async with pool.acquire() as connection, connection.transaction():
        found = await queries.api_key(connection, key_id)
        if found is None:
            raise ApiKeyNotFound()
        key, vendor_id = found
        mine = key.user_id == actor.user_id
        if not (mine or actor.is_staff or (vendor_id is not None and vendor_id == actor.vendor_id)):
            raise ApiKeyNotFound()
        key = await queries.revoke_api_key(connection, key_id)
        await audit.record(
            connection,
            actor,
            "api_key.revoked",
            vendor_id=vendor_id,
            subject=f"api_key:{key.id}",
        )
    return key


# --- users and companies -------------------------------------------------------------------


async def create_user(
    pool: asyncpg.Pool,
    passwords: Passwords,
    actor: Actor,
    *,
    email: str,
    password: str,
    role: str,
    company: str | None = None,
    vendor_id: int | None = None,
    kind: str = "legal_entity",
) -> User:
    """A confirmed user, created by staff, the command line or a vendor for its own company.

    A vendor user joins the company named ``company`` (created when no company has that name)
    or the one with ``vendor_id``.
    """
    if not actor.is_staff:
        if role != "vendor" or company is not None:
            raise Forbidden("A vendor may only add users to its own company.")
        vendor_id = actor.vendor_id
    if role == "staff" and (company is not None or vendor_id is not None):
        raise InvalidRequest("Staff users belong to no company.")
    password_hash = await passwords.hash(password)
    try:
        async with pool.acquire() as connection, connection.transaction():
            if role == "vendor":
                if vendor_id is not None:
                    vendor = await queries.vendor(connection, vendor_id)
                    if vendor is None:
                        raise VendorNotFound()
                else:
                    if not company:
                        raise InvalidRequest("A vendor user needs a company (name or id).")
                    vendor = await queries.vendor_by_name(connection, company)
                    if vendor is None:
                        vendor = await queries.insert_vendor(connection, company, kind)
                vendor_id = vendor.id
            user = await queries.insert_user(
                connection,
                email=email,
                password_hash=password_hash,
                role=role,
                vendor_id=vendor_id,
                confirmed=True,
            )
            await audit.record(
                connection,
                actor,
                "user.created",
                vendor_id=vendor_id,
                subject=f"user:{user.id}",
                details={"role": role, "user_email": email},
            )
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name == "users_email_key":
            raise EmailTaken() from None
        raise
    return user


async def list_users(pool: asyncpg.Pool, actor: Actor, limit: int, offset: int) -> list[User]:
    async with pool.acquire() as connection:
        return await queries.users(connection, actor.scope(), limit, offset)


async def get_user(pool: asyncpg.Pool, actor: Actor, user_id: int) -> User:
    async with pool.acquire() as connection:
        user = await queries.user(connection, user_id)
    if user is None or not actor.may_see(user.vendor_id):
        raise UserNotFound()
    return user


async def list_vendors(pool: asyncpg.Pool, actor: Actor, limit: int, offset: int) -> list[Vendor]:
    async with pool.acquire() as connection:
        return await queries.vendors(connection, actor.scope(), limit, offset)


async def get_vendor(pool: asyncpg.Pool, actor: Actor, vendor_id: int) -> Vendor:
    if not actor.may_see(vendor_id):
        raise VendorNotFound()
    async with pool.acquire() as connection:
        vendor = await queries.vendor(connection, vendor_id)
    if vendor is None:
        raise VendorNotFound()
    return vendor


async def set_discount(pool: asyncpg.Pool, actor: Actor, vendor_id: int, percent: int) -> Vendor:
    actor.require_staff()
    async with pool.acquire() as connection, connection.transaction():
        before = await queries.vendor(connection, vendor_id)
        vendor = await queries.set_discount(connection, vendor_id, percent)
        if vendor is None or before is None:
            raise VendorNotFound()
        await audit.record(
            connection,
            actor,
            "vendor.discount_set",
            vendor_id=vendor_id,
            subject=f"vendor:{vendor_id}",
            details={"from": before.discount_percent, "to": percent},
        )
    return vendor


# --- preferences ---------------------------------------------------------------------------


async def set_language(pool: asyncpg.Pool, actor: Actor, language: str) -> None:
    """The language the user reads the portal in, kept with the account so that it follows
    the user from one browser to another."""
    if actor.user_id is None:
        raise Forbidden("Only a user has a language.")
    if len(language) != 2 or not language.isalpha() or not language.islower():
        raise InvalidRequest("A language is a two-letter code such as 'en' or 'ru'.")
    async with pool.acquire() as connection:
        await queries.set_user_language(connection, actor.user_id, language)


def check_time_zone(zone: str) -> str:
    """An IANA time zone name the server knows (Europe/Moscow, UTC)."""
    if not 1 <= len(zone) <= 64 or zone not in available_time_zones():
        raise InvalidRequest("A time zone is an IANA name such as 'Europe/Moscow' or 'UTC'.")
    return zone


@cache
def available_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) | {"UTC"}


async def set_time_zone(pool: asyncpg.Pool, actor: Actor, zone: str) -> None:
    """The time zone the portal shows the user's times in."""
    if actor.user_id is None:
        raise Forbidden("Only a user has a time zone.")
    async with pool.acquire() as connection:
        await queries.set_user_time_zone(connection, actor.user_id, check_time_zone(zone))
