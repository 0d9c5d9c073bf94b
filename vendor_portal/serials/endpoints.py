"""Serial management in the vendor API, each operation declared once: route, body, query,
answers and refusals, from which requests are read and the OpenAPI document is written."""

from __future__ import annotations

from activation_server.activations.schemas import Deactivation
from activation_server.declare import Answer, Endpoint, NoOptions, Page, Param
from activation_server.errors import (
    ActivationNotFound,
    DeactivationNotAllowed,
    InvalidRequest,
    SerialMalformed,
    SerialNotFound,
    TransferLimitReached,
)
from vendor_portal.errors import OrderNotFound
from vendor_portal.serials import handlers, schemas
from vendor_portal.serials.schemas import SERIAL

TAG = "serials"
# Any text is a list: each line's first cell is taken, and what is not a serial comes back as
# "malformed", so no text is an invalid body (hence no type: "true" is a list of one line too).
_LIST_TEXT = {"description": "One serial per line, or CSV whose first column holds them."}
_ONE_SERIAL = (InvalidRequest, SerialMalformed, SerialNotFound)

ENDPOINTS = (
    Endpoint(
        "GET",
        "/v1/serials",
        handlers.get_serials,
        operation_id="listSerials",
        summary="Serials with search and filters",
        description=(
            "The company's serials, newest first (staff: every company's, or one's with "
            "`vendor_id`), filtered by part of the number, order, product, license type, "
            "status or usage."
        ),
        tag=TAG,
        query=schemas.SerialQuery,
        answers=(Answer(200, "A page of serials", Page[schemas.Serial]),),
        errors=(InvalidRequest,),
    ),
    Endpoint(
        "POST",
        "/v1/serials/bulk",
        handlers.post_bulk,
        operation_id="bulkSerials",
        summary="Check a list of serials and block or unblock the valid ones",
        description=(
            "Each line is answered: ok, malformed, unknown (another company's serials too) or "
            "duplicate; the action applies to the ok ones in one transaction. A JSON body, or "
            "a pasted list or CSV file as text/plain or text/csv (up to 1 MiB, 10 000 serials)."
        ),
        tag=TAG,
        query=schemas.BulkQuery,
        own_body={
            "application/json": schemas.BulkRequest,
            "text/csv": _LIST_TEXT,
            "text/plain": _LIST_TEXT,
        },
        answers=(Answer(200, "Each line's result", schemas.BulkResult),),
        errors=(InvalidRequest,),
    ),
    Endpoint(
        "GET",
        "/v1/serials/{serial}",
        handlers.get_serial,
        operation_id="getSerial",
        summary="One serial with its machines",
        description=(
            "The serial, its usage and a page of the machines that activated it "
            "(`activation_list`, oldest first; `limit` and `offset` page through them)."
        ),
        tag=TAG,
        params=(SERIAL,),
        query=schemas.CardQuery,
        answers=(Answer(200, "The serial", schemas.SerialCard),),
        errors=_ONE_SERIAL,
    ),
    Endpoint(
        "POST",
        "/v1/serials/{serial}/block",
        handlers.post_block,
        operation_id="blockSerial",
        summary="Block a serial",
        description=(
            "Activations and validations answer SERIAL_BLOCKED from the next request on; "
            "blocking a blocked serial changes nothing. The reason goes to the audit log."
        ),
        tag=TAG,
        params=(SERIAL,),
        body=schemas.StatusChange,
        body_required=False,
        answers=(Answer(200, "The serial", schemas.Serial),),
        errors=_ONE_SERIAL,
    ),
    Endpoint(
        "POST",
        "/v1/serials/{serial}/unblock",
        handlers.post_unblock,
        operation_id="unblockSerial",
        summary="Unblock a serial",
        description="The serial activates again; unblocking an active serial changes nothing.",
        tag=TAG,
        params=(SERIAL,),
        body=schemas.StatusChange,
        body_required=False,
        answers=(Answer(200, "The serial", schemas.Serial),),
        errors=_ONE_SERIAL,
    ),
    Endpoint(
        "POST",
        "/v1/serials/{serial}/transfer-grants",
        handlers.post_transfer_grant,
        operation_id="grantTransfers",
        summary="Allow a serial more transfers (staff)",
        description=(
            "Staff allow a serial this many deactivations and releases beyond its product's "
            "transfer budget; the answer is the serial's extra allowance now."
        ),
        tag=TAG,
        params=(SERIAL,),
        body=schemas.TransferGrant,
        answers=(Answer(200, "The extra allowance", schemas.TransfersGranted),),
        errors=_ONE_SERIAL,
        staff=True,
    ),
    Endpoint(
        "POST",
        "/v1/serials/{serial}/features",
        handlers.post_serial_features,
        operation_id="changeSerialFeatures",
        summary="Change what a sold serial licenses",
        description=(
            "Replaces the serial's features with some of its product's (400 for a feature the "
            "product has not); machines get the new features in a new license at their next "
            "activation or check-in."
        ),
        tag=TAG,
        params=(SERIAL,),
        body=schemas.FeatureChange,
        answers=(Answer(200, "The serial", schemas.Serial),),
        errors=_ONE_SERIAL,
    ),
    Endpoint(
        "POST",
        "/v1/orders/{order_id}/features",
        handlers.post_order_features,
        operation_id="changeOrderFeatures",
        summary="Change what every serial of an order licenses",
        description=(
            "As for one serial, for every serial of the order at once; nothing changes when "
            "one of them is refused."
        ),
        tag=TAG,
        params=(Param("order_id", "path", {"type": "string", "pattern": "^[0-9]{1,18}$"}),),
        body=schemas.FeatureChange,
        answers=(Answer(200, "How many serials changed", schemas.OrderFeatures),),
        errors=(InvalidRequest, OrderNotFound, SerialNotFound),
    ),
    Endpoint(
        "POST",
        "/v1/activations/{activation_id}/release",
        handlers.post_release,
        operation_id="releaseActivation",
        summary="Release a machine's activation",
        description=(
            "Frees the machine's slot at once (a dead computer, a new disk), within the "
            "serial's transfer budget (409 TRANSFER_LIMIT_REACHED); the machine learns it at "
            "its next check-in. A trial's machine stays (403). It takes no options."
        ),
        tag=TAG,
        params=(Param("activation_id", "path", {"type": "string", "format": "uuid"}),),
        body=NoOptions,
        body_required=False,
        answers=(Answer(200, "The slot is free", Deactivation),),
        errors=(InvalidRequest, DeactivationNotAllowed, ActivationNotFound, TransferLimitReached),
    ),
)
