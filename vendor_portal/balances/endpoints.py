"""The vendor API's balances and prepayment invoices (DESIGN.md §4), each declared once: its
route, body, query, answers and refusals."""

from __future__ import annotations

from activation_server.declare import Answer, Endpoint, Page, Param
from activation_server.errors import InvalidRequest
from vendor_portal.balances import handlers, schemas
from vendor_portal.errors import (
    PaymentReferenceUsed,
    PrepaymentNotFound,
    PrepaymentPaid,
    VendorNotFound,
)

TAG = "balances"
_NUMBER = {"type": "string", "pattern": "^[0-9]{1,18}$"}
VENDOR_ID = Param("vendor_id", "path", _NUMBER, "The company's id.")
_BALANCE = Answer(200, "The balance and a page of the ledger", schemas.Balance)
_STAFF_RECORDS = (InvalidRequest, PaymentReferenceUsed)

ENDPOINTS = (
    Endpoint(
        "GET",
        "/v1/balance",
        handlers.get_own_balance,
        operation_id="getOwnBalance",
        summary="The own company's balance and ledger",
        description=(
            "The prepaid balance and its ledger, newest entry first. Staff belong to no company "
            "and ask GET /v1/vendors/{vendor_id}/balance instead (400)."
        ),
        tag=TAG,
        query=schemas.LedgerQuery,
        answers=(_BALANCE,),
        errors=(InvalidRequest, VendorNotFound),
    ),
    Endpoint(
        "GET",
        "/v1/vendors/{vendor_id}/balance",
        handlers.get_balance,
        operation_id="getBalance",
        summary="A company's balance and ledger",
        description=(
            "The prepaid balance and its ledger, newest entry first. A vendor sees its own "
            "company only; another company answers 404."
        ),
        tag=TAG,
        params=(VENDOR_ID,),
        query=schemas.LedgerQuery,
        answers=(_BALANCE,),
        errors=(InvalidRequest, VendorNotFound),
    ),
    Endpoint(
        "POST",
        "/v1/vendors/{vendor_id}/top-ups",
        handlers.post_top_up,
        operation_id="topUpBalance",
        summary="Record a top-up (staff)",
        description=(
            "Credits the company's balance with a bank payment. The same reference again "
            "changes nothing and answers 200; a reference recorded for another company is 409."
        ),
        tag=TAG,
        params=(VENDOR_ID,),
        body=schemas.TopUpBody,
        answers=(
            Answer(201, "The ledger entry of the top-up", schemas.LedgerEntry),
            Answer(200, "Recorded before: the same entry, nothing changed", schemas.LedgerEntry),
        ),
        errors=(*_STAFF_RECORDS, VendorNotFound),
        staff=True,
    ),
    Endpoint(
        "POST",
        "/v1/balance/prepayment-invoices",
        handlers.post_prepayment,
        operation_id="requestPrepaymentInvoice",
        summary="Request a prepayment invoice for a top-up",
        description=(
            "An invoice to pay by bank transfer, numbered with the orders' invoices; the balance "
            "is credited when staff record its payment. Staff name the company by `vendor_id`."
        ),
        tag=TAG,
        body=schemas.PrepaymentBody,
        answers=(Answer(201, "The invoice", schemas.Prepayment),),
        errors=(InvalidRequest, VendorNotFound),
    ),
    Endpoint(
        "GET",
        "/v1/balance/prepayment-invoices",
        handlers.get_prepayments,
        operation_id="listPrepaymentInvoices",
        summary="Prepayment invoices, newest first",
        description=(
            "A vendor sees its own company's; staff name the company by `vendor_id` (400 "
            "without it)."
        ),
        tag=TAG,
        query=schemas.PrepaymentQuery,
        answers=(Answer(200, "A page of invoices", Page[schemas.Prepayment]),),
        errors=(InvalidRequest, VendorNotFound),
    ),
    Endpoint(
        "POST",
        "/v1/prepayment-invoices/{number}/payments",
        handlers.post_prepayment_payment,
        operation_id="payPrepaymentInvoice",
        summary="Record the bank's payment of a prepayment invoice (staff)",
        description=(
            "Credits the balance by the invoice's amount. The same reference again changes "
            "nothing and answers 200; an invoice paid under another reference is 409."
        ),
        tag=TAG,
        params=(Param("number", "path", _NUMBER, "The invoice's number."),),
        body=schemas.PrepaymentPaymentBody,
        answers=(
            Answer(201, "The invoice, paid", schemas.Prepayment),
            Answer(200, "Recorded before: nothing changed", schemas.Prepayment),
        ),
        errors=(*_STAFF_RECORDS, PrepaymentNotFound, PrepaymentPaid),
        staff=True,
    ),
)
