"""GET and PUT /v1/company, declared once for the router and the API reference."""

from __future__ import annotations

from activation_server.declare import Answer, Endpoint
from activation_server.errors import InvalidRequest
from vendor_portal.documents import handlers, schemas
from vendor_portal.errors import VendorNotFound

# The requisites sit with the company's account in the reference.
TAG = "accounts"
_ANSWER = (Answer(200, "The company's requisites", schemas.Company),)
_ERRORS = (InvalidRequest, VendorNotFound)

ENDPOINTS = (
    Endpoint(
        "GET",
        "/v1/company",
        handlers.get_company,
        operation_id="getCompanyRequisites",
        summary="The company's requisites",
        description=(
            "What invoices and acts print: legal name, address, tax and bank details. A vendor "
            "reads its own company's; staff name the company by `vendor_id`."
        ),
        tag=TAG,
        query=schemas.CompanyQuery,
        answers=_ANSWER,
        errors=_ERRORS,
    ),
    Endpoint(
        "PUT",
        "/v1/company",
        handlers.put_company,
        operation_id="replaceCompanyRequisites",
        summary="Replace the company's requisites",
        description=(
            "Every requisite at once: one left out is cleared. Staff name the company by "
            "`vendor_id`; another company answers 404."
        ),
        tag=TAG,
        query=schemas.CompanyQuery,
        body=schemas.CompanyBody,
        answers=_ANSWER,
        errors=_ERRORS,
    ),
)
