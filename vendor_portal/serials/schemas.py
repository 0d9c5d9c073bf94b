"""Serials in the vendor API: the list's query, the bodies of group work, blocking, transfer
grants and feature changes, and the serial, its machines and group work's result as answered.

The types say shape and bounds; the handlers then hold serials to their check symbol, feature
codes to :mod:`vendor_portal.parsing` and free text to storable, non-blank text.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from activation_server.activations.schemas import Usage
from activation_server.bodies import Time
from activation_server.declare import Limit, PageQuery, Param
from vendor_portal.parsing import MAX_BIGINT, PRODUCT_CODE_PATTERN
from vendor_portal.products.schemas import FeatureCodes, StaffVendor
from vendor_portal.serials.service import (
    MAX_BULK_LINES,
    BulkAction,
    LicenseType,
    SerialUsage,
    Status,
)

# A pasted list or an uploaded CSV of 10 000 serials is about 250 KiB.
MAX_BULK_BYTES = 1024 * 1024

Uuid = Annotated[str, Meta(extra_json_schema={"format": "uuid"})]

SERIAL = Param(
    "serial",
    "path",
    {"type": "string", "pattern": "^[0-9A-Za-z -]{1,100}$"},
    "As a person types it: case, spaces and dashes are ignored.",
)


class SerialQuery(PageQuery, kw_only=True):
    limit: Limit = 100
    q: (
        Annotated[
            str,
            Meta(
                min_length=1,
                max_length=100,
                description="Part of a serial number, as typed (dashes and spaces ignored), up "
                "to 20 symbols.",
            ),
        ]
        | None
    ) = None
    order_id: Annotated[int, Meta(ge=1, le=MAX_BIGINT, description="One order's.")] | None = None
    product: (
        Annotated[str, Meta(pattern=PRODUCT_CODE_PATTERN, description="One product's, by code.")]
        | None
    ) = None
    license_type: Annotated[LicenseType, Meta(description="One license type's.")] | None = None
    status: Annotated[Status, Meta(description="Active or blocked ones.")] | None = None
    usage: (
        Annotated[
            SerialUsage,
            Meta(
                description="unused: no machine yet; used: one or more; exhausted: every "
                "activation taken."
            ),
        ]
        | None
    ) = None
    vendor_id: StaffVendor | None = None


class CardQuery(PageQuery, kw_only=True):
    """The page of the serial's machines (``activation_list``)."""

    limit: Limit = 200


class Serial(msgspec.Struct, kw_only=True):
    serial: str
    product: str
    license_type: LicenseType
    type: Literal["full", "trial"]
    features: list[str]
    status: Status
    activations: Usage
    order_id: int | None
    order_number: int | None
    valid_until: Annotated[Time, Meta(description="A term license's end.")] | None
    created_at: Time


class SerialActivation(msgspec.Struct, kw_only=True):
    """A machine that activated the serial (live, or freed: ``deactivated_at``)."""

    activation_id: Uuid
    fingerprint: str
    features: list[str]
    client: dict[str, Any]
    address: str | None
    via: Literal["online", "offline"]
    created_at: Time
    last_seen_at: Time
    expires_at: Time | None
    deactivated_at: Time | None
    last_check_in_at: Time | None
    released_by: (
        Annotated[
            Literal["machine", "vendor", "licensee"],
            Meta(description="Who freed the machine's slot last."),
        ]
        | None
    )
    components_changed: (
        Annotated[
            list[str],
            Meta(
                description="The hardware components that changed when it moved (tolerant binding)."
            ),
        ]
        | None
    )
    components_changed_at: Time | None


class SerialCard(Serial, kw_only=True):
    activation_list: Annotated[
        list[SerialActivation], Meta(description="A page of its machines, oldest first.")
    ]


class StatusChange(msgspec.Struct, kw_only=True):
    reason: (
        Annotated[str, Meta(min_length=1, max_length=500, description="Kept in the audit log.")]
        | UnsetType
    ) = UNSET


class BulkQuery(msgspec.Struct, kw_only=True):
    action: (
        Annotated[
            BulkAction,
            Meta(
                description="What to do with the valid serials of a text/csv or text/plain "
                "list (default check); checked for a JSON body too."
            ),
        ]
        | None
    ) = None


class BulkRequest(msgspec.Struct, kw_only=True):
    """``serials``, or ``text`` when ``serials`` is left out."""

    action: BulkAction = "check"
    serials: (
        Annotated[list[str], Meta(max_length=MAX_BULK_LINES, description="One serial each.")]
        | UnsetType
    ) = UNSET
    text: (
        Annotated[
            str,
            Meta(
                min_length=1,
                max_length=MAX_BULK_BYTES,
                description="A pasted list or CSV: each line's first cell.",
            ),
        ]
        | UnsetType
    ) = UNSET


class BulkLine(msgspec.Struct, kw_only=True):
    line: int
    input: str
    serial: str | None
    result: Annotated[
        Literal["ok", "malformed", "unknown", "duplicate"],
        Meta(description="Another company's serial is unknown, as if it did not exist."),
    ]


class BulkSummary(msgspec.Struct, kw_only=True):
    ok: int
    malformed: int
    unknown: int
    duplicate: int


class BulkResult(msgspec.Struct, kw_only=True):
    action: BulkAction
    lines: list[BulkLine]
    summary: BulkSummary
    changed: Annotated[int, Meta(description="How many serials changed status.")]


class TransferGrant(msgspec.Struct, kw_only=True):
    extra: Annotated[int, Meta(ge=1, le=1000, description="Transfers beyond the product's budget.")]


class TransfersGranted(msgspec.Struct, kw_only=True):
    serial: str
    transfers_granted: int


class FeatureChange(msgspec.Struct, kw_only=True):
    features: FeatureCodes


class OrderFeatures(msgspec.Struct, kw_only=True):
    order_id: int
    serials: Annotated[int, Meta(description="How many serials changed.")]
    features: list[str]
