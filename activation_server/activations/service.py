"""Activation, validation and deactivation: the rules of the activation API.

The handlers parse and shape; :class:`ActivationService` decides. One service object per
application (made in its ``cleanup_ctx``, under ``ACTIVATIONS``) holds everything the rules need:
the pool, the signing keyring, the failed-attempt limiter and the batchers that coalesce
concurrent statements. The JSON API and the vendor portal's offline activation page call the
same :meth:`ActivationService.activate`, failed-attempt limit included.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

import asyncpg
import jwt

from activation_server.activations import binding, queries
from activation_server.activations.batching import (
    ActivationBatcher,
    ActivationStates,
    MachineStates,
)
from activation_server.activations.requests import ActivationRequest, parse_activation_id
from activation_server.errors import (
    ActivationLimitReached,
    ActivationNotFound,
    ApiError,
    DeactivationNotAllowed,
    FeaturesNotLicensed,
    LicenseInvalid,
    ProductMismatch,
    SerialBlocked,
    SerialExpired,
    SerialNotFound,
    ServiceUnavailable,
    TransferLimitReached,
)
from activation_server.keys.keyring import Keyring, Signer, UnknownKey
from activation_server.ratelimit.limiter import FailureLimiter

T = TypeVar("T")

# Attempts of one activation when a concurrent request changed the serial under it (the same
# machine activating twice at once, a deactivation racing an activation). Each retry takes a
# fresh snapshot and sees the other request's outcome, so two attempts almost always suffice.
_ATTEMPTS = 8
_RETRYABLE = (
    asyncpg.exceptions.UniqueViolationError,
    asyncpg.exceptions.DeadlockDetectedError,
    asyncpg.exceptions.SerializationError,
)


@dataclass(slots=True)
class Activation:
    """The activation object of the wire contract, and whether a slot was taken for it."""

    activation_id: uuid.UUID
    serial: str
    product: str
    trial: bool
    features: list[str]
    used: int
    limit: int
    created_at: datetime
    expires_at: datetime | None
    license: str
    created: bool
    lease: str | None = None
    updates_until: datetime | None = None
    # The hardware components that changed when this machine's activation moved to it (tolerant
    # binding); None when it did not move.
    changed_components: list[str] | None = None

    def to_json(self) -> dict[str, Any]:
        body = {
            "activation_id": str(self.activation_id),
            "serial": self.serial,
            "product": self.product,
            "type": "trial" if self.trial else "full",
            "features": self.features,
            "activations": {"used": self.used, "limit": self.limit},
            "expires_at": iso(self.expires_at),
            "updates_until": iso(self.updates_until),
            "license": self.license,
        }
        if self.lease is not None:
            body["lease"] = self.lease
        if self.changed_components is not None:
            body["changed_components"] = self.changed_components
        return body


def time_ordered_uuid() -> uuid.UUID:
    """A version 7 UUID (RFC 9562): the millisecond Unix time, then 74 random bits.

    New activations get increasing ids, so their primary-key entries go to the right-hand end of
    the index instead of a random page of it: fewer pages dirtied per batch and fewer full-page
    images in the WAL (a tenth less database time per cold activation, measured with the batch
    statement alone). The id shows when the machine activated, as the license's ``iat`` does.
    """
    random_bits = int.from_bytes(os.urandom(10))
    return uuid.UUID(
        int=(time.time_ns() // 1_000_000) << 80
        | 0x7 << 76  # version
        | (random_bits >> 68) << 64  # 12 random bits
        | 0b10 << 62  # variant
        | random_bits & _RANDOM_62
    )


_RANDOM_62 = (1 << 62) - 1


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def license_claims(
    *,
    issuer: str,
    serial: str,
    product: str,
    fingerprint: str,
    activation_id: uuid.UUID,
    trial: bool,
    features: list[str],
    created_at: datetime,
    expires_at: datetime | None,
    check_in_days: int = 0,
    grace_days: int = 0,
    updates_until: datetime | None = None,
) -> dict[str, Any]:
    """The license's claims: a pure function of the activation and its serial's terms, so
    re-issuing gives the same until the serial's term or subscription changes.

    A term license's end is its ``exp``, as a trial's is (the earlier of the two); an update
    subscription is ``upd``: the latest release date this license runs. A product that requires
    check-ins says so in its licenses (``lease``), signed, so that no application can be talked
    out of asking for a lease."""
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": serial,
        "aud": product,
        "fp": fingerprint,
        "aid": str(activation_id),
        "typ": "trial" if trial else "full",
        "feat": list(features),
        "iat": int(created_at.timestamp()),
    }
    if expires_at is not None:
        claims["exp"] = int(expires_at.timestamp())
    if check_in_days > 0:
        claims["lease"] = {"check_in_days": check_in_days, "grace_days": grace_days}
    if updates_until is not None:
        claims["upd"] = int(updates_until.timestamp())
    return claims


DAY_SECONDS = 86400
LICENSE_TYPES = ("full", "trial")


def lease_claims(
    license: dict[str, Any], *, features: list[str], check_in_days: int, grace_days: int, now: float
) -> dict[str, Any]:
    """A lease for the activation of these license claims: good until the next check-in is due
    (``due``) plus the grace period (``exp``)."""
    issued = int(now)
    return {
        **_binding(license),
        "typ": "lease",
        "feat": list(features),
        "iat": issued,
        "due": issued + check_in_days * DAY_SECONDS,
        "exp": issued + (check_in_days + grace_days) * DAY_SECONDS,
    }


def refusal_claims(license: dict[str, Any], code: str, now: float) -> dict[str, Any]:
    """The service's signed "no" for the activation of these license claims: an application
    keeps it and refuses to start, and no unsigned mark can stand in for it."""
    return {**_binding(license), "typ": "refusal", "code": code, "iat": int(now)}


def _binding(license: dict[str, Any]) -> dict[str, Any]:
    """The claims that tie a lease or a refusal to one activation on one machine."""
    return {name: license[name] for name in ("iss", "sub", "aud", "fp", "aid") if name in license}


def earliest(*moments: datetime | None) -> datetime | None:
    """The earliest of the moments given, None when none is."""
    known = [moment for moment in moments if moment is not None]
    return min(known) if known else None


def _refusal(outcome: queries.ActivateOutcome, request: ActivationRequest) -> ApiError | None:
    """The error of the statement's refusal (:data:`queries.REFUSAL`), in the request's words."""
    code = outcome.refusal
    if code is None:
        return None
    if code == ProductMismatch.code:
        return ProductMismatch(
            f"This serial number is for another product than '{request.product}'."
        )
    if code == FeaturesNotLicensed.code:
        return FeaturesNotLicensed(set(request.features or ()) - set(outcome.licensed))
    return _REFUSALS[code]()


_REFUSALS: dict[str, type[ApiError]] = {
    error.code: error for error in (SerialBlocked, SerialExpired)
}


def _activation(
    signer: Signer,
    issuer: str,
    request: ActivationRequest,
    outcome: queries.ActivateOutcome,
    *,
    activation_id: uuid.UUID,
    created_at: datetime,
    expires_at: datetime | None,
    features: list[str],
    used: int,
    created: bool,
    kept: str | None = None,
    batcher: ActivationBatcher | None = None,
    changed: list[str] | None = None,
) -> Activation:
    expires_at = earliest(expires_at, outcome.valid_until)
    claims = license_claims(
        issuer=issuer,
        serial=request.serial,
        product=outcome.product,
        fingerprint=request.fingerprint,
        activation_id=activation_id,
        trial=outcome.trial,
        features=features,
        created_at=created_at,
        expires_at=expires_at,
        check_in_days=outcome.check_in_days,
        grace_days=outcome.grace_days,
        updates_until=outcome.updates_until,
    )
    signing_input = signer.signing_input(claims)
    if kept is not None and kept.startswith(signing_input + "."):
        # Issued before with this very header and these claims: Ed25519 is deterministic, so
        # signing again would give the same license. After a key rotation the header differs
        # and the license is signed anew.
        token = kept
    else:
        token = signer.sign_input(signing_input)
        if batcher is not None:
            batcher.keep_license(str(activation_id), token)
    return Activation(
        activation_id=activation_id,
        serial=request.serial,
        product=outcome.product,
        trial=outcome.trial,
        features=features,
        used=used,
        limit=outcome.activation_limit,
        created_at=created_at,
        expires_at=expires_at,
        license=token,
        created=created,
        updates_until=outcome.updates_until,
        lease=_lease(signer, claims, features, outcome.check_in_days, outcome.grace_days),
        changed_components=changed,
    )


def _lease(
    signer: Signer,
    license: dict[str, Any],
    features: list[str],
    check_in_days: int,
    grace_days: int,
) -> str | None:
    if check_in_days <= 0:
        return None
    return signer.sign(
        lease_claims(
            license,
            features=features,
            check_in_days=check_in_days,
            grace_days=grace_days,
            now=time.time(),
        )
    )


@dataclass(frozen=True)
class Validation:
    valid: bool
    code: str
    message: str
    state: queries.ActivationState | None = None
    # The machine was recognised by its components (tolerant binding): what changed since its
    # activation was bound. Activating again moves the activation to it.
    changed_components: list[str] | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"valid": self.valid, "code": self.code, "message": self.message}
        if self.changed_components is not None:
            body["changed_components"] = self.changed_components
        state = self.state
        if state is not None:
            body["serial"] = state.serial
            body["product"] = state.product
            body["type"] = "trial" if state.trial else "full"
            body["activations"] = {"used": state.used, "limit": state.activation_limit}
            if state.id is not None:
                body["activation_id"] = str(state.id)
                body["expires_at"] = iso(state.expires_at)
                body["deactivated_at"] = iso(state.deactivated_at)
        return body


_MESSAGES = {
    "VALID": "The license is valid.",
    "NOT_ACTIVATED": "This machine has no activation of this serial number.",
    "DEACTIVATED": "This machine's activation was deactivated.",
    "SERIAL_BLOCKED": "The serial number has been blocked by its vendor.",
    "EXPIRED": "The license has expired.",
    "SERIAL_EXPIRED": "The serial number's term has ended.",
    "SIGNATURE_INVALID": "The license was not issued by this server or has been altered.",
}


_NOT_ACTIVATED = Validation(False, "NOT_ACTIVATED", _MESSAGES["NOT_ACTIVATED"])
_MOVED = Validation(
    False, "DEACTIVATED", "This activation moved to the machine's changed hardware."
)


def _verdict(state: queries.ActivationState) -> Validation:
    """The status of an activation that the caller has shown it holds (its license, or the
    machine's fingerprint together with the serial)."""
    if state.deactivated_at is not None:
        code = "DEACTIVATED"
    elif state.status == "blocked":
        code = "SERIAL_BLOCKED"
    elif state.serial_expired:
        code = "SERIAL_EXPIRED"
    elif state.expires_at is not None and state.expires_at <= datetime.now(UTC):
        code = "EXPIRED"
    else:
        code = "VALID"
    return Validation(code == "VALID", code, _MESSAGES[code], state)


@dataclass(frozen=True)
class CheckIn:
    """A validation that also answers what the machine keeps: a new lease while the license is
    good, a signed refusal when it no longer is, and the license as it would be issued now when
    it changed (features, policy, key)."""

    validation: Validation
    check_in_days: int = 0
    grace_days: int = 0
    lease: str | None = None
    refusal: str | None = None
    license: str | None = None

    def to_json(self) -> dict[str, Any]:
        body = self.validation.to_json()
        body["check_in"] = {"check_in_days": self.check_in_days, "grace_days": self.grace_days}
        for name in ("lease", "refusal", "license"):
            value = getattr(self, name)
            if value is not None:
                body[name] = value
        return body


@dataclass(frozen=True)
class Deactivation:
    activation_id: uuid.UUID
    deactivated_at: datetime
    used: int
    limit: int

    def to_json(self) -> dict[str, Any]:
        return {
            "activation_id": str(self.activation_id),
            "deactivated_at": iso(self.deactivated_at),
            "activations": {"used": self.used, "limit": self.limit},
        }


async def free(
    pool: asyncpg.Pool, activation_id: uuid.UUID, *, address: str | None, by: str, actor: str
) -> Deactivation:
    """Frees an activation's slot, by the machine (a deactivation) or its vendor (a release),
    within the serial's transfer budget; idempotent."""
    for _ in range(_ATTEMPTS):
        try:
            async with pool.acquire() as connection:
                outcome = await queries.deactivate(
                    connection, activation_id, address, by=by, actor=actor
                )
        except _RETRYABLE:
            continue
        if outcome is None:
            raise ActivationNotFound("This license's activation no longer exists.")
        if not outcome.transferable:
            raise DeactivationNotAllowed()
        if outcome.deactivated_at is None:
            if not outcome.allowed and outcome.transfer_budget is not None:
                raise TransferLimitReached(
                    outcome.transfer_budget + outcome.transfers_granted, outcome.transfers
                )
            # A concurrent deactivation committed after this statement's snapshot: read again.
            continue
        return Deactivation(
            outcome.id, outcome.deactivated_at, outcome.used, outcome.activation_limit
        )
    raise ServiceUnavailable(1, "The activation is busy. Try again in a moment.")


class ActivationService:
    """The activation API's rules with what they need: the pool, the signing keyring, the
    failed-attempt limiter and the batchers of this application.

    Activations, offline activations (the API's and the portal page's) and validations by
    serial spend one failure budget per client address, so that a guesser cannot go on at
    another endpoint when one says 429. A failure is counted before it is answered, by one
    statement that also says whether the limit is passed; a success costs the limiter no round
    trip.
    """

    def __init__(
        self, pool: asyncpg.Pool, keyring: Keyring, limiter: FailureLimiter, *, issuer: str
    ) -> None:
        self.pool = pool
        self.keyring = keyring
        self.limiter = limiter
        self.issuer = issuer
        # Concurrent requests of this application share one statement per batch.
        self.batcher = ActivationBatcher(pool)
        self.machine_states = MachineStates(pool)
        self.activation_states = ActivationStates(pool)

    def close(self) -> None:
        self.batcher.close()

    async def _limited(
        self,
        address: str | None,
        attempt: Callable[[], Awaitable[T]],
        failed: Callable[[T], bool] | None = None,
    ) -> T:
        """Runs ``attempt()`` unless the address is over its limit (429), and counts a failure
        when it raises :class:`SerialNotFound` or its answer is ``failed``: past the limit, the
        caller gets 429 instead of the failure, however many requests arrive at once."""
        self.limiter.check(address)
        try:
            result = await attempt()
        except SerialNotFound:
            await self._count_failure(address)
            raise
        if failed is not None and failed(result):
            await self._count_failure(address)
        return result

    async def _count_failure(self, address: str | None) -> None:
        async with self.pool.acquire() as connection:
            await self.limiter.record_failure(connection, address)

    async def activate(
        self, request: ActivationRequest, *, address: str | None, via: str = "online"
    ) -> Activation:
        """Takes a slot of the serial for this machine, or returns the machine's live
        activation; within the address's failure budget."""
        return await self._limited(address, lambda: self._activate(request, address, via))

    async def _activate(
        self, request: ActivationRequest, address: str | None, via: str
    ) -> Activation:
        batcher = self.batcher
        for _ in range(_ATTEMPTS):
            params = queries.ActivationParams(
                serial=request.serial,
                fingerprint=request.fingerprint,
                product=request.product,
                features=request.features,
                client=request.client,
                address=address,
                new_id=time_ordered_uuid(),
                via=via,
                tolerant=request.components is not None,
            )
            changed: list[str] | None = None
            try:
                outcome = await batcher.activate(params)
                if (
                    outcome is not None
                    and request.components is not None
                    and outcome.binding_tolerance > 0
                    and outcome.existing_id is None
                    and outcome.refusal is None
                ):
                    bound = await binding.bind(
                        self.pool, params, request.components, outcome.binding_tolerance
                    )
                    if bound is None:
                        continue
                    outcome, changed = bound.outcome, bound.changed
            except _RETRYABLE:
                continue
            if outcome is None:
                raise SerialNotFound()
            refusal = _refusal(outcome, request)
            if refusal is not None:
                raise refusal
            signer = self.keyring.signer(outcome.vendor_id)
            if signer is None:
                async with self.pool.acquire() as connection:
                    signer = await self.keyring.ensure(connection, outcome.vendor_id)
            if outcome.created_id is not None:
                assert outcome.created_created_at is not None and outcome.bumped_used is not None
                return _activation(
                    signer,
                    self.issuer,
                    request,
                    outcome,
                    activation_id=outcome.created_id,
                    created_at=outcome.created_created_at,
                    expires_at=outcome.created_expires_at,
                    features=outcome.created_features or [],
                    used=outcome.bumped_used,
                    created=True,
                )
            if outcome.existing_id is not None:
                assert outcome.existing_created_at is not None
                return _activation(
                    signer,
                    self.issuer,
                    request,
                    outcome,
                    activation_id=outcome.existing_id,
                    created_at=outcome.existing_created_at,
                    expires_at=outcome.existing_expires_at,
                    features=outcome.existing_features or [],
                    used=outcome.used,
                    created=False,
                    kept=outcome.existing_license,
                    batcher=batcher,
                    changed=changed,
                )
            if outcome.used >= outcome.activation_limit:
                raise ActivationLimitReached(outcome.activation_limit, outcome.used)
            # The snapshot showed a free slot but another request took it (or blocked the
            # serial) before this statement's conditional update: look again, freshly.
        raise ServiceUnavailable(1, "The serial number is busy. Try again in a moment.")

    async def verified(self, token: str) -> dict[str, Any]:
        """The claims of a license signed by any of the server's keys, expired or not. A key
        this process does not know yet (made by another process a moment ago) is looked for
        once. A lease or a refusal, signed by the same keys, is not a license."""
        keyring = self.keyring
        try:
            claims = keyring.verify(token, verify_exp=False)
        except UnknownKey:
            if not keyring.may_look_again():
                raise
            async with self.pool.acquire() as connection:
                await keyring.refresh(connection)
            claims = keyring.verify(token, verify_exp=False)
        if claims.get("typ") not in LICENSE_TYPES:
            raise jwt.InvalidTokenError("a lease or a refusal is not a license")
        return claims

    async def validate_license(self, token: str) -> Validation:
        try:
            claims = await self.verified(token)
            activation_id = parse_activation_id(claims.get("aid"))
        except (jwt.InvalidTokenError, ValueError, TypeError):
            return Validation(False, "SIGNATURE_INVALID", _MESSAGES["SIGNATURE_INVALID"])
        state = await self.activation_states.submit(activation_id)
        if state is None:
            return _NOT_ACTIVATED
        if state.serial != claims.get("sub"):
            return Validation(False, "SIGNATURE_INVALID", _MESSAGES["SIGNATURE_INVALID"])
        if state.fingerprint != claims.get("fp"):
            return _MOVED
        return _verdict(state)

    async def validate_machine(
        self,
        serial: str,
        fingerprint: str,
        *,
        address: str | None,
        components: dict[str, str] | None = None,
    ) -> Validation:
        """The status of this machine's activation of this serial.

        A caller whose machine holds no activation of the serial learns nothing about it: an
        unknown serial and a known one that this machine never activated both answer
        ``NOT_ACTIVATED`` (true of either), with no product, type or slot counts, and either
        spends the address's failure budget as an unknown serial's activation does. Otherwise
        the answers would be an oracle that tells a stranger which guessed serials exist and
        how many of their slots are free.

        With ``components``, a machine whose fingerprint holds no live activation but which its
        product's binding tolerance recognises answers that activation's status and what
        changed; nothing is moved until it activates.
        """

        async def attempt() -> Validation:
            state = await self.machine_states.submit((serial, fingerprint))
            live = state is not None and state.id is not None and state.deactivated_at is None
            if not live and state is not None and components is not None:
                near = await binding.recognise(self.pool, serial, components)
                recognised = (
                    await self.activation_states.submit(near[0].id) if near is not None else None
                )
                if near is not None and recognised is not None:
                    return replace(_verdict(recognised), changed_components=near[1])
            if state is None or state.id is None:
                return _NOT_ACTIVATED
            return _verdict(state)

        return await self._limited(
            address, attempt, failed=lambda verdict: verdict.code == "NOT_ACTIVATED"
        )

    async def check_in(self, token: str) -> CheckIn:
        try:
            claims = await self.verified(token)
            activation_id = parse_activation_id(claims.get("aid"))
        except (jwt.InvalidTokenError, ValueError, TypeError):
            return CheckIn(Validation(False, "SIGNATURE_INVALID", _MESSAGES["SIGNATURE_INVALID"]))
        keyring = self.keyring
        async with self.pool.acquire() as connection:
            found = await queries.check_in(connection, activation_id)
            signer = None
            if found is not None:
                signer = keyring.signer(found.vendor_id) or await keyring.ensure(
                    connection, found.vendor_id
                )
        if found is None or signer is None:
            return CheckIn(Validation(False, "NOT_ACTIVATED", _MESSAGES["NOT_ACTIVATED"]))
        state = found.state
        if state.serial != claims.get("sub"):
            return CheckIn(Validation(False, "SIGNATURE_INVALID", _MESSAGES["SIGNATURE_INVALID"]))
        # A license this service signed for another fingerprint than the activation's: tolerant
        # binding moved the activation to a changed machine, so this one holds it no more.
        verdict = _MOVED if state.fingerprint != claims.get("fp") else _verdict(state)
        days, grace = found.check_in_days, found.grace_days
        if not verdict.valid:
            refusal = signer.sign(refusal_claims(claims, verdict.code, time.time()))
            return CheckIn(verdict, days, grace, refusal=refusal)
        assert state.id is not None and state.created_at is not None
        features = list(state.features or [])
        current = license_claims(
            issuer=self.issuer,
            serial=state.serial,
            product=state.product,
            fingerprint=state.fingerprint or "",
            activation_id=state.id,
            trial=state.trial,
            features=features,
            created_at=state.created_at,
            expires_at=earliest(state.expires_at, found.valid_until),
            check_in_days=days,
            grace_days=grace,
            updates_until=found.updates_until,
        )
        signing_input = signer.signing_input(current)
        renewed = (
            None if token.startswith(signing_input + ".") else signer.sign_input(signing_input)
        )
        return CheckIn(
            verdict,
            days,
            grace,
            lease=_lease(signer, current, features, days, grace),
            license=renewed,
        )

    async def deactivate(self, token: str, *, address: str | None) -> Deactivation:
        """Frees the slot of the machine that holds this license; idempotent."""
        try:
            claims = await self.verified(token)
            activation_id = parse_activation_id(claims.get("aid"))
        except (jwt.InvalidTokenError, ValueError, TypeError):
            raise LicenseInvalid() from None
        return await free(self.pool, activation_id, address=address, by="machine", actor="machine")
