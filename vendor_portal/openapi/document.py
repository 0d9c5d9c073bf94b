"""The OpenAPI 3.1 document served at /v1/openapi.json: the activation API's
(:mod:`activation_server.openapi`) and the vendor API's (DESIGN.md §4), written from the
endpoints the features declared (each feature's ``endpoints.py``, mounted by
:meth:`vendor_portal.routing.Routes.declare`); a test walks the application's router and fails
when a /v1 route is missing.

The schemas and paths written out by hand below are those of the endpoints not yet declared; a
declared operation replaces its hand-written one.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any

from activation_server import openapi as activation
from activation_server.declare import Endpoint, paths_and_components
from activation_server.errors import Forbidden, Unauthorized

Schema = dict[str, Any]

TIME = {"type": "string", "format": "date-time"}
NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
MONEY = {"type": "integer", "minimum": 0, "description": "Minor units (kopecks for RUB)."}
ID = {"type": "integer", "minimum": 1}
FEATURES = {
    "type": "array",
    "maxItems": 64,
    "items": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"},
}
LICENSE_TYPE = {"type": "string", "enum": ["SP1", "SP3", "SP5", "TRIAL30K", "TRIAL100K"]}
ORDER_STATUS = {"type": "string", "enum": ["placed", "invoiced", "fulfilled", "cancelled"]}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(required: list[str], properties: dict[str, Schema], **extra: Any) -> Schema:
    return {"type": "object", "required": required, "properties": properties, **extra}


def items_of(name: str) -> Schema:
    return obj(["items"], {"items": {"type": "array", "items": ref(name)}})


ERROR_DESCRIPTIONS = {
    400: "Malformed request (INVALID_REQUEST, SERIAL_MALFORMED)",
    401: "No valid bearer token (UNAUTHORIZED, INVALID_CREDENTIALS)",
    403: "Not allowed (FORBIDDEN, SERIAL_BLOCKED, ...)",
    404: "Not found, or another vendor's",
    408: "The body did not arrive in time (REQUEST_TIMEOUT)",
    409: "Conflicts with the current state (ORDER_STATE_CONFLICT, ...)",
    413: "Body too large",
    429: "Too many failed attempts (RATE_LIMITED); see Retry-After",
    503: "Database unavailable (SERVICE_UNAVAILABLE); see Retry-After",
}


def json_content(schema: Schema) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def operation(
    summary: str,
    tag: str,
    ok: tuple[int, Schema] | None,
    *,
    body: Schema | None = None,
    body_required: bool = True,
    errors: tuple[int, ...] = (400, 401, 404),
    params: list[Schema] | None = None,
    public: bool = False,
    extra_ok: dict[int, Any] | None = None,
    ok_content: dict[str, Any] | None = None,
) -> Schema:
    responses: dict[str, Any] = {}
    if ok is not None:
        status, schema = ok
        responses[str(status)] = {
            "description": "OK",
            "content": ok_content or json_content(schema),
        }
    for status, schema in (extra_ok or {}).items():
        responses[str(status)] = {"description": "OK", "content": json_content(schema)}
    # Every body is read by the same reader: too large is 413, too slow is 408.
    read = {408, 413} if body is not None else set()
    for status in sorted(set(errors) | read | {503}):
        responses[str(status)] = {
            "description": ERROR_DESCRIPTIONS[status],
            "content": json_content(ref("Error")),
        }
    result: Schema = {"summary": summary, "tags": [tag], "responses": responses}
    if public:
        result["security"] = []
    if body is not None:
        result["requestBody"] = {"required": body_required, "content": json_content(body)}
    if params:
        result["parameters"] = params
    return result


def path_param(name: str, schema: Schema) -> Schema:
    return {"name": name, "in": "path", "required": True, "schema": schema}


def query(name: str, schema: Schema, description: str = "") -> Schema:
    param: Schema = {"name": name, "in": "query", "required": False, "schema": schema}
    if description:
        param["description"] = description
    return param


PAGE = [
    query("limit", {"type": "integer", "minimum": 1, "maximum": 1000}),
    query("offset", {"type": "integer", "minimum": 0, "maximum": 10_000_000}),
]
ORDER_ID = path_param("order_id", {"type": "string", "pattern": "^[0-9]{1,18}$"})
VENDOR_ID = path_param("vendor_id", {"type": "string", "pattern": "^[0-9]{1,18}$"})


def schemas() -> dict[str, Schema]:
    return {
        "TokenRequest": obj(
            ["email", "password"],
            {"email": {"type": "string", "format": "email"}, "password": {"type": "string"}},
        ),
        "Token": obj(
            ["access_token", "token_type", "expires_in"],
            {
                "access_token": {"type": "string"},
                "token_type": {"type": "string", "const": "bearer"},
                "expires_in": {"type": "integer"},
            },
        ),
        "Registration": obj(
            ["email", "password", "company"],
            {
                "email": {"type": "string", "format": "email"},
                "password": {"type": "string", "minLength": 8, "maxLength": 1024},
                "company": {"type": "string", "minLength": 1, "maxLength": 200},
                "kind": {"type": "string", "enum": ["legal_entity", "individual"]},
            },
        ),
        "Accepted": obj(["status"], {"status": {"type": "string"}, "message": {"type": "string"}}),
        "LinkToken": obj(["token"], {"token": {"type": "string", "maxLength": 200}}),
        "PasswordResetRequest": obj(["email"], {"email": {"type": "string", "format": "email"}}),
        "PasswordReset": obj(
            ["token", "password"],
            {
                "token": {"type": "string"},
                "password": {"type": "string", "minLength": 8},
                # The account's API keys to revoke along with the new password.
                "revoke_api_keys": {"type": "array", "items": ID, "maxItems": 100},
            },
        ),
        "PasswordChange": obj(
            ["current_password", "new_password"],
            {
                "current_password": {"type": "string"},
                "new_password": {"type": "string", "minLength": 8},
            },
        ),
        "User": obj(
            ["id", "email", "role", "vendor_id", "confirmed", "created_at"],
            {
                "id": ID,
                "email": {"type": "string"},
                "role": {"type": "string", "enum": ["vendor", "staff"]},
                "vendor_id": {"type": ["integer", "null"]},
                "confirmed": {"type": "boolean"},
                "created_at": TIME,
                "disabled": {"type": "boolean"},
                "company_role": {"type": ["string", "null"], "enum": ["admin", "member", None]},
            },
        ),
        "ColleagueInvite": obj(
            ["email"],
            {
                "email": {"type": "string", "format": "email"},
                "company_role": {"type": "string", "enum": ["admin", "member"]},
            },
        ),
        "UserCreate": obj(
            ["email", "password"],
            {
                "email": {"type": "string", "format": "email"},
                "password": {"type": "string", "minLength": 8},
                "role": {"type": "string", "enum": ["vendor", "staff"]},
                "company": {"type": "string"},
                "vendor_id": ID,
            },
        ),
        "Confirmation": obj(
            ["confirmed", "user"], {"confirmed": {"type": "boolean"}, "user": ref("User")}
        ),
        "Me": obj(
            ["user", "vendor"],
            {"user": ref("User"), "vendor": {"oneOf": [ref("Vendor"), {"type": "null"}]}},
        ),
        "Vendor": obj(
            ["id", "name", "kind", "discount_percent", "balance", "created_at"],
            {
                "id": ID,
                "name": {"type": "string"},
                "kind": {"type": "string", "enum": ["legal_entity", "individual"]},
                "discount_percent": {"type": "integer", "minimum": 0, "maximum": 100},
                "balance": MONEY,
                "created_at": TIME,
            },
        ),
        "VendorPatch": obj(
            ["discount_percent"],
            {"discount_percent": {"type": "integer", "minimum": 0, "maximum": 100}},
        ),
        "ApiKey": obj(
            ["id", "name", "prefix", "created_at"],
            {
                "id": ID,
                "name": {"type": "string"},
                "prefix": {"type": "string"},
                "user_id": ID,
                "created_at": TIME,
                "last_used_at": NULLABLE_TIME,
                "revoked_at": NULLABLE_TIME,
                "key": {"type": "string", "description": "Only in the answer that creates it."},
            },
        ),
        "ApiKeyCreate": {
            "type": "object",
            "properties": {"name": {"type": "string", "maxLength": 100}},
        },
        "PrepaymentRequest": obj(
            ["amount"],
            {"amount": {**MONEY, "minimum": 1}, "vendor_id": {**ID, "description": "Staff only."}},
        ),
        "Prepayment": obj(
            ["number", "vendor_id", "amount", "currency", "created_at"],
            {
                "number": ID,
                "vendor_id": ID,
                "amount": MONEY,
                "currency": {"type": "string"},
                "created_at": TIME,
                "paid_at": NULLABLE_TIME,
                "reference": {"type": ["string", "null"]},
            },
        ),
        "PrepaymentPayment": obj(
            ["reference"], {"reference": {"type": "string", "maxLength": 100}}
        ),
        "Company": {
            "type": "object",
            "description": "The company's requisites printed on invoices and acts.",
            "properties": {
                name: {"type": "string"}
                for name in (
                    "legal_name",
                    "address",
                    "tax_id",
                    "tax_reason_code",
                    "bank_name",
                    "bank_code",
                    "bank_account",
                    "correspondent_account",
                    "billing_email",
                )
            },
        },
        "RenewalQuote": obj(
            ["currency", "months", "items", "refused", "total"],
            {
                "currency": {"type": "string"},
                "months": {"type": "integer"},
                "partner_discount_percent": {"type": "integer"},
                "early_renewal_percent": {"type": "integer"},
                "items": {
                    "type": "array",
                    "items": obj(
                        ["line", "serial", "kind", "list_price", "discount_percent", "amount"],
                        {
                            "line": {"type": "integer"},
                            "serial": {"type": "string"},
                            "product": {"type": "string"},
                            "kind": {"type": "string", "enum": ["updates", "term"]},
                            "previous_end": NULLABLE_TIME,
                            "running": {"type": "boolean"},
                            "list_price": MONEY,
                            "discount_percent": {"type": "integer"},
                            "amount": MONEY,
                        },
                    ),
                },
                "refused": {
                    "type": "array",
                    "items": obj(
                        ["line", "reason", "message"],
                        {
                            "line": {"type": "integer"},
                            "text": {"type": "string"},
                            "reason": {
                                "type": "string",
                                "enum": [
                                    "malformed",
                                    "not_found",
                                    "duplicate",
                                    "blocked",
                                    "trial",
                                    "locked",
                                    "no_price",
                                ],
                            },
                            "message": {"type": "string"},
                        },
                    ),
                },
                "total": MONEY,
            },
        ),
        "RenewalRequest": obj(
            ["serials"],
            {
                "serials": {"type": "array", "items": {"type": "string"}, "maxItems": 20_000},
                "months": {"type": "integer", "minimum": 1, "maximum": 36},
                "vendor_id": {**ID, "description": "Staff only: the ordering company."},
            },
        ),
        "OrderLineRequest": obj(
            ["license_type", "product", "quantity"],
            {
                "license_type": LICENSE_TYPE,
                "product": {"type": "string"},
                "quantity": {"type": "integer", "minimum": 1, "maximum": 100_000},
                "features": FEATURES,
                "term_months": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": 120,
                    "description": "A term license: the serials stop working this long after "
                    "fulfilment (SERIAL_EXPIRED).",
                },
                "updates_months": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": 120,
                    "description": "An initial update subscription (license claim 'upd').",
                },
            },
        ),
        "OrderRequest": obj(
            ["lines"],
            {
                "lines": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 50,
                    "items": ref("OrderLineRequest"),
                },
                "vendor_id": {**ID, "description": "Staff only: the ordering company."},
            },
        ),
        "Order": obj(
            [
                "id",
                "number",
                "vendor_id",
                "status",
                "currency",
                "lines",
                "quantity",
                "subtotal",
                "discount_percent",
                "discount",
                "total",
                "paid",
                "due",
                "invoice_number",
                "created_at",
            ],
            {
                "id": ID,
                "number": ID,
                "vendor_id": ID,
                "status": ORDER_STATUS,
                "currency": {"type": "string"},
                "lines": {
                    "type": "array",
                    "items": obj(
                        ["product", "license_type", "quantity", "features", "unit_price", "amount"],
                        {
                            "product": {"type": "string"},
                            "license_type": LICENSE_TYPE,
                            "quantity": {"type": "integer"},
                            "features": {"type": "array", "items": {"type": "string"}},
                            "unit_price": MONEY,
                            "amount": MONEY,
                        },
                    ),
                },
                "quantity": {"type": "integer"},
                "subtotal": MONEY,
                "discount_percent": {"type": "integer"},
                "discount": MONEY,
                "total": MONEY,
                "paid": MONEY,
                "due": MONEY,
                "invoice_number": {"type": ["integer", "null"]},
                "act_number": {
                    "type": ["integer", "null"],
                    "description": "The delivery act's number, given at fulfilment.",
                },
                "kind": {"type": "string", "enum": ["serials", "renewal"]},
                "renewals": {
                    "type": "array",
                    "description": "A renewal order's serials, with their previous and new ends.",
                    "items": obj(
                        ["serial", "kind", "months", "list_price", "discount_percent", "amount"],
                        {
                            "serial": {"type": "string"},
                            "product": {"type": "string"},
                            "license_type": LICENSE_TYPE,
                            "kind": {"type": "string", "enum": ["updates", "term"]},
                            "months": {"type": "integer"},
                            "previous_end": NULLABLE_TIME,
                            "list_price": MONEY,
                            "discount_percent": {"type": "integer"},
                            "amount": MONEY,
                            "new_end": NULLABLE_TIME,
                        },
                    ),
                },
                "created_at": TIME,
                "updated_at": TIME,
                "invoiced_at": NULLABLE_TIME,
                "fulfilled_at": NULLABLE_TIME,
                "cancelled_at": NULLABLE_TIME,
                "history": {
                    "type": "array",
                    "items": obj(
                        ["at", "actor", "from", "to"],
                        {
                            "at": TIME,
                            "actor": {"type": "string"},
                            "from": {"type": ["string", "null"]},
                            "to": ORDER_STATUS,
                            "note": {"type": ["string", "null"]},
                        },
                    ),
                },
                "payments": {
                    "type": "array",
                    "items": obj(
                        ["reference", "method", "amount", "at"],
                        {
                            "reference": {"type": "string"},
                            "method": {"type": "string", "enum": ["transfer", "balance"]},
                            "amount": MONEY,
                            "at": TIME,
                        },
                    ),
                },
            },
        ),
        "PaymentRequest": {
            "type": "object",
            "properties": {
                "method": {"type": "string", "enum": ["transfer", "balance"]},
                "reference": {"type": "string", "minLength": 1, "maxLength": 100},
                "amount": {"type": "integer", "minimum": 1},
            },
        },
        "CancelRequest": {
            "type": "object",
            "properties": {"reason": {"type": "string", "maxLength": 500}},
        },
        "OrderSerials": obj(
            ["order_id", "serials"],
            {"order_id": ID, "serials": {"type": "array", "items": ref("Serial")}},
        ),
        "LedgerEntry": obj(
            ["id", "at", "kind", "amount", "balance_after"],
            {
                "id": ID,
                "at": TIME,
                "kind": {
                    "type": "string",
                    "enum": ["top_up", "order_payment", "overpayment", "refund"],
                },
                "amount": {"type": "integer"},
                "balance_after": MONEY,
                "order_id": {"type": ["integer", "null"]},
                "reference": {"type": ["string", "null"]},
            },
        ),
        "Balance": obj(
            ["vendor_id", "balance", "currency", "ledger"],
            {
                "vendor_id": ID,
                "balance": MONEY,
                "currency": {"type": "string"},
                "ledger": {"type": "array", "items": ref("LedgerEntry")},
            },
        ),
        "TopUp": obj(
            ["amount", "reference"],
            {
                "amount": {"type": "integer", "minimum": 1},
                "reference": {"type": "string", "minLength": 1, "maxLength": 100},
            },
        ),
        "AuditEntry": obj(
            ["id", "at", "actor", "action"],
            {
                "id": ID,
                "at": TIME,
                "actor": {"type": "string"},
                "vendor_id": {"type": ["integer", "null"]},
                "action": {"type": "string"},
                "subject": {"type": ["string", "null"]},
                "address": {"type": ["string", "null"]},
                "details": {"type": "object"},
            },
        ),
    }


def paths() -> dict[str, Any]:
    p: dict[str, Any] = {}
    auth = "accounts"
    p["/v1/auth/register"] = {
        "post": operation(
            "Register a company and its first user; mails a confirmation link",
            auth,
            (202, ref("Accepted")),
            body=ref("Registration"),
            errors=(400, 413),
            public=True,
        )
    }
    p["/v1/auth/confirm"] = {
        "get": operation(
            "Confirm an e-mail address (the link from the e-mail)",
            auth,
            (200, ref("Confirmation")),
            errors=(400, 404, 429),
            public=True,
            params=[
                {"name": "token", "in": "query", "required": True, "schema": {"type": "string"}}
            ],
        ),
        "post": operation(
            "Confirm an e-mail address with the code",
            auth,
            (200, ref("Confirmation")),
            body=ref("LinkToken"),
            errors=(400, 404, 429),
            public=True,
        ),
    }
    p["/v1/auth/token"] = {
        "post": operation(
            "Sign in: a short-lived bearer token",
            auth,
            (200, ref("Token")),
            body=ref("TokenRequest"),
            errors=(400, 401, 403, 429),
            public=True,
        )
    }
    p["/v1/auth/password-reset"] = {
        "post": operation(
            "Mail a password reset code",
            auth,
            (202, ref("Accepted")),
            body=ref("PasswordResetRequest"),
            errors=(400, 429),
            public=True,
        )
    }
    p["/v1/auth/password-reset/confirm"] = {
        "post": operation(
            "Set a new password with the reset code",
            auth,
            (200, {"type": "object"}),
            body=ref("PasswordReset"),
            errors=(400, 404, 429),
            public=True,
        )
    }
    p["/v1/auth/password"] = {
        "post": operation(
            "Change the password (earlier tokens stop working)",
            auth,
            (200, ref("Token")),
            body=ref("PasswordChange"),
            errors=(400, 401, 403, 429),
        )
    }
    p["/v1/me"] = {"get": operation("The signed-in user and company", auth, (200, ref("Me")))}
    p["/v1/api-keys"] = {
        "get": operation("API keys", auth, (200, items_of("ApiKey"))),
        "post": operation(
            "Create an API key (shown once)",
            auth,
            (201, ref("ApiKey")),
            body=ref("ApiKeyCreate"),
            body_required=False,
        ),
    }
    p["/v1/api-keys/{key_id}"] = {
        "delete": operation(
            "Revoke an API key",
            auth,
            (200, ref("ApiKey")),
            params=[path_param("key_id", {"type": "string", "pattern": "^[0-9]{1,18}$"})],
        )
    }
    p["/v1/users"] = {
        "get": operation(
            "Users (a vendor: its company's)", auth, (200, items_of("User")), params=PAGE
        ),
        "post": operation(
            "Create a confirmed user",
            auth,
            (201, ref("User")),
            body=ref("UserCreate"),
            errors=(400, 401, 403, 404, 409),
        ),
    }
    p["/v1/users/{user_id}"] = {
        "get": operation(
            "One user",
            auth,
            (200, ref("User")),
            params=[path_param("user_id", {"type": "string", "pattern": "^[0-9]{1,18}$"})],
        )
    }
    user_id = path_param("user_id", {"type": "string", "pattern": "^[0-9]{1,18}$"})
    p["/v1/users/{user_id}/disable"] = {
        "post": operation(
            "Disable a user (staff, or an admin of the user's company): their tokens, "
            "portal sessions and API keys stop at once",
            auth,
            (200, ref("User")),
            errors=(400, 401, 403, 404),
            params=[user_id],
        )
    }
    p["/v1/users/{user_id}/enable"] = {
        "post": operation(
            "Enable a disabled user again",
            auth,
            (200, ref("User")),
            errors=(400, 401, 403, 404),
            params=[user_id],
        )
    }
    p["/v1/colleagues"] = {
        "get": operation(
            "The users of the own company",
            auth,
            (200, items_of("User")),
            params=PAGE,
            errors=(400, 401, 403),
        ),
        "post": operation(
            "Invite a colleague (a company admin): mails a link to choose a password",
            auth,
            (201, ref("User")),
            body=ref("ColleagueInvite"),
            errors=(400, 401, 403, 409),
        ),
    }
    p["/v1/vendors"] = {
        "get": operation(
            "Companies (a vendor: its own)", auth, (200, items_of("Vendor")), params=PAGE
        )
    }
    p["/v1/vendors/{vendor_id}"] = {
        "get": operation("One company", auth, (200, ref("Vendor")), params=[VENDOR_ID]),
        "patch": operation(
            "Set a company's discount (staff)",
            auth,
            (200, ref("Vendor")),
            body=ref("VendorPatch"),
            errors=(400, 401, 403, 404),
            params=[VENDOR_ID],
        ),
    }
    bal = "balances"
    p["/v1/balance"] = {
        "get": operation(
            "The own company's balance and ledger", bal, (200, ref("Balance")), params=PAGE
        )
    }
    p["/v1/vendors/{vendor_id}/balance"] = {
        "get": operation(
            "A company's balance and ledger", bal, (200, ref("Balance")), params=[VENDOR_ID, *PAGE]
        )
    }
    p["/v1/vendors/{vendor_id}/top-ups"] = {
        "post": operation(
            "Record a top-up (staff); the same reference twice changes nothing",
            bal,
            (201, ref("LedgerEntry")),
            body=ref("TopUp"),
            errors=(400, 401, 403, 404, 409),
            params=[VENDOR_ID],
            extra_ok={200: ref("LedgerEntry")},
        )
    }
    p["/v1/balance/prepayment-invoices"] = {
        "post": operation(
            "Request a prepayment invoice for a top-up",
            "balances",
            (201, ref("Prepayment")),
            body=ref("PrepaymentRequest"),
            errors=(400, 401, 404),
        ),
        "get": operation(
            "Prepayment invoices, newest first",
            "balances",
            (200, items_of("Prepayment")),
            params=[query("vendor_id", ID, "Staff only: one company's.")],
        ),
    }
    p["/v1/prepayment-invoices/{number}/payments"] = {
        "post": operation(
            "Record the bank's payment of a prepayment invoice (staff): credits the balance; "
            "the same reference twice changes nothing",
            "balances",
            (201, ref("Prepayment")),
            body=ref("PrepaymentPayment"),
            errors=(400, 401, 403, 404, 409),
            params=[path_param("number", {"type": "string", "pattern": "^[0-9]{1,18}$"})],
            extra_ok={200: ref("Prepayment")},
        )
    }
    p["/v1/company"] = {
        "get": operation(
            "The company's requisites",
            "accounts",
            (200, ref("Company")),
            params=[query("vendor_id", ID, "Staff only.")],
        ),
        "put": operation(
            "Replace the company's requisites",
            "accounts",
            (200, ref("Company")),
            body=ref("Company"),
            params=[query("vendor_id", ID, "Staff only.")],
        ),
    }
    p["/v1/renewals/quote"] = {
        "post": operation(
            "Check and price an upload of serial numbers for renewal (text/plain, text/csv or "
            "JSON {text}); nothing is written",
            "orders",
            (200, ref("RenewalQuote")),
            body={"type": "object", "properties": {"text": {"type": "string"}}},
            errors=(400, 401, 404),
        )
    }
    p["/v1/renewals"] = {
        "post": operation(
            "Order the renewal of serial numbers: invoiced at once, the serials locked until "
            "paid or cancelled",
            "orders",
            (201, ref("Order")),
            body=ref("RenewalRequest"),
            errors=(400, 401, 404, 409),
        )
    }
    orders = "orders"
    p["/v1/orders"] = {
        "get": operation(
            "Orders, newest first",
            orders,
            (200, items_of("Order")),
            params=[*PAGE, query("status", ORDER_STATUS), query("vendor_id", ID)],
        ),
        "post": operation(
            "Place an order",
            orders,
            (201, ref("Order")),
            body=ref("OrderRequest"),
            errors=(400, 401, 404),
        ),
    }
    p["/v1/orders/{order_id}"] = {
        "get": operation(
            "One order with its history and payments",
            orders,
            (200, ref("Order")),
            params=[ORDER_ID],
        ),
        "put": operation(
            "Replace the lines of a placed order",
            orders,
            (200, ref("Order")),
            body=ref("OrderRequest"),
            errors=(400, 401, 404, 409),
            params=[ORDER_ID],
        ),
    }
    p["/v1/orders/{order_id}/invoice"] = {
        "post": operation(
            "Invoice a placed order (staff)",
            orders,
            (200, ref("Order")),
            errors=(401, 403, 404, 409),
            params=[ORDER_ID],
        )
    }
    p["/v1/orders/{order_id}/payments"] = {
        "post": operation(
            "Record a payment (staff: transfer; vendor: from the balance); fulfils when paid",
            orders,
            (201, ref("Order")),
            body=ref("PaymentRequest"),
            body_required=False,
            errors=(400, 401, 403, 404, 409),
            params=[ORDER_ID],
            extra_ok={200: ref("Order")},
        )
    }
    p["/v1/orders/{order_id}/cancel"] = {
        "post": operation(
            "Cancel an order",
            orders,
            (200, ref("Order")),
            body=ref("CancelRequest"),
            body_required=False,
            errors=(400, 401, 404, 409),
            params=[ORDER_ID],
        )
    }
    p["/v1/orders/{order_id}/serials"] = {
        "get": operation(
            "The serials of an order (JSON, or CSV with Accept: text/csv)",
            orders,
            (200, ref("OrderSerials")),
            params=[ORDER_ID],
            ok_content={
                "application/json": {"schema": ref("OrderSerials")},
                "text/csv": {"schema": {"type": "string"}},
            },
        )
    }
    p["/v1/audit"] = {
        "get": operation(
            "The audit log (a vendor: its own part)",
            "audit",
            (200, items_of("AuditEntry")),
            params=[
                *PAGE,
                query("action", {"type": "string"}),
                query("subject", {"type": "string"}),
                query("vendor_id", ID),
            ],
        )
    }
    return p


class ApiReference:
    """The document of the endpoints an application mounted, written once when first asked."""

    def __init__(self, declared: Sequence[Endpoint]) -> None:
        self.declared = tuple(declared)

    @cached_property
    def document(self) -> dict[str, Any]:
        return _document(self.declared)


def _document(declared: Sequence[Endpoint]) -> dict[str, Any]:
    declared_paths, declared_schemas = paths_and_components(
        [*activation.ENDPOINTS, *declared],
        always=activation.ALWAYS,
        on_body=activation.ON_BODY,
        signed_in=(Unauthorized,),
        staff=(Forbidden,),
    )
    merged = paths()
    for path, operations in declared_paths.items():
        merged.setdefault(path, {}).update(operations)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Activation server and vendor API",
            "version": "1",
            "description": (
                "The activation API (serial activation, validation, deactivation, signing keys) "
                "and the vendor API (accounts, products, price list, orders, serials, "
                'balances, audit). Every error is {"error": {"code", "message"}}.'
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": merged,
        "components": {
            "schemas": {**schemas(), **declared_schemas},
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A token from POST /v1/auth/token, or an API key (ak_...).",
                }
            },
        },
    }
