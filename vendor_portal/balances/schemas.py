"""The bodies of the balance, top-up and prepayment-invoice calls as msgspec types: decoded from
requests, and the source of the API reference's schemas. A bank reference that is only spaces or
cannot be stored is refused by the handler (:func:`vendor_portal.parsing.checked_text`)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from activation_server.bodies import Time
from activation_server.declare import Limit, PageQuery
from vendor_portal.balances.service import MAX_PREPAYMENT
from vendor_portal.parsing import MAX_BIGINT, SignedMoney

Reference = Annotated[str, Meta(min_length=1, max_length=100, description="The bank's reference.")]


class LedgerQuery(PageQuery, kw_only=True):
    limit: Limit = 100


class TopUpBody(msgspec.Struct, kw_only=True):
    amount: Annotated[int, Meta(ge=1, le=10**15, description="Minor units to credit.")]
    reference: Annotated[
        Reference, Meta(description="The bank's reference: the same one twice credits once.")
    ]


class PrepaymentBody(msgspec.Struct, kw_only=True):
    amount: Annotated[int, Meta(ge=1, le=MAX_PREPAYMENT, description="Minor units.")]
    vendor_id: (
        Annotated[int, Meta(ge=1, le=MAX_BIGINT, description="Staff only, and required of staff.")]
        | UnsetType
    ) = UNSET


class PrepaymentQuery(PageQuery, kw_only=True):
    limit: Limit = 100
    vendor_id: (
        Annotated[
            int,
            Meta(ge=1, le=MAX_BIGINT, description="The company; required of staff."),
        ]
        | None
    ) = None


class PrepaymentPaymentBody(msgspec.Struct, kw_only=True):
    reference: Reference


class LedgerEntry(msgspec.Struct, kw_only=True):
    id: int
    at: Time
    kind: Literal["top_up", "order_payment", "overpayment", "refund"]
    amount: Annotated[int, Meta(description="Minor units: credits positive, debits negative.")]
    balance_after: SignedMoney
    order_id: int | None
    reference: str | None


class Balance(msgspec.Struct, kw_only=True):
    """A company's balance and a page of its ledger, newest entry first."""

    vendor_id: int
    balance: SignedMoney
    currency: str
    items: list[LedgerEntry]
    total: Annotated[int, Meta(description="Entries of the ledger, on every page.")]
    limit: int
    offset: int
    ledger: Annotated[
        list[LedgerEntry],
        Meta(extra_json_schema={"deprecated": True}, description="Deprecated: use items."),
    ]


class Prepayment(msgspec.Struct, kw_only=True):
    number: Annotated[int, Meta(description="Numbered with the orders' invoices.")]
    vendor_id: int
    amount: SignedMoney
    currency: str
    created_at: Time
    paid_at: Time | None
    reference: Annotated[str | None, Meta(description="The bank's reference, once paid.")]
