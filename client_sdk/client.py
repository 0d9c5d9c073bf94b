"""The Client: activate a serial on this machine, then check the license at every start.

Trust model, in one paragraph: a license is only as trustworthy as the public keys that verify
it. Keys pinned in the application (``public_keys=``) cannot be swapped by the user. Without
pinned keys the Client fetches the server's JWKS once over TLS and caches it beside the license;
that is convenient, but a user who can write to that directory can replace both the cache and
the license. Protected applications that matter should pin their keys.
"""

from __future__ import annotations

import json
import os
import platform
import re
import ssl
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from client_sdk import errors
from client_sdk.errors import ActivationError, ClientError, LicenseError
from client_sdk.fingerprint import FingerprintUnavailable, resolve_with_components
from client_sdk.license import (
    KeyRing,
    Lease,
    License,
    PublicKeys,
    check_claims,
    check_key_retirement,
    check_lease,
    key_id,
    refusal_code,
    verify_signature,
)
from client_sdk.offline import encode_request
from client_sdk.revocation import REASON_CODES, REASON_MESSAGES, RevocationList
from client_sdk.revocation import parse as parse_revocations
from client_sdk.serial import MalformedSerial, canonicalize
from client_sdk.store import Store, StoreCorrupt, default_directory
from client_sdk.transport import Response, Transport, TransportError

SDK_VERSION = "0.1.0"
FINGERPRINT_ENV = "ACTIVATION_FINGERPRINT"
# Writing the last-seen time costs an fsync; once a minute is plenty for a tolerance of hours.
LAST_SEEN_GRANULARITY = 60.0
_ErrorClass = type[ActivationError] | type[LicenseError]


@dataclass(frozen=True)
class Deactivation:
    """The server's receipt for a freed slot."""

    activation_id: str
    deactivated_at: str
    used: int | None
    limit: int | None


class Client:
    """Activates and checks licenses of one product on this machine.

    ``server_url`` may be None for a machine that is only ever activated offline (``install``
    with pinned ``public_keys``). ``store_path`` is the directory for this product's license
    (default: the per-user data directory, see ``client_sdk.store``). ``public_keys`` pins the
    server's keys: a JWKS (dict or JSON text) or PEM text.

    The machine's fingerprint is computed from its hardware; ``fingerprint=`` overrides it (for
    containers and tests). The ``ACTIVATION_FINGERPRINT`` environment variable is honoured only
    with ``allow_fingerprint_env=True``: otherwise anyone could run a copied license by
    exporting the fingerprint written inside it.

    ``release_date`` is this build's release date (a date, or an aware datetime): a license
    whose update subscription ended before it is refused offline with ``UPDATES_EXPIRED``, while
    the builds released earlier keep running.
    """

    def __init__(
        self,
        server_url: str | None,
        product: str,
        *,
        store_path: str | os.PathLike[str] | None = None,
        public_keys: PublicKeys | None = None,
        fingerprint: str | None = None,
        allow_fingerprint_env: bool = False,
        offline_grace: timedelta = timedelta(days=7),
        clock_tolerance: timedelta = timedelta(hours=24),
        timeout: float = 10.0,
        retries: int = 3,
        ssl_context: ssl.SSLContext | None = None,
        client_info: Mapping[str, Any] | None = None,
        clock: Callable[[], float] = time.time,
        release_date: date | datetime | None = None,
    ) -> None:
        if not isinstance(product, str) or not product:
            raise ValueError("product must be the product code, e.g. 'ACME'")
        self.product = product
        self.release_date = release_date
        self._release = _release_timestamp(release_date)
        self.server_url = server_url
        self.store = Store(Path(store_path) if store_path else default_directory(product))
        self.offline_grace = offline_grace
        self.clock_tolerance = clock_tolerance
        self.client_info = dict(client_info or {})
        self._clock = clock
        self._pinned = None if public_keys is None else KeyRing.parse(public_keys)
        self._cached_keys: KeyRing | None = None
        self._kept_list: RevocationList | None = None
        self._fingerprint_override = fingerprint
        self._allow_fingerprint_env = allow_fingerprint_env
        self._fingerprint: str | None = None
        self._components: dict[str, str] | None = None
        self._transport = (
            None
            if server_url is None
            else Transport(
                server_url,
                timeout=timeout,
                retries=retries,
                ssl_context=ssl_context,
                user_agent=f"client_sdk/{SDK_VERSION}",
            )
        )

    # -- the machine ------------------------------------------------------------------------

    @property
    def fingerprint(self) -> str:
        """This machine's fingerprint (computed once); LicenseError when none can be made."""
        return self._machine(LicenseError)

    def _machine(self, error_class: _ErrorClass) -> str:
        if self._fingerprint is None:
            env_var = FINGERPRINT_ENV if self._allow_fingerprint_env else None
            try:
                self._fingerprint, self._components = resolve_with_components(
                    self._fingerprint_override, env_var
                )
            except FingerprintUnavailable as error:
                raise error_class(
                    errors.FINGERPRINT_UNAVAILABLE,
                    f"This machine cannot be identified: {error}.",
                ) from error
        return self._fingerprint

    # -- online activation ------------------------------------------------------------------

    def activate(self, serial: str, *, features: Iterable[str] | None = None) -> License:
        """Activates ``serial`` on this machine and stores the license.

        Activating again on the same machine is harmless: the server returns the same
        activation without taking another slot. Raises ActivationError.
        """
        canonical = _canonical(serial)
        body: dict[str, Any] = {
            "serial": canonical,
            "fingerprint": self._machine(ActivationError),
            "product": self.product,
            "client": self._client_info(),
        }
        if self._components:
            # Lets a product with a binding tolerance keep this machine's activation when a
            # few of its components change.
            body["fingerprint_components"] = self._components
        if features is not None:
            body["features"] = list(features)
        response = self._post("/v1/activations", body, ActivationError)
        if response.status not in (200, 201):
            raise _refusal(response, ActivationError)
        activation = _activation_object(response, ActivationError)
        try:
            return self._accept(activation["license"], activation, online=True)
        except LicenseError as error:
            raise _as(ActivationError, error) from error

    def offline_request(self, serial: str, *, features: Iterable[str] | None = None) -> str:
        """The request code a person takes to a machine with network (no request is sent).

        The answer of ``POST /v1/offline-activations`` (or of the portal page) goes back into
        ``install``. Raises ActivationError (``SERIAL_MALFORMED``) for a mistyped serial.
        """
        return encode_request(
            _canonical(serial),
            self._machine(ActivationError),
            self.product,
            None if features is None else list(features),
        )

    def install(self, license_text: str) -> License:
        """Verifies and stores a license obtained offline: the JWT, or the whole answer JSON.

        Raises LicenseError when it does not verify on this machine.
        """
        token, activation = _parse_license_text(license_text)
        return self._accept(token, activation, online=self._transport is not None)

    def _accept(self, token: str, activation: Mapping[str, Any], *, online: bool) -> License:
        now = self._clock()
        verified = self._verify(token, now=now, not_before=0.0, online=online)
        lease = activation.get("lease")
        summary = {
            key: activation[key]
            for key in ("activation_id", "activations", "expires_at", "type", "serial")
            if key in activation
        }
        self.store.write_license(
            {
                "product": self.product,
                "server": self.server_url,
                "license": token,
                "activation": summary,
                "last_seen": now,
                # The grace period of validate() counts from here until the first online check.
                "last_checked": now,
                "revoked": None,
                # Signed by the service: only these can let a check-in product start.
                "lease": lease if isinstance(lease, str) else None,
                "refusal": None,
            }
        )
        if verified.requires_check_in:
            try:
                lease = self._stored_lease(self._record(), verified, now)
                return self._with_lease(lease, verified, now)
            except LicenseError:
                pass  # activated offline: the first check-in brings the lease
        return verified

    # -- offline checks ---------------------------------------------------------------------

    def load(self) -> License:
        """The stored license, verified offline; raises LicenseError.

        Checks the signature, the product, this machine, the expiry, and that the clock has not
        been set back more than ``clock_tolerance`` before a time this license already saw.
        """
        record = self._record()
        revoked = record.get("revoked")
        if isinstance(revoked, dict):
            # The server said so at the last online check; only a later check can undo it.
            raise LicenseError(
                str(revoked.get("code") or "NOT_ACTIVATED"),
                str(revoked.get("message") or "The activation service refused this license."),
            )
        now = self._clock()
        revocations = self._revocations()
        seen = _number(record.get("last_seen"))
        try:
            verified = self._verify(
                record["license"],
                now=now,
                not_before=max(seen, revocations.issued if revocations else 0.0),
                online=False,
            )
        except LicenseError as error:
            if error.code != errors.KEY_RETIRED or self._transport is None:
                raise
            # Signed by a key retired too long ago: a check-in brings it under the current key.
            return self.validate()
        if verified.requires_check_in:
            self._refused(record, verified)
            try:
                lease = self._stored_lease(record, verified, now)
            except LicenseError:
                if self._transport is None:
                    raise
                return self.validate()
            if now >= lease.due and self._transport is not None:
                # Due: a quiet check-in renews the lease, or brings the service's refusal; when
                # the service cannot be reached the stored lease carries on until it ends.
                return self.validate()
            # A check-in after the list was issued saw the activation good: it outranks the list
            # (a serial unblocked since, say).
            if revocations is None or lease.issued <= revocations.issued:
                self._revoked(revocations, verified)
            verified = self._with_lease(lease, verified, now)
        else:
            self._revoked(revocations, verified)
        self._advance(record, now)
        return verified

    # -- revocation lists -------------------------------------------------------------------

    def apply_revocation_list(self, data: str | bytes) -> RevocationList:
        """Verifies the vendor's signed revocation list and keeps it, unless the one kept is
        newer; from then on load() refuses the licenses it names, offline.

        Give it the file exported from the vendor portal (or ``POST /v1/revocation-lists``),
        e.g. one shipped with each update. The same list again is harmless. Raises LicenseError:
        ``REVOCATION_LIST_INVALID`` when it does not verify, ``REVOCATION_LIST_OUTDATED`` when
        the list kept has a higher number (the kept one stays).
        """
        try:
            text = data.decode("ascii") if isinstance(data, bytes) else data
        except UnicodeDecodeError:
            text = ""
        token = re.sub(r"\s+", "", text)
        given = self._verified_list(token, online=self._transport is not None)
        newer: list[RevocationList] = []

        def keep(kept_token: str | None) -> str | None:
            kept = self._parsed_list(kept_token) if kept_token else None
            if kept is not None and kept.sequence > given.sequence:
                newer.append(kept)
                return None
            if kept is not None and kept.sequence == given.sequence:
                return None
            return token

        self.store.update_revocations(keep)
        if newer:
            raise LicenseError(
                errors.REVOCATION_LIST_OUTDATED,
                f"This revocation list is number {given.sequence}; number {newer[0].sequence} "
                "is already in place and stays.",
                details={"given": given.sequence, "kept": newer[0].sequence},
            )
        self._kept_list = None
        return given

    def _verified_list(self, token: str, *, online: bool) -> RevocationList:
        try:
            claims, _ = verify_signature(token, self._keys(key_id(token), online=online))
        except LicenseError as error:
            if error.code == errors.KEYS_UNAVAILABLE:
                raise
            raise LicenseError(
                errors.REVOCATION_LIST_INVALID,
                "This revocation list was not signed by this product's vendor, or it was changed.",
                details=error.details,
            ) from None
        return parse_revocations(claims, token)

    def _parsed_list(self, token: str) -> RevocationList | None:
        try:
            return self._verified_list(token, online=False)
        except LicenseError:
            return None  # not the vendor's word: as if no list were kept

    def _revocations(self) -> RevocationList | None:
        """The kept revocation list, verified (once per process and file content)."""
        token = self.store.read_revocations()
        if token is None:
            return None
        kept = self._kept_list
        if kept is None or kept.token != token:
            kept = self._kept_list = self._parsed_list(token)
        return kept

    @staticmethod
    def _revoked(revocations: RevocationList | None, verified: License) -> None:
        if revocations is None:
            return
        reason = revocations.reason(verified.serial, verified.activation_id)
        if reason is not None:
            raise LicenseError(
                REASON_CODES[reason],
                REASON_MESSAGES[reason],
                details={"reason": reason, "revocation_list": revocations.sequence},
            )

    def _stored_lease(self, record: Mapping[str, Any], verified: License, now: float) -> Lease:
        token = record.get("lease")
        if not isinstance(token, str):
            raise LicenseError(
                errors.LEASE_REQUIRED,
                f"{self.product} requires a check-in with the activation service before it runs "
                "on this machine.",
            )
        keys = self._trusted(key_id(token), online=False)
        try:
            claims, kid = verify_signature(token, keys)
        except LicenseError:
            raise LicenseError(
                errors.LEASE_REQUIRED, "The stored lease was not signed by the activation service."
            ) from None
        lease = check_lease(
            claims, verified, now=now, clock_tolerance=self.clock_tolerance.total_seconds()
        )
        check_key_retirement(
            keys,
            kid,
            issued=lease.issued,
            now=now,
            bounded=True,
            clock_tolerance=self.clock_tolerance.total_seconds(),
        )
        return lease

    def _refused(self, record: Mapping[str, Any], verified: License) -> None:
        """Raises the service's signed refusal of this license, when one is stored."""
        token = record.get("refusal")
        if not isinstance(token, str):
            return
        try:
            claims, _ = verify_signature(token, self._keys(key_id(token), online=False))
        except LicenseError:
            return  # not the service's word: ignored, as an unsigned mark would be
        code = refusal_code(claims, verified)
        if code is not None:
            raise LicenseError(
                code,
                _VALIDATION_MESSAGES.get(
                    code, f"The activation service refused this license ({code})."
                ),
            )

    @staticmethod
    def _with_lease(lease: Lease, verified: License, now: float) -> License:
        return replace(
            verified,
            lease_expires_at=datetime.fromtimestamp(lease.expires, UTC),
            check_in_due_at=datetime.fromtimestamp(lease.due, UTC),
            grace_remaining=timedelta(seconds=max(0.0, lease.expires - now)),
        )

    def _record(self) -> dict[str, Any]:
        try:
            record = self.store.read_license()
        except StoreCorrupt as error:
            raise LicenseError(
                errors.LICENSE_CORRUPT, f"The stored license is damaged ({error})."
            ) from error
        if record is None:
            raise LicenseError(
                errors.NOT_ACTIVATED, f"{self.product} is not activated on this machine."
            )
        return record

    def _verify(
        self,
        token: str,
        *,
        now: float,
        not_before: float,
        online: bool,
        retirement_window: bool = True,
    ) -> License:
        """The license in ``token``, verified here and now. ``retirement_window`` False lets a
        license of a key retired too long ago through (validate() sends it to the service, which
        answers it re-issued under the current key)."""
        keys = self._trusted(key_id(token), online=online)
        claims, kid = verify_signature(token, keys)
        verified = check_claims(
            claims,
            token=token,
            kid=kid,
            product=self.product,
            fingerprint=self._machine(LicenseError),
            now=now,
            not_before=not_before,
            clock_tolerance=self.clock_tolerance.total_seconds(),
            release_date=self._release,
        )
        check_key_retirement(
            keys,
            kid,
            issued=verified.issued_at.timestamp(),
            now=now,
            bounded=verified.requires_check_in and retirement_window,
            clock_tolerance=self.clock_tolerance.total_seconds(),
        )
        return verified

    def _trusted(self, kid: str | None, *, online: bool) -> KeyRing:
        """The keys to verify with, knowing the retirements the kept revocation list names."""
        keys = self._keys(kid, online=online)
        revocations = self._revocations()
        return keys if revocations is None else keys.with_retirements(revocations.retired_keys)

    def _advance(self, record: Mapping[str, Any], now: float) -> None:
        if now < _number(record.get("last_seen")) + LAST_SEEN_GRANULARITY:
            return

        def advance(current: dict[str, Any]) -> dict[str, Any]:
            # max(): a clock set back within the tolerance must not pull the floor down with it.
            return {**current, "last_seen": max(_number(current.get("last_seen")), now)}

        try:
            self.store.update_license(advance, token=record["license"])
        except OSError:
            # A read-only store (an installer wrote it) must not stop the application; the
            # floor stays at the license's issue time and the last time it could be written.
            pass

    # -- keys -------------------------------------------------------------------------------

    def _keys(self, kid: str | None, *, online: bool) -> KeyRing:
        if self._pinned is not None:
            return self._pinned
        ring = self._cached_keys
        if ring is None or (kid is not None and kid not in ring):
            ring = self._read_cached_keys()
        if ring is not None and (kid is None or kid in ring or not online):
            self._cached_keys = ring
            return ring
        if online and self._transport is not None:
            ring = self._fetch_keys()
            self._cached_keys = ring
            return ring
        if ring is not None:
            return ring
        raise LicenseError(
            errors.KEYS_UNAVAILABLE,
            "There are no public keys to verify the license with: none are pinned in the "
            "application and none were fetched from the activation service yet.",
        )

    def _read_cached_keys(self) -> KeyRing | None:
        jwks = self.store.read_keys()
        if jwks is None:
            return None
        try:
            return KeyRing.from_jwks(jwks)
        except ValueError:
            return None

    def _fetch_keys(self) -> KeyRing:
        assert self._transport is not None
        try:
            response = self._transport.get("/v1/keys")
        except TransportError as error:
            raise LicenseError(
                errors.KEYS_UNAVAILABLE,
                f"The activation service's public keys could not be fetched: {error}.",
            ) from error
        if response.status != 200:
            raise _refusal(response, LicenseError)
        try:
            jwks = response.json()
            ring = KeyRing.from_jwks(jwks)
        except (ValueError, AttributeError, TypeError):
            raise LicenseError(
                errors.PROTOCOL_ERROR, "The activation service's key list is not a JWKS."
            ) from None
        self.store.write_keys(jwks)
        return ring

    # -- online checks ----------------------------------------------------------------------

    def validate(self) -> License:
        """Asks the service whether the stored license is still good; raises LicenseError.

        When the service cannot be reached the license stays good for ``offline_grace`` after
        the last successful check (or the activation), so a laptop on a train keeps working.
        A refusal (deactivated, blocked…) is remembered, so ``load`` refuses it offline too,
        until a later check finds the license good again.
        """
        record = self._record()
        token = record["license"]
        now = self._clock()
        # Checked here first: a license that does not verify on this machine is not sent.
        verified = self._verify(
            token,
            now=now,
            not_before=_number(record.get("last_seen")),
            online=True,
            retirement_window=False,
        )
        if self._transport is None:
            return self._offline(record, verified, now, "no activation service is configured")
        try:
            response = self._transport.post("/v1/check-ins", {"license": token}, idempotent=True)
            if response.status == 404 and not verified.requires_check_in:
                # A service from before check-ins: its validation answers the same question.
                response = self._transport.post(
                    "/v1/validations", {"license": token}, idempotent=True
                )
        except TransportError as error:
            return self._offline(record, verified, now, str(error))
        if response.status == 429 or response.status >= 500:
            reason = f"the service answered {response.status}"
            return self._offline(record, verified, now, reason)
        if response.status != 200:
            raise _refusal(response, LicenseError)
        try:
            answer = response.json()
            valid, code = answer["valid"], answer["code"]
        except (ValueError, KeyError, TypeError):
            raise LicenseError(
                errors.PROTOCOL_ERROR, "The activation service's answer is not a validation."
            ) from None
        if valid is True:
            return self._checked_in(answer, token, verified, now)
        message = str(answer.get("message") or _VALIDATION_MESSAGES.get(str(code), ""))
        message = message or f"The activation service refused this license ({code})."
        refusal = answer.get("refusal")
        self.store.update_license(
            lambda current: {
                **current,
                "revoked": {"code": str(code), "message": message},
                "refusal": refusal if isinstance(refusal, str) else current.get("refusal"),
            },
            token=token,
        )
        raise LicenseError(str(code), message, status=200, details=answer)

    def _checked_in(
        self, answer: Mapping[str, Any], token: str, verified: License, now: float
    ) -> License:
        """Keeps what a good check-in answered: the license as issued now (new features, a new
        policy), verified before it replaces the stored one, and the new lease."""
        renewed = answer.get("license")
        if isinstance(renewed, str) and renewed != token:
            verified = self._verify(renewed, now=now, not_before=0.0, online=True)
        lease_token = answer.get("lease")
        lease = None
        if isinstance(lease_token, str) and verified.requires_check_in:
            lease = self._stored_lease({"lease": lease_token}, verified, now)

        def keep(current: dict[str, Any]) -> dict[str, Any]:
            return {
                **current,
                "license": verified.token,
                "lease": lease_token if lease is not None else current.get("lease"),
                "refusal": None,
                "revoked": None,
                "last_checked": now,
                "last_seen": max(_number(current.get("last_seen")), now),
            }

        self.store.update_license(keep, token=token)
        if verified.requires_check_in:
            if lease is None:
                lease = self._stored_lease(self._record(), verified, now)
            return self._with_lease(lease, verified, now)
        return verified

    def _offline(
        self, record: Mapping[str, Any], verified: License, now: float, reason: str
    ) -> License:
        """The answer when the service cannot be asked: a product that requires check-ins runs
        on its signed lease until the lease ends; others on the offline grace period."""
        if not verified.requires_check_in:
            self._revoked(self._revocations(), verified)
            return self._within_grace(record, verified, now, reason)
        self._refused(record, verified)
        lease = self._stored_lease(record, verified, now)
        revocations = self._revocations()
        if revocations is not None and lease.issued <= revocations.issued:
            self._revoked(revocations, verified)
        self._advance(record, now)
        return self._with_lease(lease, verified, now)

    def _within_grace(
        self, record: Mapping[str, Any], verified: License, now: float, reason: str
    ) -> License:
        revoked = record.get("revoked")
        if isinstance(revoked, dict):
            # Refused at the last check: being offline now must not undo that.
            raise LicenseError(
                str(revoked.get("code") or errors.NOT_ACTIVATED),
                str(revoked.get("message") or "The activation service refused this license."),
                details={"reason": reason},
            )
        last_checked = _number(record.get("last_checked"))
        if now - last_checked <= self.offline_grace.total_seconds():
            self._advance(record, now)
            return verified
        raise LicenseError(
            errors.OFFLINE_GRACE_EXPIRED,
            f"The license could not be checked ({reason}) and was last checked on "
            f"{datetime.fromtimestamp(last_checked, UTC):%Y-%m-%d %H:%M} UTC, longer ago than "
            f"the {_days(self.offline_grace)} allowed offline.",
            details={"reason": reason},
        )

    def deactivate(self) -> Deactivation:
        """Frees this machine's slot and removes the stored license; raises ActivationError.

        The license is sent as it is: the server verifies it, and a machine whose hardware has
        changed since the activation can still give its slot back.
        """
        record = self._record()
        response = self._post("/v1/deactivations", {"license": record["license"]}, ActivationError)
        if response.status != 200:
            raise _refusal(response, ActivationError)
        try:
            answer = response.json()
            activations = answer.get("activations") or {}
            receipt = Deactivation(
                activation_id=str(answer["activation_id"]),
                deactivated_at=str(answer["deactivated_at"]),
                used=activations.get("used"),
                limit=activations.get("limit"),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            raise ActivationError(
                errors.PROTOCOL_ERROR, "The activation service's answer is not a deactivation."
            ) from None
        self.store.remove_license()
        return receipt

    # -- plumbing ---------------------------------------------------------------------------

    def _post(self, path: str, body: Mapping[str, Any], error_class: _ErrorClass) -> Response:
        if self._transport is None:
            raise error_class(
                errors.NO_SERVER, "No activation service URL was given to the application."
            )
        try:
            # Every request here is safe to repeat (see client_sdk.transport).
            return self._transport.post(path, body, idempotent=True)
        except TransportError as error:
            raise error_class(
                errors.NETWORK_ERROR, f"The activation service cannot be reached: {error}."
            ) from error

    def _client_info(self) -> dict[str, Any]:
        # Only coarse facts by default; an application adding a host name does so knowingly.
        return {
            "sdk": SDK_VERSION,
            "os": platform.system(),
            "python": platform.python_version(),
            **self.client_info,
        }


_VALIDATION_MESSAGES = {
    "NOT_ACTIVATED": "This machine's activation is not known to the activation service.",
    "DEACTIVATED": "This machine's activation was deactivated.",
    "SERIAL_BLOCKED": "The serial number of this license was blocked.",
    "EXPIRED": "This license has expired.",
    "SIGNATURE_INVALID": "The activation service did not accept this license's signature.",
    "SERIAL_NOT_FOUND": "The serial number of this license is not known.",
}


def _release_timestamp(release: date | datetime | None) -> float | None:
    if release is None:
        return None
    if isinstance(release, datetime):
        if release.tzinfo is None:
            raise ValueError("release_date as a datetime must carry its time zone")
        return release.timestamp()
    if isinstance(release, date):
        return datetime(release.year, release.month, release.day, tzinfo=UTC).timestamp()
    raise TypeError("release_date must be a date or a datetime")


def _canonical(serial: str) -> str:
    try:
        return canonicalize(serial)
    except MalformedSerial as error:
        text = str(error)
        raise ActivationError(errors.SERIAL_MALFORMED, text[:1].upper() + text[1:] + ".") from None


def _refusal(response: Response, error_class: _ErrorClass) -> ClientError:
    """The error for a non-success answer, with the server's code when it sent one."""
    details: dict[str, Any] = {}
    try:
        document = response.json()
        error = document["error"]
        code, message = str(error["code"]), str(error.get("message") or "")
        details.update({k: v for k, v in error.items() if k not in ("code", "message")})
        details.update({k: v for k, v in document.items() if k != "error"})
    except (ValueError, KeyError, TypeError, AttributeError):
        code = errors.SERVICE_UNAVAILABLE if response.status >= 500 else errors.PROTOCOL_ERROR
        message = ""
    if not message:
        message = f"The activation service refused the request (HTTP {response.status})."
    return error_class(
        code,
        message,
        status=response.status,
        details=details,
        retry_after=response.retry_after,
    )


def _activation_object(response: Response, error_class: _ErrorClass) -> dict[str, Any]:
    try:
        activation = response.json()
    except ValueError:
        activation = None
    if not isinstance(activation, dict) or not isinstance(activation.get("license"), str):
        raise error_class(
            errors.PROTOCOL_ERROR, "The activation service's answer holds no license."
        )
    return activation


def _parse_license_text(text: str) -> tuple[str, dict[str, Any]]:
    if not isinstance(text, str) or not text.strip():
        raise LicenseError(errors.LICENSE_CORRUPT, "The license text is empty.")
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            document = json.loads(stripped)
        except ValueError:
            raise LicenseError(errors.LICENSE_CORRUPT, "The license text is damaged.") from None
        if isinstance(document, dict) and isinstance(document.get("error"), dict):
            # Someone saved the service's refusal instead of a license: say what it was.
            error = document["error"]
            raise LicenseError(
                str(error.get("code") or errors.LICENSE_CORRUPT),
                str(error.get("message") or "The activation service refused the request."),
            )
        if not isinstance(document, dict) or not isinstance(document.get("license"), str):
            raise LicenseError(errors.LICENSE_CORRUPT, "The text holds no license.")
        return document["license"].strip(), document
    # A token pasted from an e-mail may be wrapped over several lines.
    return re.sub(r"\s+", "", stripped), {}


def _as(error_class: _ErrorClass, error: ClientError) -> ClientError:
    return error_class(
        error.code,
        error.message,
        status=error.status,
        details=error.details,
        retry_after=error.retry_after,
    )


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _days(period: timedelta) -> str:
    days = period.total_seconds() / 86400
    return f"{days:g} day" + ("" if days == 1 else "s")
