"""The errors the SDK raises, each carrying a stable ``code``.

::

    ClientError                  base: .code, .message, .hint, .status, .details
    ├── ActivationError          a request to the activation service was refused or could not be
    │                            made: activate(), deactivate(), offline_request()
    └── LicenseError             the license on this machine is missing, does not verify, or is
                                 no longer valid: load(), validate(), install()

Branch on ``error.code``, never on the message: the message is written for a person (and for a
server refusal it is the server's own text), the code is the contract. Codes the server sends
(``SERIAL_NOT_FOUND``, ``ACTIVATION_LIMIT_REACHED``, ``DEACTIVATED`` …) are passed through
unchanged; the SDK adds its own for what it finds locally:

==========================  ==================================================================
``SERIAL_MALFORMED``        the serial has a typo (caught locally, before any request)
``NETWORK_ERROR``           the service could not be reached, even after retries
``SERVICE_UNAVAILABLE``     the service answered 5xx, even after retries
``PROTOCOL_ERROR``          the service answered something that is not the activation API
``FINGERPRINT_UNAVAILABLE`` no stable hardware component could be read on this machine
``NOT_ACTIVATED``           no license is stored for this product on this machine
``LICENSE_CORRUPT``         the stored license file or the license text cannot be read
``SIGNATURE_INVALID``       the license was changed, or signed by a key this product does not
                            trust
``KEYS_UNAVAILABLE``        no public keys to verify with: none pinned, none cached, and the
                            service could not be asked
``WRONG_PRODUCT``           the license is for another product
``WRONG_MACHINE``           the license was issued to another machine
``EXPIRED``                 the (trial or term) license has expired
``UPDATES_EXPIRED``         this build was released after the license's update subscription
                            ended (older builds still run)
``CLOCK_TAMPERED``          the system clock is earlier than a time this license already saw
``OFFLINE_GRACE_EXPIRED``   validate() could not reach the service and the offline grace
                            period since the last successful check is over
``LEASE_REQUIRED``          the product requires check-ins and no valid signed lease is stored
                            (never checked in, or the stored lease was altered)
``LEASE_EXPIRED``           the product requires check-ins and the last lease has ended: the
                            machine must reach the service
``LEASE_MISMATCH``          the stored lease is signed but belongs to another activation
``KEY_RETIRED``             signed by a key after its retirement, or (a lease, a check-in
                            product's license) by a key retired more than 30 days ago
``REVOCATION_LIST_INVALID`` the revocation list given does not verify or cannot be read
``REVOCATION_LIST_OUTDATED`` the revocation list given is older than the one already kept
==========================  ==================================================================

A license named in the kept revocation list is refused by ``load()`` with the code of its
reason (``SERIAL_BLOCKED``, ``DEACTIVATED``, ``SERIAL_EXPIRED``).

A license of a product that requires check-ins also answers, at a check-in, with the service's
signed refusal (``DEACTIVATED``, ``SERIAL_BLOCKED`` …): the SDK keeps it and ``load()`` raises
it from then on, even offline.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SERIAL_MALFORMED = "SERIAL_MALFORMED"
NETWORK_ERROR = "NETWORK_ERROR"
SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
PROTOCOL_ERROR = "PROTOCOL_ERROR"
FINGERPRINT_UNAVAILABLE = "FINGERPRINT_UNAVAILABLE"
NOT_ACTIVATED = "NOT_ACTIVATED"
LICENSE_CORRUPT = "LICENSE_CORRUPT"
SIGNATURE_INVALID = "SIGNATURE_INVALID"
KEYS_UNAVAILABLE = "KEYS_UNAVAILABLE"
WRONG_PRODUCT = "WRONG_PRODUCT"
WRONG_MACHINE = "WRONG_MACHINE"
EXPIRED = "EXPIRED"
UPDATES_EXPIRED = "UPDATES_EXPIRED"
CLOCK_TAMPERED = "CLOCK_TAMPERED"
OFFLINE_GRACE_EXPIRED = "OFFLINE_GRACE_EXPIRED"
NO_SERVER = "NO_SERVER"
LEASE_REQUIRED = "LEASE_REQUIRED"
LEASE_EXPIRED = "LEASE_EXPIRED"
LEASE_MISMATCH = "LEASE_MISMATCH"
KEY_RETIRED = "KEY_RETIRED"
REVOCATION_LIST_INVALID = "REVOCATION_LIST_INVALID"
REVOCATION_LIST_OUTDATED = "REVOCATION_LIST_OUTDATED"

# What a person can do about each refusal; shown after the message, kept out of it so the
# server's own wording (which may name the offending features, say) is never lost.
_HINTS: dict[str, str] = {
    SERIAL_MALFORMED: "Check the serial number for a mistyped character.",
    "SERIAL_NOT_FOUND": "Check the serial number, or ask the vendor for a valid one.",
    "SERIAL_BLOCKED": "Contact the vendor of this product.",
    "SERIAL_EXPIRED": "Contact the vendor for a new serial number.",
    "PRODUCT_MISMATCH": "This serial number belongs to another product.",
    "ACTIVATION_LIMIT_REACHED": (
        "Deactivate the license on a machine you no longer use, or buy another serial number."
    ),
    "DEACTIVATION_NOT_ALLOWED": "Trial licenses cannot be moved to another machine.",
    "RATE_LIMITED": "Wait a few minutes before trying again.",
    NETWORK_ERROR: "Check the network connection, or activate offline with a request code.",
    SERVICE_UNAVAILABLE: "Try again in a few minutes.",
    FINGERPRINT_UNAVAILABLE: "Set a fingerprint explicitly (see the SDK documentation).",
    NOT_ACTIVATED: "Activate this product with its serial number.",
    LICENSE_CORRUPT: "Activate again with the serial number.",
    SIGNATURE_INVALID: "Activate again with the serial number.",
    WRONG_MACHINE: "Licenses cannot be copied between machines: activate on this machine.",
    WRONG_PRODUCT: "Activate this product with its own serial number.",
    EXPIRED: "Buy a license to continue using this product.",
    UPDATES_EXPIRED: "Renew the update subscription, or run a version released before it ended.",
    CLOCK_TAMPERED: "Set the system clock to the correct date and time.",
    OFFLINE_GRACE_EXPIRED: "Connect to the network so that the license can be checked.",
    "DEACTIVATED": "Activate again with the serial number.",
    KEYS_UNAVAILABLE: "Connect to the network once, or install the product's public keys.",
    "LEASE_REQUIRED": "Connect to the network so that the license can be checked.",
    "LEASE_EXPIRED": "Connect to the network so that the license can be checked.",
    KEY_RETIRED: "Connect to the network so that the license can be checked.",
    REVOCATION_LIST_OUTDATED: "A newer revocation list is already in place; nothing to do.",
    REVOCATION_LIST_INVALID: "Use the revocation list exported by this product's vendor.",
}


class ClientError(Exception):
    """Base of the SDK's errors; ``code`` is stable, ``message`` is for a person."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int | None = None,
        details: Mapping[str, Any] | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.code = code
        self.message = message
        self.hint = _HINTS.get(code, "")
        self.status = status
        self.details: dict[str, Any] = dict(details or {})
        self.retry_after = retry_after
        super().__init__(f"{message} {self.hint}".strip())

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class ActivationError(ClientError):
    """An activation or deactivation was refused by the service, or could not be sent."""


class LicenseError(ClientError):
    """The license on this machine is missing, does not verify, or is no longer valid."""
