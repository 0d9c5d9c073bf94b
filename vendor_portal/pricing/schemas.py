"""The price list in the vendor API: the bodies that change its prices and partner tiers, and
the list as answered. Money is integer minor units (kopecks for RUB)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from vendor_portal.parsing import Money
from vendor_portal.pricing.service import TIER_CODE_PATTERN
from vendor_portal.products.schemas import ProductCode
from vendor_portal.serials.service import LicenseType

MAX_PRICE = 10**15

Price = Annotated[int, Meta(ge=0, le=MAX_PRICE, description="Minor units (kopecks for RUB).")]
Percent = Annotated[int, Meta(ge=0, le=100)]
TierCode = Annotated[
    str,
    Meta(pattern=TIER_CODE_PATTERN, description="Lower-case letters, digits, '-' or '_'."),
]


class PriceUpdate(msgspec.Struct, kw_only=True):
    unit_price: Price


class SubscriptionPriceUpdate(msgspec.Struct, kw_only=True):
    update_first: Annotated[Price, Meta(description="A year of updates bought with a license.")]
    update_renewal: Annotated[Price, Meta(description="A year of updates renewed.")]
    term_month: Annotated[Price, Meta(description="A month of a term license.")]
    product: (
        Annotated[ProductCode, Meta(description="One product's own prices (null: the type's).")]
        | None
    ) = None


class TierUpdate(msgspec.Struct, kw_only=True):
    name: Annotated[str, Meta(min_length=1, max_length=100)]
    discount_percent: Percent


class VendorTier(msgspec.Struct, kw_only=True):
    """``tier`` must be sent: a tier's code, or ``null`` for none."""

    tier: TierCode | None


class VendorTierSet(msgspec.Struct, kw_only=True):
    vendor_id: int
    tier: str | None


class SubscriptionPrice(msgspec.Struct, kw_only=True):
    license_type: LicenseType
    product: Annotated[str, Meta(description="A product's own prices; null: the type's.")] | None
    update_first: Money
    update_renewal: Money
    term_month: Money


class Tier(msgspec.Struct, kw_only=True):
    code: str
    name: str
    discount_percent: Percent


class PriceItem(msgspec.Struct, kw_only=True):
    license_type: LicenseType
    name: str
    type: Literal["full", "trial"]
    activations: Annotated[int, Meta(description="Machines one serial activates.")]
    unit_price: Money
    currency: str


class PriceList(msgspec.Struct, kw_only=True):
    currency: Annotated[str, Meta(description="null when prices are in several.")] | None
    discount_percent: (
        Annotated[Percent, Meta(description="The company's own discount; null for staff.")] | None
    )
    partner_tier: Annotated[str, Meta(description="The company's partner tier.")] | None
    early_renewal_percent: (
        Annotated[int, Meta(description="Off a renewal ordered before the old end.")] | None
    )
    subscriptions: list[SubscriptionPrice]
    tiers: list[Tier]
    items: Annotated[list[PriceItem], Meta(description="The unit price of each license type.")]
