"""The price list in the vendor API, each operation declared once: route, body, answers and
refusals, from which requests are read and the OpenAPI document is written."""

from __future__ import annotations

from activation_server.declare import Answer, Endpoint, Param
from activation_server.errors import InvalidRequest, NotFound
from vendor_portal.errors import ProductNotFound, VendorNotFound
from vendor_portal.pricing import handlers, schemas
from vendor_portal.pricing.service import TIER_CODE_PATTERN

TAG = "pricing"
LICENSE_TYPE = Param(
    "license_type", "path", {"type": "string"}, "A license type's code (SP1, SP3, ...)."
)
_CHANGED = (Answer(200, "The price list as it is now", schemas.PriceList),)

ENDPOINTS = (
    Endpoint(
        "GET",
        "/v1/price-list",
        handlers.get_price_list,
        operation_id="getPriceList",
        summary="The price list",
        description=(
            "The unit price of each license type, the subscription and term prices (a "
            "vendor: its own products' and the types'), the partner tiers, and the company's "
            "discount and tier."
        ),
        tag=TAG,
        answers=(Answer(200, "The price list", schemas.PriceList),),
    ),
    Endpoint(
        "PUT",
        "/v1/price-list/{license_type}",
        handlers.put_price,
        operation_id="setPrice",
        summary="Change a unit price (staff)",
        description=(
            "For orders placed from now on; placed orders keep their prices. An unknown "
            "license type is 404."
        ),
        tag=TAG,
        params=(LICENSE_TYPE,),
        body=schemas.PriceUpdate,
        answers=_CHANGED,
        errors=(InvalidRequest, NotFound),
        staff=True,
    ),
    Endpoint(
        "PUT",
        "/v1/price-list/subscriptions/{license_type}",
        handlers.put_subscription_price,
        operation_id="setSubscriptionPrice",
        summary="Set the subscription and term prices of a license type or product (staff)",
        description=(
            "Yearly update prices (first and renewed) and a term license's monthly price, for "
            "a full license type, or for one product when `product` names it (its own prices "
            "come before the type's)."
        ),
        tag=TAG,
        params=(LICENSE_TYPE,),
        body=schemas.SubscriptionPriceUpdate,
        answers=_CHANGED,
        errors=(InvalidRequest, NotFound, ProductNotFound),
        staff=True,
    ),
    Endpoint(
        "PUT",
        "/v1/partner-tiers/{code}",
        handlers.put_tier,
        operation_id="setPartnerTier",
        summary="Define a partner tier and its discount (staff)",
        description=(
            "Creates or changes the tier; the companies on it get its discount from now on."
        ),
        tag=TAG,
        params=(Param("code", "path", {"type": "string", "pattern": TIER_CODE_PATTERN}),),
        body=schemas.TierUpdate,
        answers=_CHANGED,
        errors=(InvalidRequest,),
        staff=True,
    ),
    Endpoint(
        "PUT",
        "/v1/vendors/{vendor_id}/partner-tier",
        handlers.put_vendor_tier,
        operation_id="setVendorPartnerTier",
        summary="Assign a company's partner tier (staff)",
        description="The company gets the tier's discount; null takes it off any tier.",
        tag=TAG,
        params=(Param("vendor_id", "path", {"type": "string", "pattern": "^[0-9]{1,18}$"}),),
        body=schemas.VendorTier,
        answers=(Answer(200, "The company's tier", schemas.VendorTierSet),),
        errors=(InvalidRequest, NotFound, VendorNotFound),
        staff=True,
    ),
)
