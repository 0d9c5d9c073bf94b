"""Offline verification of a license: the server's Ed25519 signature, then the claims.

A license is a JWT (``alg: EdDSA``) whose claims bind it to one serial (``sub``), one product
(``aud``) and one machine (``fp``). Verifying it needs only the server's public keys, so a
protected application starts without the network.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from client_sdk import errors
from client_sdk.errors import LicenseError

ALGORITHM = "EdDSA"
_PEM_BEGIN = "-----BEGIN PUBLIC KEY-----"
_JWS = jwt.PyJWS(algorithms=[ALGORITHM])
_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")

PublicKeys = str | bytes | Mapping[str, Any]


@dataclass(frozen=True)
class License:
    """A verified license. ``token`` is the signed JWT exactly as the server issued it."""

    serial: str
    product: str
    features: tuple[str, ...]
    type: str
    expires_at: datetime | None
    activation_id: str
    fingerprint: str
    issued_at: datetime
    issuer: str
    key_id: str | None
    token: str
    # The product's check-in policy as the license states it (0 days: offline forever), and
    # the stored lease's end and next due check-in when one is required.
    check_in_days: int = 0
    grace_days: int = 0
    lease_expires_at: datetime | None = None
    check_in_due_at: datetime | None = None
    # How long this machine may still run without reaching the service (until the lease ends),
    # as of the load() or validate() that returned this object; None when no lease is needed.
    grace_remaining: timedelta | None = None

    @property
    def requires_check_in(self) -> bool:
        return self.check_in_days > 0

    # The update subscription's end: builds released after it do not run on this license.
    updates_until: datetime | None = None

    def has_feature(self, name: str) -> bool:
        return name in self.features

    @property
    def is_trial(self) -> bool:
        return self.type == "trial"

    def __repr__(self) -> str:
        # The token is long and the serial is the user's: neither belongs in a log line.
        return (
            f"License(product={self.product!r}, type={self.type!r}, "
            f"features={list(self.features)!r}, expires_at={self.expires_at!r}, "
            f"activation_id={self.activation_id!r})"
        )


class KeyRing:
    """Trusted Ed25519 public keys, by ``kid`` when the source names them, and when each
    retired key was retired (``retired_at`` in the JWKS), as far as the source says."""

    def __init__(
        self,
        by_kid: Mapping[str, Ed25519PublicKey] | None = None,
        unnamed: Sequence[Ed25519PublicKey] = (),
        retired: Mapping[str, float] | None = None,
    ) -> None:
        self.by_kid = dict(by_kid or {})
        self.unnamed = list(unnamed)
        self.retired = dict(retired or {})

    def with_retirements(self, retired: Mapping[str, float]) -> KeyRing:
        """This ring knowing of more retirements (a signed revocation list names them): the
        earliest time said for a key wins."""
        if not retired:
            return self
        merged = dict(self.retired)
        for kid, at in retired.items():
            merged[kid] = min(at, merged.get(kid, at))
        return KeyRing(self.by_kid, self.unnamed, merged)

    def __bool__(self) -> bool:
        return bool(self.by_kid or self.unnamed)

    def __contains__(self, kid: object) -> bool:
        return kid in self.by_kid

    def candidates(self, kid: str | None) -> list[Ed25519PublicKey]:
        if kid is not None and kid in self.by_kid:
            return [self.by_kid[kid]]
        # A kid we do not know can still match a pinned PEM key, which carries no kid.
        return list(self.unnamed) if kid is not None else [*self.by_kid.values(), *self.unnamed]

    @classmethod
    def parse(cls, source: PublicKeys) -> KeyRing:
        """Keys from a JWKS (dict or JSON text) or PEM text (one or more keys).

        Raises ValueError when the source holds no Ed25519 key: pinning keys that cannot verify
        anything is a mistake to report at start-up, not at the first license check.
        """
        if isinstance(source, bytes):
            source = source.decode("utf-8")
        if isinstance(source, str):
            text = source.strip()
            if text.startswith("{"):
                return cls.from_jwks(json.loads(text))
            return cls.from_pem(text)
        return cls.from_jwks(source)

    @classmethod
    def from_jwks(cls, jwks: Mapping[str, Any]) -> KeyRing:
        entries = jwks.get("keys") if "keys" in jwks else [jwks]
        if not isinstance(entries, list):
            raise ValueError("a JWKS has a list of keys")
        by_kid: dict[str, Ed25519PublicKey] = {}
        unnamed: list[Ed25519PublicKey] = []
        retired: dict[str, float] = {}
        for entry in entries:
            key = _okp_key(entry)
            if key is None:
                continue
            kid = entry.get("kid")
            if isinstance(kid, str) and kid:
                by_kid.setdefault(kid, key)
                at = entry.get("retired_at")
                if isinstance(at, int | float) and not isinstance(at, bool):
                    retired[kid] = float(at)
            else:
                unnamed.append(key)
        ring = cls(by_kid, unnamed, retired)
        if not ring:
            raise ValueError("the JWKS holds no Ed25519 signing key")
        return ring

    @classmethod
    def from_pem(cls, text: str) -> KeyRing:
        keys: list[Ed25519PublicKey] = []
        for block in text.split(_PEM_BEGIN)[1:]:
            key = serialization.load_pem_public_key((_PEM_BEGIN + block).encode())
            if not isinstance(key, Ed25519PublicKey):
                raise ValueError("license keys are Ed25519; this PEM holds another kind of key")
            keys.append(key)
        if not keys:
            raise ValueError("no PEM public key found")
        return cls(unnamed=keys)


def _okp_key(entry: object) -> Ed25519PublicKey | None:
    if not isinstance(entry, Mapping):
        return None
    if entry.get("kty") != "OKP" or entry.get("crv") != "Ed25519":
        return None
    if entry.get("use", "sig") != "sig":
        return None
    x = entry.get("x")
    if not isinstance(x, str):
        return None
    try:
        raw = base64.urlsafe_b64decode(x + "=" * (-len(x) % 4))
        return Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError):
        return None


def key_id(token: str) -> str | None:
    """The ``kid`` in the token's header; LicenseError when the text is not a JWT.

    Read directly rather than through ``jwt.get_unverified_header``, which validates every
    character of every segment: the signature check that follows does that once anyway, and
    it is the larger part of what ``load()`` costs.
    """
    header_segment, _, rest = token.partition(".")
    try:
        if not rest or not _SEGMENT.fullmatch(header_segment):
            raise ValueError(token)
        header = json.loads(
            base64.urlsafe_b64decode(header_segment + "=" * (-len(header_segment) % 4))
        )
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise LicenseError(errors.LICENSE_CORRUPT, "The license text is not a license.") from None
    kid = header.get("kid") if isinstance(header, dict) else None
    return kid if isinstance(kid, str) else None


def verify_signature(token: str, keys: KeyRing) -> tuple[dict[str, Any], str | None]:
    """The claims of a token signed by one of ``keys``, and its kid."""
    kid = key_id(token)
    for key in keys.candidates(kid):
        try:
            decoded = _JWS.decode_complete(token, key, algorithms=[ALGORITHM])
        except jwt.InvalidSignatureError:
            continue
        except jwt.PyJWTError:
            # A wrong algorithm (``none``, HS256 with the public key as secret…) or a broken
            # structure: refused like any signature that does not verify.
            break
        try:
            claims = json.loads(decoded["payload"])
        except (UnicodeDecodeError, ValueError):
            break
        if isinstance(claims, dict):
            return claims, kid
        break
    if kid is not None and kid not in keys and not keys.unnamed:
        raise LicenseError(
            errors.SIGNATURE_INVALID,
            f"This was signed by a key that this application does not trust ({kid}): another "
            "vendor's, or one not published by this product's activation service.",
            details={"kid": kid},
        )
    raise LicenseError(
        errors.SIGNATURE_INVALID,
        "The license was changed, or it was not signed by this product's activation service.",
    )


# A retired key signs nothing new; what it signed before its retirement stays good for licenses
# of offline-forever products (they cannot be re-issued), but a lease, or the license of a
# product that checks in, is accepted for this many days after the retirement only: a machine
# that checks in meanwhile gets both again under the current key.
RETIRED_KEY_DAYS = 30
DAY = 86400.0


def check_key_retirement(
    keys: KeyRing,
    kid: str | None,
    *,
    issued: float,
    now: float,
    bounded: bool,
    clock_tolerance: float,
) -> None:
    """Refuses (``KEY_RETIRED``) a token its key signed after the key's retirement, and a
    ``bounded`` one (a lease, a check-in product's license) once the key has been retired for
    longer than :data:`RETIRED_KEY_DAYS`."""
    retired = keys.retired.get(kid) if kid is not None else None
    if retired is None:
        return
    if issued > retired + clock_tolerance:
        raise LicenseError(
            errors.KEY_RETIRED,
            f"This was signed on {_iso(issued)} by a key retired on {_iso(retired)}.",
            details={"kid": kid, "retired_at": _iso(retired), "issued_at": _iso(issued)},
        )
    if bounded and now >= retired + RETIRED_KEY_DAYS * DAY:
        raise LicenseError(
            errors.KEY_RETIRED,
            f"This was signed by a key retired on {_iso(retired)}, more than "
            f"{RETIRED_KEY_DAYS} days ago. Connect to the network so that the machine can check "
            "in and receive it under the current key.",
            details={"kid": kid, "retired_at": _iso(retired)},
        )


def check_claims(
    claims: Mapping[str, Any],
    *,
    token: str,
    kid: str | None,
    product: str,
    fingerprint: str | None,
    now: float,
    not_before: float,
    clock_tolerance: float,
    release_date: float | None = None,
) -> License:
    """The License for verified claims, after the checks that bind it to here and now.

    ``fingerprint`` None skips the machine check (deactivation frees the slot of a machine whose
    hardware changed). ``not_before`` is the latest time this license is known to have existed.
    ``release_date`` is the running build's: refused when the license's update subscription
    (``upd``) ended before it.
    """
    try:
        serial = _text(claims, "sub")
        audience = claims.get("aud")
        machine = _text(claims, "fp")
        activation_id = _text(claims, "aid")
        license_type = _text(claims, "typ")
        features = claims.get("feat", [])
        issued = float(claims["iat"])
        expires = None if claims.get("exp") is None else float(claims["exp"])
        updates = None if claims.get("upd") is None else float(claims["upd"])
        issuer = str(claims.get("iss", ""))
        check_in_days, grace_days = _policy(claims.get("lease"))
    except (KeyError, TypeError, ValueError):
        raise LicenseError(
            errors.LICENSE_CORRUPT, "The license lacks a field every license has."
        ) from None
    if not isinstance(features, list) or not all(isinstance(item, str) for item in features):
        raise LicenseError(errors.LICENSE_CORRUPT, "The license's feature list is unreadable.")
    if license_type not in LICENSE_TYPES:
        # A lease, a refusal or a revocation list is signed by the same keys: none is a license.
        raise LicenseError(errors.LICENSE_CORRUPT, f"This is a {license_type}, not a license.")
    audiences = [audience] if isinstance(audience, str) else audience
    if not isinstance(audiences, list) or product not in audiences:
        raise LicenseError(
            errors.WRONG_PRODUCT,
            f"This license is for {audience!r}, not for {product!r}.",
            details={"license_product": audience, "product": product},
        )
    if fingerprint is not None and machine != fingerprint:
        raise LicenseError(errors.WRONG_MACHINE, "This license was issued to another machine.")
    if now + clock_tolerance < max(not_before, issued):
        raise LicenseError(
            errors.CLOCK_TAMPERED,
            "The system clock is set earlier than a time this license has already seen.",
            details={"now": _iso(now), "seen": _iso(max(not_before, issued))},
        )
    if expires is not None and now >= expires:
        raise LicenseError(
            errors.EXPIRED,
            f"This license expired on {_iso(expires)}.",
            details={"expires_at": _iso(expires)},
        )
    if updates is not None and release_date is not None and release_date > updates:
        raise LicenseError(
            errors.UPDATES_EXPIRED,
            f"This version was released on {_iso(release_date)[:10]}, after this license's "
            f"update subscription ended on {_iso(updates)[:10]}.",
            details={"updates_until": _iso(updates), "release_date": _iso(release_date)},
        )
    return License(
        serial=serial,
        product=product,
        features=tuple(features),
        type=license_type,
        expires_at=None if expires is None else datetime.fromtimestamp(expires, UTC),
        activation_id=activation_id,
        fingerprint=machine,
        issued_at=datetime.fromtimestamp(issued, UTC),
        issuer=issuer,
        key_id=kid,
        token=token,
        check_in_days=check_in_days,
        grace_days=grace_days,
        updates_until=None if updates is None else datetime.fromtimestamp(updates, UTC),
    )


LEASE = "lease"
REFUSAL = "refusal"
LICENSE_TYPES = ("full", "trial")


def _policy(value: object) -> tuple[int, int]:
    """The check-in policy of the ``lease`` claim: (check_in_days, grace_days)."""
    if value is None:
        return 0, 0
    if not isinstance(value, Mapping):
        raise TypeError("lease")
    days, grace = value.get("check_in_days", 0), value.get("grace_days", 0)
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in (days, grace)):
        raise ValueError("lease")
    return int(days), int(grace)


@dataclass(frozen=True)
class Lease:
    """A verified lease: the service's word, at ``issued``, that the license is good until
    ``expires`` and that the machine should check in again from ``due``."""

    issued: float
    due: float
    expires: float
    features: tuple[str, ...]


def _bound(claims: Mapping[str, Any], license: License, kind: str) -> bool:
    """Whether these signed claims are a ``kind`` token for exactly this activation here."""
    return (
        claims.get("typ") == kind
        and claims.get("aid") == license.activation_id
        and claims.get("sub") == license.serial
        and claims.get("fp") == license.fingerprint
        and (claims.get("aud") == license.product or claims.get("aud") == [license.product])
    )


def check_lease(
    claims: Mapping[str, Any], license: License, *, now: float, clock_tolerance: float
) -> Lease:
    """The lease in verified claims, for this license and still running; LicenseError else."""
    if claims.get("typ") != LEASE:
        raise LicenseError(errors.LEASE_REQUIRED, "The stored lease is not a lease.")
    if not _bound(claims, license, LEASE):
        raise LicenseError(
            errors.LEASE_MISMATCH,
            "The stored lease was issued for another activation than this license's.",
            details={"lease_activation_id": claims.get("aid")},
        )
    try:
        issued, due, expires = (float(claims[name]) for name in ("iat", "due", "exp"))
        features = tuple(str(item) for item in claims.get("feat", []))
    except (KeyError, TypeError, ValueError):
        raise LicenseError(errors.LEASE_REQUIRED, "The stored lease is unreadable.") from None
    if now + clock_tolerance < issued:
        raise LicenseError(
            errors.CLOCK_TAMPERED,
            "The system clock is set earlier than the last check-in.",
            details={"now": _iso(now), "seen": _iso(issued)},
        )
    if now >= expires:
        raise LicenseError(
            errors.LEASE_EXPIRED,
            f"This machine last checked in on {_iso(issued)}; its lease ended on "
            f"{_iso(expires)}. Connect it to the network so it can check in.",
            details={"lease_expires_at": _iso(expires)},
        )
    return Lease(issued=issued, due=due, expires=expires, features=features)


def refusal_code(claims: Mapping[str, Any], license: License) -> str | None:
    """The code of a verified refusal of this license (None when it concerns another)."""
    if not _bound(claims, license, REFUSAL):
        return None
    code = claims.get("code")
    return code if isinstance(code, str) and code else None


def _text(claims: Mapping[str, Any], name: str) -> str:
    value = claims[name]
    if not isinstance(value, str):
        raise TypeError(name)
    return value


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")
