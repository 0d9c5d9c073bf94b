"""POST /v1/renewals/quote and POST /v1/renewals, declared once for the router and the API
reference. Both read their bodies themselves: an upload may be 1 MiB of text."""

from __future__ import annotations

from activation_server.declare import Answer, Endpoint
from activation_server.errors import InvalidRequest, PayloadTooLarge
from vendor_portal.errors import SerialsNotRenewable, VendorNotFound
from vendor_portal.orders.schemas import OrderDetail
from vendor_portal.renewals import handlers, schemas

TAG = "orders"
# Any text is an upload (its lines are checked one by one), so the schema names no type: a
# generator of "invalid" bodies has nothing to break in a text body.
_UPLOAD = {"description": "One serial a line, or CSV whose first column holds them (UTF-8, 1 MiB)."}

ENDPOINTS = (
    Endpoint(
        "POST",
        "/v1/renewals/quote",
        handlers.post_quote,
        operation_id="quoteRenewals",
        summary="Check and price serial numbers for renewal",
        description=(
            "Every line of the upload priced, or refused with its reason; nothing is written. "
            "The upload is the body itself (text/plain, text/csv), or JSON. Staff name the "
            "company by `vendor_id`."
        ),
        tag=TAG,
        query=schemas.QuoteQuery,
        own_body={
            "application/json": schemas.QuoteBody,
            "text/plain": _UPLOAD,
            "text/csv": _UPLOAD,
        },
        answers=(Answer(200, "Each line priced or refused", schemas.RenewalQuote),),
        errors=(InvalidRequest, VendorNotFound, PayloadTooLarge),
    ),
    Endpoint(
        "POST",
        "/v1/renewals",
        handlers.post_renewal_order,
        operation_id="orderRenewals",
        summary="Order the renewal of serial numbers",
        description=(
            "A renewal order, invoiced at once; its serials are locked until it is paid or "
            "cancelled. Refused as a whole (409 SERIALS_NOT_RENEWABLE, line by line) when any "
            "serial cannot be renewed."
        ),
        tag=TAG,
        query=schemas.RenewalQuery,
        own_body={"application/json": schemas.RenewalBody},
        answers=(Answer(201, "The renewal order, invoiced", OrderDetail),),
        errors=(InvalidRequest, VendorNotFound, PayloadTooLarge, SerialsNotRenewable),
    ),
)
