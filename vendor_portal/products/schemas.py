"""Products in the vendor API: the bodies of creating and changing one, the list's query and the
product as answered; and the product code and feature list that other features' bodies name.

The types say shape, length and pattern; the handlers then hold codes and features to
:mod:`vendor_portal.parsing` (matched whole) and names to storable, non-blank text.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType

from activation_server.activations.schemas import FEATURE_PATTERN, MAX_FEATURES
from activation_server.bodies import Time
from activation_server.declare import Limit, PageQuery
from vendor_portal.parsing import MAX_BIGINT, PRODUCT_CODE_PATTERN

MAX_DAYS = 3650
MAX_TRANSFER_BUDGET = 100_000
# Of five named components, at most two may change while most of them stay.
MAX_BINDING_TOLERANCE = 2

ProductCode = Annotated[
    str,
    Meta(
        pattern=PRODUCT_CODE_PATTERN,
        description="1-64 letters, digits, '_', '.' or '-', starting with a letter or digit.",
    ),
]
FeatureCodes = Annotated[
    list[Annotated[str, Meta(pattern=FEATURE_PATTERN)]],
    Meta(
        max_length=MAX_FEATURES,
        description="Feature (module) codes, at most 64, each 1-64 letters, digits, '_', '.' "
        "or '-'; kept sorted, each once.",
    ),
]
StaffVendor = Annotated[
    int, Meta(ge=1, le=MAX_BIGINT, description="Staff: the company (a vendor means its own).")
]
Name = Annotated[
    str, Meta(min_length=1, max_length=200, description="Not only spaces; at most 200 characters.")
]
Days = Annotated[int, Meta(ge=0, le=MAX_DAYS)]


class ProductQuery(PageQuery, kw_only=True):
    limit: Limit = 100
    vendor_id: StaffVendor | None = None


class VendorQuery(msgspec.Struct, kw_only=True):
    """Which company staff mean (a vendor always means its own)."""

    vendor_id: StaffVendor | None = None


class ProductCreate(msgspec.Struct, kw_only=True):
    code: ProductCode
    name: Name
    features: FeatureCodes = []
    vendor_id: StaffVendor | UnsetType = UNSET


class ProductPatch(msgspec.Struct, kw_only=True):
    """Any of the fields, at least one; ``null`` in ``features`` or ``self_service`` is the
    same as leaving it out, in the others it is refused."""

    name: Name | UnsetType = UNSET
    features: FeatureCodes | None = None
    check_in_days: (
        Annotated[
            int,
            Meta(
                ge=0,
                le=MAX_DAYS,
                description="0: offline forever; otherwise machines need a lease from a "
                "check-in this often.",
            ),
        ]
        | UnsetType
    ) = UNSET
    grace_days: Days | UnsetType = UNSET
    transfer_budget: (
        Annotated[
            int,
            Meta(
                ge=0,
                le=MAX_TRANSFER_BUDGET,
                description="Deactivations and releases per serial per 365 days (409 past it).",
            ),
        ]
        | UnsetType
    ) = UNSET
    binding_tolerance: (
        Annotated[
            int,
            Meta(
                ge=0,
                le=MAX_BINDING_TOLERANCE,
                description="Hardware components that may change before a machine counts as "
                "new (0: exact binding); more than half of a machine's components must stay.",
            ),
        ]
        | UnsetType
    ) = UNSET
    self_service: (
        Annotated[
            bool, Meta(description="Whether the serials' licensees may use the self-service pages.")
        ]
        | None
    ) = None


class Product(msgspec.Struct, kw_only=True):
    code: str
    name: str
    features: list[str]
    vendor_id: int
    created_at: Time
    check_in_days: Days
    grace_days: Days
    transfer_budget: Annotated[int, Meta(ge=0, description="None: no limit.")] | None
    binding_tolerance: Annotated[int, Meta(ge=0, le=MAX_BINDING_TOLERANCE)]
    self_service: bool
