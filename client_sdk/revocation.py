"""The vendor's signed revocation list: how a machine that never goes online learns of a block,
a release, a deactivation or an expiry.

The list is a token signed by the vendor's current key (``typ: "revocations"``), numbered by
``seq``, which only grows: the SDK keeps the highest it was given and refuses an older one, so
shipping an old update cannot undo a newer list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from client_sdk import errors
from client_sdk.errors import LicenseError

REVOCATIONS = "revocations"
REASONS = ("blocked", "released", "deactivated", "expired")
# What load() raises for each reason: the same codes a check-in's signed refusal carries.
REASON_CODES = {
    "blocked": "SERIAL_BLOCKED",
    "released": "DEACTIVATED",
    "deactivated": "DEACTIVATED",
    "expired": "SERIAL_EXPIRED",
}
REASON_MESSAGES = {
    "blocked": "The serial number of this license was blocked by its vendor.",
    "released": "The vendor released this machine's activation.",
    "deactivated": "This machine's activation was deactivated.",
    "expired": "The serial number's term has ended.",
}


@dataclass(frozen=True)
class RevocationList:
    """A verified revocation list."""

    vendor: str
    sequence: int
    issued: float
    serials: Mapping[str, str] = field(default_factory=dict)
    activations: Mapping[str, str] = field(default_factory=dict)
    # Keys the vendor has retired, with when (a pinned JWKS older than the retirement does not
    # know it).
    retired_keys: Mapping[str, float] = field(default_factory=dict)
    token: str = ""

    @property
    def issued_at(self) -> datetime:
        return datetime.fromtimestamp(self.issued, UTC)

    def reason(self, serial: str, activation_id: str) -> str | None:
        """Why this activation is revoked (its serial first), None when it is not."""
        return self.serials.get(serial) or self.activations.get(activation_id)


def _entries(value: object, name: str) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise TypeError(name)
    entries: dict[str, str] = {}
    for key, reason in value.items():
        if not isinstance(key, str) or reason not in REASONS:
            raise ValueError(name)
        entries[key] = reason
    return entries


def parse(claims: Mapping[str, Any], token: str) -> RevocationList:
    """The list in verified claims; LicenseError (``REVOCATION_LIST_INVALID``) when they are not
    a revocation list."""
    try:
        if claims.get("typ") != REVOCATIONS:
            raise ValueError("typ")
        sequence, issued = claims["seq"], claims["iat"]
        if isinstance(sequence, bool) or not isinstance(sequence, int) or sequence < 1:
            raise ValueError("seq")
        if isinstance(issued, bool) or not isinstance(issued, int | float):
            raise ValueError("iat")
        vendor = claims.get("vnd", "")
        if not isinstance(vendor, str):
            raise ValueError("vnd")
        retired = claims.get("retired", {})
        if not isinstance(retired, Mapping) or not all(
            isinstance(kid, str) and isinstance(at, int | float) and not isinstance(at, bool)
            for kid, at in retired.items()
        ):
            raise ValueError("retired")
        return RevocationList(
            vendor=vendor,
            sequence=sequence,
            issued=float(issued),
            serials=_entries(claims.get("serials", {}), "serials"),
            activations=_entries(claims.get("activations", {}), "activations"),
            retired_keys={kid: float(at) for kid, at in retired.items()},
            token=token,
        )
    except (KeyError, TypeError, ValueError) as error:
        raise LicenseError(
            errors.REVOCATION_LIST_INVALID,
            f"This is not a revocation list of this product's vendor ({error}).",
        ) from None
