"""The company's requisites as GET and PUT /v1/company read and write them, as msgspec types:
decoded from requests, and the source of the API reference's schemas."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType

from vendor_portal.documents.service import MAX_LENGTHS
from vendor_portal.parsing import MAX_BIGINT


def _text(name: str, description: str) -> Meta:
    return Meta(max_length=MAX_LENGTHS[name], description=description)


class CompanyQuery(msgspec.Struct, kw_only=True):
    vendor_id: (
        Annotated[int, Meta(ge=1, le=MAX_BIGINT, description="The company; required of staff.")]
        | None
    ) = None


class CompanyBody(msgspec.Struct, kw_only=True):
    """Every requisite; one left out (or empty) is cleared. Spaces around a value are dropped."""

    legal_name: Annotated[str, _text("legal_name", "The full legal name.")] | UnsetType = UNSET
    address: Annotated[str, _text("address", "The legal address.")] | UnsetType = UNSET
    tax_id: Annotated[str, _text("tax_id", "The taxpayer number (INN).")] | UnsetType = UNSET
    tax_reason_code: (
        Annotated[str, _text("tax_reason_code", "The registration reason code (KPP).")] | UnsetType
    ) = UNSET
    bank_name: Annotated[str, _text("bank_name", "The bank.")] | UnsetType = UNSET
    bank_code: (
        Annotated[str, _text("bank_code", "The bank's identification code (BIK).")] | UnsetType
    ) = UNSET
    bank_account: Annotated[str, _text("bank_account", "The settlement account.")] | UnsetType = (
        UNSET
    )
    correspondent_account: (
        Annotated[str, _text("correspondent_account", "The bank's correspondent account.")]
        | UnsetType
    ) = UNSET
    billing_email: (
        Annotated[str, _text("billing_email", "Where invoices are sent.")] | UnsetType
    ) = UNSET


class Company(msgspec.Struct, kw_only=True):
    """The company's requisites printed on invoices and acts; empty strings where not given."""

    name: Annotated[str, Meta(description="The company's name in the portal.")]
    legal_name: str
    address: str
    tax_id: str
    tax_reason_code: str
    bank_name: str
    bank_code: str
    bank_account: str
    correspondent_account: str
    billing_email: str
    vendor_id: int
