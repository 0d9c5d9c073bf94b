"""The activation API's bodies (DESIGN.md §3) as msgspec types: decoded from requests, and the
source of the OpenAPI document's schemas.

Decoding checks shape and type; what needs the domain (a serial's check symbol, the
fingerprint's form, feature codes, the client metadata's size) is checked afterwards by
:mod:`activation_server.activations.requests`, in the order the contract's codes need
(``SERIAL_MALFORMED`` before the other fields' form), so those rules are only documented here.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from activation_server.bodies import Time
from client_sdk.fingerprint import COMPONENT_NAMES

FINGERPRINT_PATTERN = "^[0-9a-f]{64}$"
FEATURE_PATTERN = "^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
MAX_FEATURES = 64
MAX_CLIENT_BYTES = 2048
MAX_LICENSE_CHARS = 8192
MAX_REQUEST_CODE_CHARS = 8192

Serial = Annotated[
    str,
    Meta(
        max_length=64,
        description=(
            "As a person types it: case, spaces and dashes are ignored, Crockford look-alikes "
            "folded (O→0, I/L→1)."
        ),
        examples=["7KQ2M-4X9PR-T3VW8-ANC5J"],
    ),
]
Fingerprint = Annotated[
    str,
    Meta(
        max_length=64,
        description="SHA-256 of the machine's hardware components, 64 lowercase hex digits.",
        extra_json_schema={"pattern": FINGERPRINT_PATTERN},
    ),
]
Features = Annotated[
    list[str],
    Meta(
        description="Feature codes, at most 64, each 1-64 letters, digits, '_', '.' or '-'.",
        extra_json_schema={"maxItems": MAX_FEATURES, "items": {"pattern": FEATURE_PATTERN}},
    ),
]
Client = Annotated[
    dict[str, Any],
    Meta(description="Free metadata (app version, OS, host), at most 2 KiB as UTF-8 JSON."),
]
Components = Annotated[
    dict[str, str],
    Meta(
        description=(
            "One hash per hardware component (docs/protocol.md): a product with a "
            "binding_tolerance keeps the activation of a machine whose few components changed."
        ),
        extra_json_schema={
            "properties": {
                name: {"type": "string", "pattern": FINGERPRINT_PATTERN} for name in COMPONENT_NAMES
            },
            "additionalProperties": False,
            "minProperties": 1,
        },
    ),
]
License = Annotated[
    str, Meta(max_length=MAX_LICENSE_CHARS, description="The license token (a JWT).")
]


class ActivationBody(msgspec.Struct, kw_only=True):
    """``null`` in an optional field is the same as leaving it out (the contract's ``?``)."""

    serial: Serial
    fingerprint: Fingerprint
    product: Annotated[str, Meta(max_length=64)] | None = None
    features: Features | None = None
    client: Client | None = None
    fingerprint_components: Components | None = None


class OfflineActivationBody(msgspec.Struct, kw_only=True):
    request: Annotated[
        str,
        Meta(
            max_length=MAX_REQUEST_CODE_CHARS,
            description="The activation request code the SDK wrote (offline_request).",
        ),
    ]
    client: Client | None = None


class LicenseBody(msgspec.Struct, kw_only=True):
    license: License


class ValidationBody(msgspec.Struct, kw_only=True):
    """Either ``license``, or both ``serial`` and ``fingerprint``."""

    license: License | UnsetType = UNSET
    serial: Serial | UnsetType = UNSET
    fingerprint: Fingerprint | UnsetType = UNSET
    fingerprint_components: Components | None = None


class Usage(msgspec.Struct):
    used: int
    limit: int


class Activation(msgspec.Struct, kw_only=True):
    activation_id: Annotated[str, Meta(extra_json_schema={"format": "uuid"})]
    serial: str
    product: str
    type: Literal["full", "trial"]
    features: list[str]
    activations: Usage
    expires_at: Time | None
    updates_until: Time | None = None
    license: str
    changed_components: (
        Annotated[
            list[str],
            Meta(
                description="When the activation moved to this machine (tolerant binding).",
                extra_json_schema={"items": {"enum": list(COMPONENT_NAMES)}},
            ),
        ]
        | UnsetType
    ) = UNSET
    lease: Annotated[str, Meta(description="A signed lease, when check-ins are due.")] | (
        UnsetType
    ) = UNSET


ValidationCode = Literal[
    "VALID",
    "NOT_ACTIVATED",
    "DEACTIVATED",
    "SERIAL_BLOCKED",
    "EXPIRED",
    "SERIAL_EXPIRED",
    "SIGNATURE_INVALID",
    "SERIAL_NOT_FOUND",
]


class Validation(msgspec.Struct, kw_only=True):
    valid: bool
    code: ValidationCode
    message: str
    serial: str | UnsetType = UNSET
    product: str | UnsetType = UNSET
    type: Literal["full", "trial"] | UnsetType = UNSET
    activations: Usage | UnsetType = UNSET
    activation_id: str | UnsetType = UNSET
    expires_at: Time | UnsetType | None = UNSET
    deactivated_at: Time | UnsetType | None = UNSET


class CheckInPolicy(msgspec.Struct):
    check_in_days: int
    grace_days: int


class CheckIn(Validation, kw_only=True):
    check_in: CheckInPolicy
    lease: str | UnsetType = UNSET
    refusal: str | UnsetType = UNSET
    license: str | UnsetType = UNSET


class Deactivation(msgspec.Struct):
    activation_id: Annotated[str, Meta(extra_json_schema={"format": "uuid"})]
    deactivated_at: Time
    activations: Usage
