"""Licensee self-service: an end user signs in with the serial and a code mailed to the address
the vendor recorded for it, or with the license file, sees the serial's machines and frees one
within the serial's transfer budget.

Nothing here tells a stranger whether a serial exists or has an address: a code request answers
the same for every well-formed serial (the mail goes out only when there is somebody to send it
to), and a wrong code answers the same as an unknown serial. The counters of the failed-attempt
limiter throttle code requests and guesses per serial and per client address.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from uuid import UUID

import asyncpg

from activation_server.activations.service import ActivationService, Deactivation, free
from activation_server.errors import ActivationNotFound, RateLimited, SerialNotFound
from vendor_portal.accounts.service import token_hash
from vendor_portal.actor import Actor
from vendor_portal.appkeys import Portal
from vendor_portal.audit import queries as audit
from vendor_portal.errors import LicenseNotAccepted, SelfServiceOff, SignInCodeInvalid
from vendor_portal.licensee import queries
from vendor_portal.licensee.queries import Budget, LicenseeSerial
from vendor_portal.mail import outbox
from vendor_portal.pages import i18n
from vendor_portal.serials.codec import MalformedSerial, canonicalize
from vendor_portal.serials.queries import MachineRow

CODE_DIGITS = 8
CODE_SECONDS = 10 * 60
# Wrong tries a code survives; with 10**8 codes the chance of guessing one is nil.
MAX_WRONG_TRIES = 5
SESSION_SECONDS = 60 * 60
# Code requests (each sends a mail) per serial and per client address, within the limiter's
# window; counted whether or not the serial exists, so the limit tells nothing either.
CODE_REQUESTS_PER_SERIAL = 5
CODE_REQUESTS_PER_ADDRESS = 20
# Sign-in attempts (a code or a license file) per client address and per serial.
SIGN_INS_PER_ADDRESS = 20
SIGN_INS_PER_SERIAL = 10
# A license file as the SDK writes it is a few KiB.
MAX_LICENSE_TEXT = 64 * 1024


def _code_hash(serial: str, code: str) -> bytes:
    # Bound to the serial: a code is worth nothing for another one.
    return hashlib.sha256(f"{serial}:{code}".encode()).digest()


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def canonical_serial(text: str) -> str | None:
    try:
        return canonicalize(text[:100])
    except MalformedSerial:
        return None


async def _count(
    pool: asyncpg.Pool, portal: Portal, limits: dict[str | None, int], message: str
) -> None:
    async with pool.acquire() as connection:
        try:
            await portal.login_limiter.attempt(connection, list(limits), limits)
        except RateLimited as exc:
            raise RateLimited(exc.retry_after, message.format(seconds=exc.retry_after)) from None


def _licensee(found: LicenseeSerial, address: str | None) -> Actor:
    """How the audit log names a licensee: by the serial, the one thing they proved."""
    return Actor(None, f"licensee:{found.serial}", "licensee", found.vendor_id, address)


# --- what the vendor sets -----------------------------------------------------------------------


async def _vendor_serial(
    connection: asyncpg.Connection, actor: Actor, serial: str
) -> LicenseeSerial:
    found = await queries.serial(connection, serial)
    if found is None or not actor.may_see(found.vendor_id):
        raise SerialNotFound()
    return found


async def recorded_email(pool: asyncpg.Pool, actor: Actor, serial: str) -> str | None:
    async with pool.acquire() as connection:
        return (await _vendor_serial(connection, actor, serial)).email


async def record_email(pool: asyncpg.Pool, actor: Actor, serial: str, email: str | None) -> None:
    """Records (or, with None, forgets) the end user's address of a serial."""
    async with pool.acquire() as connection, connection.transaction():
        found = await _vendor_serial(connection, actor, serial)
        if found.email == email:
            return
        await queries.set_email(connection, serial, email)
        await audit.record(
            connection,
            actor,
            "serial.licensee_email_set" if email else "serial.licensee_email_removed",
            vendor_id=found.vendor_id,
            subject=f"serial:{serial}",
        )


# --- signing in ---------------------------------------------------------------------------------


async def request_code(
    pool: asyncpg.Pool, portal: Portal, serial: str, address: str | None
) -> None:
    """Mails a sign-in code to the serial's recorded address; answers the same whether or not
    the serial exists or has one. ``serial`` is canonical."""
    await _count(
        pool,
        portal,
        {
            f"licensee-code-serial:{serial}": CODE_REQUESTS_PER_SERIAL,
            f"licensee-code-address:{address}": CODE_REQUESTS_PER_ADDRESS,
        },
        "Too many code requests. Try again in {seconds} s.",
    )
    code = new_code()
    async with pool.acquire() as connection, connection.transaction():
        found = await queries.serial(connection, serial)
        if found is None or found.email is None:
            return
        if not found.self_service:
            # The owner of the address learns why no code comes; a stranger learns nothing.
            await outbox.enqueue(
                connection,
                recipient=found.email,
                subject=i18n.gettext("Self-service for %(serial)s", serial=serial),
                text=i18n.gettext(
                    "Somebody (hopefully you) asked to sign in to the self-service pages with "
                    "the serial number %(serial)s (%(product)s).\n\nThe vendor of this program "
                    "does not offer self-service for it: to free a machine, write to the "
                    "vendor.\n",
                    serial=serial,
                    product=found.product_name,
                ),
                language=i18n.current_language(),
            )
            return
        await queries.new_code(connection, serial, _code_hash(serial, code), CODE_SECONDS)
        await audit.record(
            connection,
            _licensee(found, address),
            "licensee.code_sent",
            vendor_id=found.vendor_id,
            subject=f"serial:{serial}",
        )
        await outbox.enqueue(
            connection,
            recipient=found.email,
            # The subject is logged and kept after the body is blanked: no code in it.
            subject=i18n.gettext("Your sign-in code for %(serial)s", serial=serial),
            text=i18n.gettext(
                "Somebody (hopefully you) asked to sign in to the self-service pages with the "
                "serial number %(serial)s (%(product)s).\n\nSign-in code (valid for %(minutes)s "
                "minutes, once): %(code)s\n\nEnter it at %(link)s\n\nIf you did not ask for "
                "this, ignore this message: without the code nobody signs in.\n",
                serial=serial,
                product=found.product_name,
                minutes=CODE_SECONDS // 60,
                code=code,
                link=f"{portal.base_url}/portal/licensee/sign-in",
            ),
            language=i18n.current_language(),
            secret=True,
        )


async def _open_session(
    connection: asyncpg.Connection, found: LicenseeSerial, via: str, address: str | None
) -> str:
    token = secrets.token_urlsafe(32)
    await queries.start_session(
        connection, token_hash(token), found.serial, via, SESSION_SECONDS, address
    )
    await audit.record(
        connection,
        _licensee(found, address),
        "licensee.signed_in",
        vendor_id=found.vendor_id,
        subject=f"serial:{found.serial}",
        details={"via": via},
    )
    return token


def _sign_in_limits(serial: str | None, address: str | None) -> dict[str | None, int]:
    limits: dict[str | None, int] = {f"licensee-sign-in-address:{address}": SIGN_INS_PER_ADDRESS}
    if serial is not None:
        limits[f"licensee-sign-in-serial:{serial}"] = SIGN_INS_PER_SERIAL
    return limits


_TOO_MANY_SIGN_INS = "Too many failed sign-ins. Try again in {seconds} s."


async def sign_in_with_code(
    pool: asyncpg.Pool, portal: Portal, serial_text: str, code: str, address: str | None
) -> str:
    """A session token for the serial whose latest code this is; SignInCodeInvalid alike for
    a wrong, expired or used code and for an unknown serial."""
    serial = canonical_serial(serial_text)
    limits = _sign_in_limits(serial, address)
    # Counted before the code is looked at, and given back when it is right (as a password).
    await _count(pool, portal, limits, _TOO_MANY_SIGN_INS)
    if serial is None or not code.isascii() or not code.isdigit() or len(code) != CODE_DIGITS:
        raise SignInCodeInvalid()
    async with pool.acquire() as connection:
        async with connection.transaction():
            live = await queries.live_code(connection, serial, MAX_WRONG_TRIES)
            if live is None:
                raise SignInCodeInvalid()
            code_id, stored = live
            if not hmac.compare_digest(stored, _code_hash(serial, code)):
                await queries.count_wrong_try(connection, code_id)
                right = False
            else:
                await queries.use_code(connection, code_id)
                right = True
        if not right:
            raise SignInCodeInvalid()
        await portal.login_limiter.refund(connection, list(limits))
        async with connection.transaction():
            found = await queries.serial(connection, serial)
            assert found is not None
            if not found.self_service:
                raise SelfServiceOff()
            return await _open_session(connection, found, "code", address)


def license_token(text: str) -> str | None:
    """The license in what a person presents: the SDK's license file (JSON holding it) or the
    license itself (the JWT)."""
    text = text.strip().lstrip("\ufeff")
    if text.startswith("{"):
        try:
            document = json.loads(text)
        except ValueError:
            return None
        found = document.get("license") if isinstance(document, dict) else None
        return found.strip() if isinstance(found, str) else None
    return text if text.count(".") == 2 and text.isascii() and " " not in text else None


async def sign_in_with_license(
    pool: asyncpg.Pool,
    portal: Portal,
    activations: ActivationService,
    text: str,
    address: str | None,
) -> str:
    """A session token for the serial of a current license (signed by its vendor's key, its
    machine still activated, the serial neither blocked nor past its term)."""
    limits = _sign_in_limits(None, address)
    await _count(pool, portal, limits, _TOO_MANY_SIGN_INS)
    token = license_token(text[:MAX_LICENSE_TEXT])
    if token is None:
        raise LicenseNotAccepted()
    verdict = await activations.validate_license(token)
    if not verdict.valid or verdict.state is None:
        raise LicenseNotAccepted()
    async with pool.acquire() as connection:
        await portal.login_limiter.refund(connection, list(limits))
        async with connection.transaction():
            found = await queries.serial(connection, verdict.state.serial)
            if found is None:
                raise LicenseNotAccepted()
            if not found.self_service:
                raise SelfServiceOff()
            return await _open_session(connection, found, "license", address)


async def signed_in_serial(pool: asyncpg.Pool, token: str | None) -> LicenseeSerial | None:
    """The serial a licensee's session is for, or None without a live session. SelfServiceOff
    once the vendor turned self-service off for the product."""
    if not token or len(token) > 128:
        return None
    async with pool.acquire() as connection:
        session = await queries.session(connection, token_hash(token))
        if session is None:
            return None
        found = await queries.serial(connection, session.serial)
    if found is None:
        return None
    if not found.self_service:
        raise SelfServiceOff()
    return found


async def sign_out(pool: asyncpg.Pool, token: str | None) -> None:
    if token and len(token) <= 128:
        async with pool.acquire() as connection:
            await queries.end_session(connection, token_hash(token))


# --- the signed-in licensee's machines ----------------------------------------------------------


@dataclass(frozen=True)
class Overview:
    serial: LicenseeSerial
    machines: list[MachineRow]
    budget: Budget


async def overview(pool: asyncpg.Pool, found: LicenseeSerial) -> Overview:
    async with pool.acquire() as connection:
        return Overview(
            found,
            await queries.machines(connection, found.serial),
            await queries.budget(connection, found.serial),
        )


async def release(
    pool: asyncpg.Pool, found: LicenseeSerial, activation_id: UUID, address: str | None
) -> Deactivation:
    """Frees one machine of the signed-in serial, by the same rule and in the same transaction as
    a deactivation or the vendor's release (TransferLimitReached over the budget). Another
    serial's machine is ActivationNotFound, as if it did not exist."""
    async with pool.acquire() as connection:
        owner = await queries.activation_serial(connection, activation_id)
    if owner != found.serial:
        raise ActivationNotFound("No such activation.")
    return await free(
        pool, activation_id, address=address, by="licensee", actor=f"licensee:{found.serial}"
    )
