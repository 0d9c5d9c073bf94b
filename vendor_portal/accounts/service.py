"""Accounts: registration with e-mail confirmation, log-in, password reset and change, API keys,
users and companies. Handlers and the portal's pages call these; the rules live here."""

from __future__ import annotations

import hashlib
import secrets
import zoneinfo
from dataclasses import dataclass
from functools import cache
from typing import get_args

import asyncpg
import jwt

from activation_server.errors import Forbidden, InvalidRequest, RateLimited, Unauthorized
from vendor_portal.accounts import queries, sessions
from vendor_portal.accounts.passwords import Passwords
from vendor_portal.accounts.queries import ApiKey, User, Vendor
from vendor_portal.accounts.schemas import CompanyRole, Role
from vendor_portal.actor import Actor
from vendor_portal.appkeys import Portal
from vendor_portal.audit import queries as audit
from vendor_portal.errors import (
    AccountDisabled,
    AccountNotConfirmed,
    ApiKeyNotFound,
    EmailTaken,
    InvalidCredentials,
    TokenNotFound,
    UserNotFound,
    VendorNotFound,
)
from vendor_portal.mail import outbox

API_KEY_PREFIX = "ak_"
CONFIRM_SECONDS = 2 * 24 * 3600
RESET_SECONDS = 3600
ROLES: tuple[str, ...] = get_args(Role)
# Within a company: an admin adds and disables colleagues; a member does neither.
COMPANY_ROLES: tuple[str, ...] = get_args(CompanyRole)
INVITE_SECONDS = 7 * 24 * 3600


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
    # Until its link is used, a registration owns nothing: a second sign-up of the same address
    # gets a link of its own, and the one confirmed sets the account's password and company.
    registration = queries.Registration(password_hash, company, kind)
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
                    connection,
                    token_hash(link_token),
                    target.id,
                    "confirm",
                    CONFIRM_SECONDS,
                    registration,
                )
    except asyncpg.UniqueViolationError:
        # The same address registered twice at the same moment: the other request won.
        return
    async with pool.acquire() as connection:
        if existing is not None and existing.confirmed_at is not None:
            await outbox.enqueue(
                connection,
                recipient=email,
                subject="Somebody tried to register with your address",
                text="An account with this e-mail address exists already. If that was you, sign "
                f"in, or set a new password at {portal.base_url}/portal/password-forgotten.\n",
            )
            return
        link = f"{portal.base_url}/v1/auth/confirm?token={link_token}"
        await outbox.enqueue(
            connection,
            recipient=email,
            subject="Confirm your e-mail address",
            text="Welcome to the activation server's vendor portal.\n\n"
            f"Somebody registered the company {company!r} with this address. If that was you, "
            f"confirm it by opening this link (valid for 48 hours):\n{link}\n\n"
            f"Confirmation code: {link_token}\n\n"
            "If you did not register, ignore this message: nothing happens without the link. "
            "If you got several such messages, use the one of your own registration: the "
            "registration whose link is used is the one that counts.\n",
            secret=True,
        )


async def confirm(pool: asyncpg.Pool, portal: Portal, link_token: str, address: str | None) -> User:
    portal.login_limiter.check(f"confirm-code:{address}")
    async with pool.acquire() as connection, connection.transaction():
        link = await queries.take_email_token(connection, token_hash(link_token), "confirm")
        if link is not None:
            user = await queries.user(connection, link.user_id)
            assert user is not None
            if link.registration is not None:
                user = await queries.claim_registration(connection, user, link.registration)
            else:
                user = await queries.confirm_user(connection, user.id) or user
            # Whatever anyone set up before this link was used is not the owner's: other
            # registrations' links, reset links, sessions and keys all end here.
            await _end_everything(connection, user.id)
            await audit.record(
                connection,
                actor_for(user, address),
                "account.confirmed",
                vendor_id=user.vendor_id,
                subject=f"user:{user.id}",
            )
            return user
    await _count_wrong_code(pool, portal, f"confirm-code:{address}")
    raise TokenNotFound()


async def _end_everything(connection: asyncpg.Connection, user_id: int) -> None:
    await queries.void_email_tokens(connection, user_id, ["confirm", "reset"])
    await queries.revoke_user_api_keys(connection, user_id)
    await sessions.end_all(connection, user_id)


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


def _login_limits(
    portal: Portal, email: str, address: str | None, trusted_browser: bool
) -> dict[str | None, int]:
    """The counters one sign-in attempt counts on, with their limits.

    Per account from one address (the tight one), per address over all accounts (one machine
    trying many accounts), and per account over all addresses (a botnet on one password) -- the
    last skipped for a browser the account signed in from before, so that strangers can exhaust
    it without locking the owner out.
    """
    limits: dict[str | None, int] = {
        f"account-address:{email}|{address}": portal.login_limiter.limit,
        f"address:{address}": portal.address_login_limit,
    }
    if not trusted_browser:
        limits[f"account:{email}"] = portal.account_login_limit
    return limits


async def login(
    pool: asyncpg.Pool,
    portal: Portal,
    *,
    email: str,
    password: str,
    address: str | None,
    known_user_id: int | None = None,
) -> Session:
    """``known_user_id``: the user a signed cookie of this browser says signed in here before."""
    limiter = portal.login_limiter
    async with pool.acquire() as connection:
        user = await queries.user_by_email(connection, email)
        limits = _login_limits(
            portal, email, address, user is not None and user.id == known_user_id
        )
        # Counted before the password is looked at: a flood of concurrent guesses gets exactly
        # the limit's worth of answers, and a right password past it is refused like the rest.
        try:
            await limiter.attempt(connection, list(limits), limits)
        except RateLimited as exc:
            raise RateLimited(
                exc.retry_after,
                f"Too many failed sign-ins. Try again in {exc.retry_after} s, or reset the "
                "password.",
            ) from None
    verified = await portal.passwords.verify(user.password_hash if user else None, password)
    async with pool.acquire() as connection:
        if user is None or not verified:
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
        # A right password is not a failure: its count is given back.
        await limiter.refund(connection, list(limits))
        if user.confirmed_at is None:
            raise AccountNotConfirmed()
        if user.disabled_at is not None:
            raise AccountDisabled()
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
            if user.disabled_at is not None:
                raise Unauthorized("The API key's user is disabled.")
            return actor_for(user, address, key_id)
        try:
            claims = portal.tokens.decode(bearer)
        except jwt.InvalidTokenError:
            raise Unauthorized("The token is not valid or has expired: sign in again.") from None
        user_or_none = await queries.user(connection, claims.user_id)
    if (
        user_or_none is None
        or user_or_none.token_version != claims.version
        or user_or_none.disabled_at is not None
    ):
        raise Unauthorized("The token is no longer valid: sign in again.")
    return actor_for(user_or_none, address)


# --- portal sessions -----------------------------------------------------------------------


async def open_portal_session(
    pool: asyncpg.Pool, user: User, address: str | None, user_agent: str
) -> str:
    """A new server-side session; returns the token its cookie carries."""
    token = secrets.token_urlsafe(32)
    async with pool.acquire() as connection:
        await sessions.start(connection, token_hash(token), user.id, address, user_agent)
    return token


async def live_session_of(connection: asyncpg.Connection, token: str, user_id: int) -> bool:
    """Whether the session a cookie names is live and is this user's."""
    if not token:
        return False
    found = await sessions.live_session(connection, token_hash(token))
    return found is not None and found[1] == user_id


async def portal_session_id(pool: asyncpg.Pool, token: str) -> int | None:
    if not token:
        return None
    async with pool.acquire() as connection:
        found = await sessions.live_session(connection, token_hash(token))
    return found[0] if found else None


async def end_portal_session(pool: asyncpg.Pool, token: str) -> None:
    if token:
        async with pool.acquire() as connection:
            await sessions.end_by_token(connection, token_hash(token))


async def list_portal_sessions(pool: asyncpg.Pool, actor: Actor) -> list[sessions.PortalSession]:
    if actor.user_id is None:
        return []
    async with pool.acquire() as connection:
        return await sessions.of_user(connection, actor.user_id)


async def end_own_session(pool: asyncpg.Pool, actor: Actor, session_id: int) -> bool:
    """Ends one of the actor's own sessions (another's answers as absent)."""
    if actor.user_id is None:
        return False
    async with pool.acquire() as connection:
        return await sessions.end(connection, session_id, actor.user_id)


# --- passwords -----------------------------------------------------------------------------


async def request_password_reset(
    pool: asyncpg.Pool, portal: Portal, email: str, address: str | None
) -> None:
    """Mails a reset link if the address has an account; answers the same either way."""
    # Every request sends a mail: throttled per account and per address like failed sign-ins,
    # whether or not the account exists, so the limit reveals nothing either.
    async with pool.acquire() as connection:
        try:
            await portal.login_limiter.attempt(
                connection, [f"reset-address:{address}", f"reset-account:{email}"]
            )
        except RateLimited as exc:
            raise RateLimited(
                exc.retry_after,
                f"Too many password reset requests. Try again in {exc.retry_after} s.",
            ) from None
    link_token = secrets.token_urlsafe(32)
    # The mail is only queued here (the background sender delivers it), so a known address
    # answers as fast as an unknown one, with the same status and body.
    async with pool.acquire() as connection, connection.transaction():
        user = await queries.user_by_email(connection, email)
        if user is None or user.disabled_at is not None:
            return
        # A newer code voids the older ones: only the latest mail works.
        await queries.void_email_tokens(connection, user.id, ["reset"])
        await queries.insert_email_token(
            connection, token_hash(link_token), user.id, "reset", RESET_SECONDS
        )
        keys = [key for key in await queries.api_keys(connection, None, user.id) if key.live]
        await audit.record(
            connection,
            actor_for(user, address),
            "password.reset_requested",
            vendor_id=user.vendor_id,
            subject=f"user:{user.id}",
        )
        listed = "".join(f"  - {key.name} ({key.prefix}...)\n" for key in keys)
        key_note = (
            f"\nThis account has {len(keys)} API key(s) that a new password does not stop:\n"
            f"{listed}The reset page lets you revoke them along with the new password.\n"
            if keys
            else ""
        )
        await outbox.enqueue(
            connection,
            recipient=email,
            subject="Reset your password",
            text="Somebody (hopefully you) asked to reset the password of your vendor portal "
            "account.\n\n"
            f"Reset code (valid for 1 hour): {link_token}\n\n"
            f"Set a new password at {portal.base_url}/portal/password-reset?token={link_token}\n"
            f'or send {{"token", "password"}} to {portal.base_url}/v1/auth/password-reset/confirm'
            f"\n{key_note}\nIf you did not ask for this, ignore this message: your password "
            "stays as it is.\n",
            secret=True,
        )


async def reset_password(
    pool: asyncpg.Pool,
    portal: Portal,
    link_token: str,
    password: str,
    address: str | None,
    revoke_keys: list[int] | None = None,
) -> User:
    """Sets the password a reset link was sent for; ``revoke_keys``: API keys of the account to
    revoke with it (the reset page lists them)."""
    # Codes are 256 random bits, but a guesser still gets no unlimited tries.
    portal.login_limiter.check(f"reset-code:{address}")
    password_hash = await portal.passwords.hash(password)
    async with pool.acquire() as connection, connection.transaction():
        link = await queries.take_email_token(connection, token_hash(link_token), "reset")
        if link is not None:
            user = await queries.set_password(connection, link.user_id, password_hash)
            # The link came through the mailbox, so it proves the address as well.
            user = await queries.confirm_user(connection, user.id) or user
            await queries.void_email_tokens(connection, user.id, ["reset", "confirm"])
            await sessions.end_all(connection, user.id)
            for key_id in revoke_keys or []:
                found = await queries.api_key(connection, key_id)
                if found is not None and found[0].user_id == user.id:
                    await queries.revoke_api_key(connection, key_id)
            await audit.record(
                connection,
                actor_for(user, address),
                "password.reset",
                vendor_id=user.vendor_id,
                subject=f"user:{user.id}",
                details={"revoked_api_keys": sorted(revoke_keys or [])},
            )
            return user
    await _count_wrong_code(pool, portal, f"reset-code:{address}")
    raise TokenNotFound()


async def reset_link_api_keys(pool: asyncpg.Pool, link_token: str) -> list[ApiKey]:
    """The live API keys of the account a valid reset link is for (shown on the reset page);
    empty for a link that is not valid."""
    if not link_token or not link_token.isascii() or len(link_token) > 200:
        return []
    async with pool.acquire() as connection:
        user_id = await queries.email_token_user(connection, token_hash(link_token), "reset")
        if user_id is None:
            return []
        return [key for key in await queries.api_keys(connection, None, user_id) if key.live]


async def _count_wrong_code(pool: asyncpg.Pool, portal: Portal, name: str) -> None:
    """Counts a wrong one-time code before the 404 is answered (429 once past the limit)."""
    async with pool.acquire() as connection:
        await portal.login_limiter.record_failure(connection, name)


async def change_password(
    pool: asyncpg.Pool, portal: Portal, actor: Actor, current: str, new: str
) -> Session:
    if actor.user_id is None:
        raise Forbidden("Only a user can change a password.")
    # A stolen session must not become a way to guess the password: the current password's
    # tries are counted like sign-ins, before the password is looked at.
    guesses: list[str | None] = [f"password-change:{actor.user_id}"]
    async with pool.acquire() as connection:
        user = await queries.user(connection, actor.user_id)
        if user is None:
            raise Unauthorized()
        await portal.login_limiter.attempt(connection, guesses)
    if not await portal.passwords.verify(user.password_hash, current):
        raise Forbidden("The current password is wrong.")
    async with pool.acquire() as connection:
        await portal.login_limiter.refund(connection, guesses)
    password_hash = await portal.passwords.hash(new)
    async with pool.acquire() as connection, connection.transaction():
        user = await queries.set_password(connection, user.id, password_hash)
        await sessions.end_all(connection, user.id)
        await queries.void_email_tokens(connection, user.id, ["reset"])
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


def _api_keys_of(actor: Actor) -> tuple[int | None, int | None]:
    """Whose keys the actor sees (company, user): a vendor's user its company's, staff their
    own."""
    return (None, actor.user_id) if actor.is_staff else (actor.vendor_id, None)


async def list_api_keys(
    pool: asyncpg.Pool, actor: Actor, limit: int | None = None, offset: int = 0
) -> list[ApiKey]:
    async with pool.acquire() as connection:
        return await queries.api_keys(connection, *_api_keys_of(actor), limit, offset)


async def count_api_keys(pool: asyncpg.Pool, actor: Actor) -> int:
    async with pool.acquire() as connection:
        return await queries.count_api_keys(connection, *_api_keys_of(actor))


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


async def count_users(pool: asyncpg.Pool, actor: Actor) -> int:
    async with pool.acquire() as connection:
        return await queries.count_users(connection, actor.scope())


async def get_user(pool: asyncpg.Pool, actor: Actor, user_id: int) -> User:
    async with pool.acquire() as connection:
        user = await queries.user(connection, user_id)
    if user is None or not actor.may_see(user.vendor_id):
        raise UserNotFound()
    return user


# --- colleagues: a company's users, and disabling users -------------------------------------


async def _company_admin(connection: asyncpg.Connection, actor: Actor) -> User:
    """The actor as an admin of a company, or Forbidden."""
    me = await queries.user(connection, actor.user_id) if actor.user_id is not None else None
    if me is None or me.vendor_id is None or me.company_role != "admin":
        raise Forbidden("Only an admin of the company may do this.")
    return me


async def invite_colleague(
    pool: asyncpg.Pool, portal: Portal, actor: Actor, *, email: str, company_role: str
) -> User:
    """Adds a user to the actor's company and mails them a link to choose their password.

    The new user has no usable password until the link is used, so the admin never knows it.
    """
    if company_role not in COMPANY_ROLES:
        raise InvalidRequest("The field 'company_role' must be 'admin' or 'member'.")
    link_token = secrets.token_urlsafe(32)
    unusable = "!" + secrets.token_urlsafe(32)
    try:
        async with pool.acquire() as connection, connection.transaction():
            me = await _company_admin(connection, actor)
            user = await queries.insert_user(
                connection,
                email=email,
                password_hash=unusable,
                role="vendor",
                vendor_id=me.vendor_id,
                confirmed=False,
            )
            user = await queries.set_company_role(connection, user.id, company_role)
            await queries.insert_email_token(
                connection, token_hash(link_token), user.id, "reset", INVITE_SECONDS
            )
            vendor = await queries.vendor(connection, me.vendor_id or 0)
            await audit.record(
                connection,
                actor,
                "user.invited",
                vendor_id=me.vendor_id,
                subject=f"user:{user.id}",
                details={"user_email": email, "company_role": company_role},
            )
            await outbox.enqueue(
                connection,
                recipient=email,
                subject="You are invited to the vendor portal",
                text=f"{me.email} added you to {vendor.name if vendor else 'their company'} in "
                "the activation server's vendor portal.\n\n"
                "Choose your password here (the link is valid for 7 days):\n"
                f"{portal.base_url}/portal/password-reset?token={link_token}\n\n"
                f"Code: {link_token}\n",
                secret=True,
            )
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name == "users_email_key":
            raise EmailTaken() from None
        raise
    return user


async def set_user_disabled(pool: asyncpg.Pool, actor: Actor, user_id: int, disabled: bool) -> User:
    """Staff may disable anyone but themselves; a company admin, colleagues of the company.

    A disabled user's session tokens, portal sessions and API keys stop at the next request:
    every one of them is checked against the user's row.
    """
    async with pool.acquire() as connection, connection.transaction():
        target = await queries.user(connection, user_id)
        if target is None or not actor.may_see(target.vendor_id):
            raise UserNotFound()
        if not actor.is_staff:
            me = await _company_admin(connection, actor)
            if target.vendor_id != me.vendor_id:
                raise UserNotFound()
        if target.id == actor.user_id:
            raise Forbidden("You cannot disable yourself.")
        changed = await queries.set_disabled(connection, user_id, disabled)
        assert changed is not None
        if disabled:
            await sessions.end_all(connection, user_id)
        await audit.record(
            connection,
            actor,
            "user.disabled" if disabled else "user.enabled",
            vendor_id=target.vendor_id,
            subject=f"user:{user_id}",
        )
    return changed


async def list_vendors(pool: asyncpg.Pool, actor: Actor, limit: int, offset: int) -> list[Vendor]:
    async with pool.acquire() as connection:
        return await queries.vendors(connection, actor.scope(), limit, offset)


async def count_vendors(pool: asyncpg.Pool, actor: Actor) -> int:
    async with pool.acquire() as connection:
        return await queries.count_vendors(connection, actor.scope())


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
