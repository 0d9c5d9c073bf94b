"""The vendor API's orders (DESIGN.md §4), each declared once: its route, body, query, answers
and refusals, from which the server reads requests and the API reference is written."""

from __future__ import annotations

from activation_server.declare import Answer, Endpoint, NoOptions, Page, Param
from activation_server.errors import Forbidden, InvalidRequest
from vendor_portal.errors import (
    InsufficientBalance,
    OrderNotFound,
    OrderStateConflict,
    PaymentReferenceUsed,
    ProductNotFound,
    VendorNotFound,
)
from vendor_portal.orders import handlers, schemas

TAG = "orders"
ORDER_ID = Param(
    "order_id",
    "path",
    {"type": "string", "pattern": "^[0-9]{1,18}$"},
    "The order's id (not its number).",
)
_ONE = (InvalidRequest, OrderNotFound)
_ORDER = Answer(200, "The order with its history and payments", schemas.OrderDetail)
SERIAL = {"$ref": "#/components/schemas/Serial"}

ENDPOINTS = (
    Endpoint(
        "GET",
        "/v1/orders",
        handlers.get_orders,
        operation_id="listOrders",
        summary="Orders, newest first",
        description=(
            "A vendor sees its own company's orders; staff see every company's, or one "
            "company's with `vendor_id`. Filter by `status`."
        ),
        tag=TAG,
        query=schemas.OrderQuery,
        answers=(Answer(200, "A page of orders", Page[schemas.Order]),),
        errors=(InvalidRequest,),
    ),
    Endpoint(
        "POST",
        "/v1/orders",
        handlers.post_order,
        operation_id="placeOrder",
        summary="Place an order",
        description=(
            "A new order in state `placed`, priced from the price list and the company's "
            "discount. Staff place orders for a company named by `vendor_id`. Refused: an "
            "unknown product (404), license type or feature, a trial with a term."
        ),
        tag=TAG,
        body=schemas.OrderBody,
        answers=(Answer(201, "The order, placed", schemas.OrderDetail),),
        errors=(InvalidRequest, ProductNotFound, VendorNotFound),
    ),
    Endpoint(
        "GET",
        "/v1/orders/{order_id}",
        handlers.get_order,
        operation_id="getOrder",
        summary="One order with its history and payments",
        description="Another company's order answers 404, as an unknown one does.",
        tag=TAG,
        params=(ORDER_ID,),
        answers=(_ORDER,),
        errors=_ONE,
    ),
    Endpoint(
        "PUT",
        "/v1/orders/{order_id}",
        handlers.put_order,
        operation_id="replaceOrderLines",
        summary="Replace the lines of a placed order",
        description=(
            "The order is priced anew. Only a placed order that is not a renewal may change "
            "(409 ORDER_STATE_CONFLICT otherwise)."
        ),
        tag=TAG,
        params=(ORDER_ID,),
        body=schemas.OrderBody,
        answers=(_ORDER,),
        errors=(*_ONE, ProductNotFound, OrderStateConflict),
    ),
    Endpoint(
        "POST",
        "/v1/orders/{order_id}/invoice",
        handlers.post_invoice,
        operation_id="invoiceOrder",
        summary="Invoice a placed order (staff)",
        description=(
            "Gives the order the next invoice number and mails the invoice; an order that costs "
            "nothing is fulfilled at once. Staff only (403); a placed order only (409)."
        ),
        tag=TAG,
        params=(ORDER_ID,),
        body=NoOptions,
        body_required=False,
        answers=(_ORDER,),
        errors=(*_ONE, OrderStateConflict),
        staff=True,
    ),
    Endpoint(
        "POST",
        "/v1/orders/{order_id}/payments",
        handlers.post_payment,
        operation_id="payOrder",
        summary="Record a payment; the order is fulfilled when paid",
        description=(
            "Staff record bank transfers by the bank's reference (the same reference again "
            "changes nothing and answers 200); the vendor, or staff for it, pay the amount due "
            "from the prepaid balance (409 INSUFFICIENT_BALANCE when short). Payments that "
            "cover the total fulfil the order; an overpayment goes to the balance."
        ),
        tag=TAG,
        params=(ORDER_ID,),
        body=schemas.PaymentBody,
        body_required=False,
        answers=(
            Answer(201, "The payment was recorded", schemas.OrderDetail),
            Answer(200, "This payment was recorded before: nothing changed", schemas.OrderDetail),
        ),
        errors=(
            *_ONE,
            Forbidden,
            OrderStateConflict,
            InsufficientBalance,
            PaymentReferenceUsed,
        ),
    ),
    Endpoint(
        "POST",
        "/v1/orders/{order_id}/cancel",
        handlers.post_cancel,
        operation_id="cancelOrder",
        summary="Cancel an order",
        description=(
            "A vendor cancels its placed orders and its unpaid renewal invoices; staff also "
            "invoiced orders, whose payments so far go to the company's balance. Fulfilled and "
            "cancelled orders are final (409)."
        ),
        tag=TAG,
        params=(ORDER_ID,),
        body=schemas.CancelBody,
        body_required=False,
        answers=(_ORDER,),
        errors=(*_ONE, OrderStateConflict),
    ),
    Endpoint(
        "GET",
        "/v1/orders/{order_id}/serials",
        handlers.get_order_serials,
        operation_id="listOrderSerials",
        summary="The serials of an order (JSON, or CSV)",
        description=(
            "The serials a fulfilled order issued, in the order issued. With `Accept: text/csv` "
            "or `format=csv` the answer is a CSV file of all of them (no paging)."
        ),
        tag=TAG,
        params=(ORDER_ID,),
        query=schemas.OrderSerialsQuery,
        answers=(
            Answer(200, "The serials", schemas.order_serials_schema(SERIAL)),
            Answer(
                200,
                "The serials",
                {"type": "string"},
                content_type="text/csv",
            ),
        ),
        errors=_ONE,
    ),
)
