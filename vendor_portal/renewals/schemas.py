"""The bodies of /v1/renewals as msgspec types: decoded from requests, and the source of the API
reference's schemas. Which serials can be renewed, and at what price, is the service's to say
line by line."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from vendor_portal.parsing import MAX_BIGINT, SignedMoney
from vendor_portal.renewals.service import MAX_MONTHS, MAX_UPLOAD_LINES

Months = Annotated[int, Meta(ge=1, le=MAX_MONTHS, description="Months to renew for; left out: 12.")]
Reason = Literal["malformed", "not_found", "duplicate", "blocked", "trial", "locked", "no_price"]
Serials = Annotated[
    list[str],
    Meta(
        description=f"Serial numbers as people type them, at most {MAX_UPLOAD_LINES:,}.",
        extra_json_schema={"maxItems": MAX_UPLOAD_LINES},
    ),
]


class RenewalQuery(msgspec.Struct, kw_only=True):
    months: Annotated[Months, Meta(description="When the body does not say.")] | None = None


class QuoteQuery(RenewalQuery, kw_only=True):
    vendor_id: (
        Annotated[int, Meta(ge=1, le=MAX_BIGINT, description="Staff only, and required of staff.")]
        | None
    ) = None


class QuoteBody(msgspec.Struct, kw_only=True):
    """The upload as JSON: ``text`` (a pasted list or CSV), or else ``serials``."""

    text: (
        Annotated[str, Meta(description="One serial a line, or CSV whose first column holds them.")]
        | UnsetType
    ) = UNSET
    serials: Serials | UnsetType = UNSET
    months: Months | UnsetType = UNSET


class RenewalBody(msgspec.Struct, kw_only=True):
    serials: Serials
    months: Months | UnsetType = UNSET
    vendor_id: (
        Annotated[int, Meta(ge=1, le=MAX_BIGINT, description="Staff only, and required of staff.")]
        | UnsetType
    ) = UNSET


class QuotedLine(msgspec.Struct, kw_only=True):
    line: Annotated[int, Meta(description="The line of the upload, from 1.")]
    serial: str
    product: str
    product_name: str
    license_type: str
    kind: Annotated[
        Literal["updates", "term"],
        Meta(description="What is renewed: the update subscription, or the term."),
    ]
    previous_end: datetime | None
    running: Annotated[bool, Meta(description="The current subscription or term still runs.")]
    months: int
    list_price: SignedMoney
    discount_percent: int
    amount: SignedMoney


class RefusedLine(msgspec.Struct, kw_only=True):
    line: int
    text: Annotated[str, Meta(description="The line as uploaded, at most 64 characters.")]
    serial: str | None
    reason: Reason
    message: str
    order_number: Annotated[
        int | None, Meta(description="The unpaid renewal order that holds the serial (locked).")
    ]


class RenewalQuote(msgspec.Struct, kw_only=True):
    currency: str
    months: int
    partner_discount_percent: int
    early_renewal_percent: int
    items: list[QuotedLine]
    refused: list[RefusedLine]
    total: Annotated[
        int, Meta(description="What the priced lines cost together, in minor units (not a count).")
    ]
