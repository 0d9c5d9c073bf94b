"""The bodies of /v1/orders as msgspec types: decoded from requests, and the source of the API
reference's schemas.

A type checks shape, type and range; what needs more than the type can say (a product code or
feature code written to the end, free text that is only spaces or holds characters that cannot
be stored) is checked by the handler with :mod:`vendor_portal.parsing`, and what needs the
database (the product, the license type, the order's state) by the service.

An optional number or text that is left out is left out: ``null`` there is refused, as the
hand-written parser refused it. ``features: null`` on a line was always "the product's
features" and stays so.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from activation_server.activations.schemas import FEATURE_PATTERN, MAX_FEATURES
from activation_server.bodies import Time
from activation_server.declare import PageQuery
from vendor_portal.orders.service import (
    MAX_LINE_QUANTITY,
    MAX_LINES,
    MAX_ORDER_QUANTITY,
    MAX_TERM_MONTHS,
)
from vendor_portal.parsing import MAX_BIGINT, PRODUCT_CODE_PATTERN, Money

Status = Literal["placed", "invoiced", "fulfilled", "cancelled"]
VendorId = Annotated[int, Meta(ge=1, le=MAX_BIGINT)]
StaffVendorId = Annotated[
    int, Meta(ge=1, le=MAX_BIGINT, description="Staff only, and required of staff: the company.")
]
Term = Annotated[int, Meta(ge=1, le=MAX_TERM_MONTHS)]
Features = Annotated[
    list[str],
    Meta(
        description=(
            "Feature codes, at most 64, each 1-64 letters, digits, '_', '.' or '-'; "
            "left out or null: every feature of the product."
        ),
        extra_json_schema={"maxItems": MAX_FEATURES, "items": {"pattern": FEATURE_PATTERN}},
    ),
]
Reference = Annotated[str, Meta(min_length=1, max_length=100)]


# --- requests ------------------------------------------------------------------------------


class OrderLineBody(msgspec.Struct, kw_only=True):
    product: Annotated[
        str,
        Meta(
            max_length=64,
            description="The product's code.",
            extra_json_schema={"pattern": PRODUCT_CODE_PATTERN},
        ),
    ]
    license_type: Annotated[
        str,
        Meta(
            min_length=1,
            max_length=20,
            description="A license type of the price list (SP1, SP3, TRIAL30K, ...).",
        ),
    ]
    quantity: Annotated[
        int,
        Meta(
            ge=1,
            le=MAX_LINE_QUANTITY,
            description=f"Serials of this line; an order has at most {MAX_ORDER_QUANTITY} in all.",
        ),
    ]
    features: Features | None = None
    term_months: (
        Annotated[
            Term,
            Meta(
                description=(
                    "A term license: the serials stop working this long after fulfilment "
                    "(SERIAL_EXPIRED)."
                )
            ),
        ]
        | UnsetType
    ) = UNSET
    updates_months: (
        Annotated[Term, Meta(description="An initial update subscription (license claim 'upd').")]
        | UnsetType
    ) = UNSET


class OrderBody(msgspec.Struct, kw_only=True):
    lines: Annotated[list[OrderLineBody], Meta(min_length=1, max_length=MAX_LINES)]
    vendor_id: StaffVendorId | UnsetType = UNSET


class PaymentBody(msgspec.Struct, kw_only=True):
    method: (
        Annotated[
            Literal["transfer", "balance"],
            Meta(
                description=(
                    "'transfer' (staff: a bank transfer, by the bank's reference) or 'balance' "
                    "(pay the amount due from the prepaid balance); left out: 'balance' for a "
                    "vendor, 'transfer' for staff."
                )
            ),
        ]
        | UnsetType
    ) = UNSET
    reference: (
        Annotated[
            Reference,
            Meta(description="The bank's reference of a transfer; required for a transfer."),
        ]
        | UnsetType
    ) = UNSET
    amount: (
        Annotated[
            int,
            Meta(
                ge=1,
                le=10**15,
                description="A transfer's amount; left out: the amount due. Not for 'balance'.",
            ),
        ]
        | UnsetType
    ) = UNSET


class CancelBody(msgspec.Struct, kw_only=True):
    reason: (
        Annotated[str, Meta(min_length=1, max_length=500, description="Kept in the history.")]
        | UnsetType
    ) = UNSET


class OrderQuery(PageQuery, kw_only=True):
    status: Annotated[Status, Meta(description="Only orders in this state.")] | None = None
    vendor_id: Annotated[VendorId, Meta(description="Staff: one company's orders.")] | None = None


class OrderSerialsQuery(PageQuery, kw_only=True):
    # An order has at most this many serials; today's callers read all of them at once.
    limit: Annotated[
        int, Meta(ge=1, le=MAX_ORDER_QUANTITY, description="At most this many serials.")
    ] = MAX_ORDER_QUANTITY


# --- answers -------------------------------------------------------------------------------


class OrderLine(msgspec.Struct, kw_only=True):
    product: str
    license_type: str
    quantity: int
    features: list[str]
    unit_price: Money
    amount: Money
    term_months: int | None
    updates_months: int | None


class Order(msgspec.Struct, kw_only=True):
    """An order as lists show it."""

    id: int
    number: int
    vendor_id: int
    status: Status
    kind: Literal["serials", "renewal"]
    currency: str
    lines: list[OrderLine]
    quantity: Annotated[int, Meta(description="Serials ordered, or serials a renewal renews.")]
    subtotal: Money
    discount_percent: int
    discount: Money
    total: Money
    paid: Money
    due: Annotated[int, Meta(ge=0, description="Left to pay; 0 once fulfilled or cancelled.")]
    invoice_number: int | None
    act_number: Annotated[
        int | None, Meta(description="The delivery act's number, given at fulfilment.")
    ]
    created_at: Time
    updated_at: Time
    invoiced_at: Time | None
    fulfilled_at: Time | None
    cancelled_at: Time | None


class OrderEvent(msgspec.Struct, kw_only=True, rename={"from_": "from"}):
    at: Time
    actor: str
    from_: Status | None
    to: Status
    note: str | None


class OrderPayment(msgspec.Struct, kw_only=True):
    reference: str
    method: Literal["transfer", "balance"]
    amount: Money
    at: Time


class RenewalLine(msgspec.Struct, kw_only=True):
    serial: str
    product: str
    license_type: str
    kind: Literal["updates", "term"]
    months: int
    previous_end: Time | None
    list_price: Money
    discount_percent: int
    amount: Money
    new_end: Time | None


class OrderDetail(Order, kw_only=True):
    """One order with its history and payments (and a renewal order's serials)."""

    history: list[OrderEvent]
    payments: list[OrderPayment]
    renewals: (
        Annotated[
            list[RenewalLine],
            Meta(description="Only in a renewal order: its serials, previous and new ends."),
        ]
        | UnsetType
    ) = UNSET


def order_serials_schema(serial: dict[str, Any]) -> dict[str, Any]:
    """The answer of GET /v1/orders/{order_id}/serials, each serial as ``serial`` says."""
    page = {"type": "array", "items": serial}
    return {
        "type": "object",
        "required": ["items", "total", "limit", "offset", "order_id", "serials"],
        "properties": {
            "items": {**page, "description": "The serials of this page, in the order issued."},
            "total": {"type": "integer", "description": "Serials of the order."},
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
            "order_id": {"type": "integer"},
            "serials": {**page, "deprecated": True, "description": "Deprecated: use items."},
        },
    }
