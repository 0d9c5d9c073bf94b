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

SERIAL_PATTERN = "^[0-9A-Za-z -]{1,100}$"
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
LIST_TEXT = {"description": "One serial per line, or CSV whose first column holds them."}
TOLERANCE = {
    "type": "integer",
    "minimum": 0,
    "maximum": 2,
    "description": "Hardware components that may change before a machine counts as new "
    "(0: exact binding); more than half of a machine's components must stay.",
}


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
VENDOR_ID = path_param("vendor_id", {"type": "string", "pattern": "^[0-9]{1,18}$"})
SERIAL = path_param("serial", {"type": "string", "pattern": SERIAL_PATTERN})


def schemas() -> dict[str, Schema]:
    return {
        "SigningKeys": obj(
            ["jwks_url", "jwks", "keys"],
            {
                "jwks_url": {"type": "string"},
                "jwks": ref("Jwks"),
                "keys": {
                    "type": "array",
                    "items": obj(
                        ["kid", "state"],
                        {
                            "kid": {"type": "string"},
                            "state": {"type": "string", "enum": ["next", "current", "retired"]},
                            "created_at": {"type": "string", "format": "date-time"},
                            "promoted_at": NULLABLE_TIME,
                            "retired_at": NULLABLE_TIME,
                        },
                    ),
                },
            },
        ),
        "RevocationList": obj(
            ["sequence", "issued_at", "serials", "activations", "token"],
            {
                "sequence": {"type": "integer", "minimum": 1},
                "issued_at": {"type": "string", "format": "date-time"},
                "serials": {"type": "integer", "minimum": 0},
                "activations": {"type": "integer", "minimum": 0},
                "token": {"type": "string"},
            },
        ),
        "Product": obj(
            ["code", "name", "features", "vendor_id", "created_at"],
            {
                "code": {"type": "string"},
                "name": {"type": "string"},
                "features": {"type": "array", "items": {"type": "string"}},
                "vendor_id": ID,
                "created_at": TIME,
                "check_in_days": {"type": "integer", "minimum": 0, "maximum": 3650},
                "grace_days": {"type": "integer", "minimum": 0, "maximum": 3650},
                "transfer_budget": {"type": ["integer", "null"], "minimum": 0},
                "binding_tolerance": TOLERANCE,
                "self_service": {"type": "boolean"},
            },
        ),
        "ProductCreate": obj(
            ["code", "name"],
            {
                "code": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"},
                "name": {"type": "string", "minLength": 1, "maxLength": 200},
                "features": FEATURES,
                "vendor_id": {**ID, "description": "Staff only: the owning company."},
            },
        ),
        "ProductPatch": {
            "type": "object",
            "properties": {
                "name": {"type": "string", "maxLength": 200},
                "features": FEATURES,
                # 0 days: offline forever; otherwise machines need a lease from a check-in.
                "check_in_days": {"type": "integer", "minimum": 0, "maximum": 3650},
                "grace_days": {"type": "integer", "minimum": 0, "maximum": 3650},
                # Deactivations and releases per serial per 365 days (409 past it).
                "transfer_budget": {"type": "integer", "minimum": 0, "maximum": 100000},
                "binding_tolerance": TOLERANCE,
                # Whether the serials' licensees may use the self-service pages (default on).
                "self_service": {"type": "boolean"},
            },
        },
        "PriceList": obj(
            ["currency", "items"],
            {
                "currency": {"type": ["string", "null"]},
                "discount_percent": {"type": ["integer", "null"]},
                "items": {
                    "type": "array",
                    "items": obj(
                        ["license_type", "unit_price", "currency"],
                        {
                            "license_type": LICENSE_TYPE,
                            "name": {"type": "string"},
                            "type": {"type": "string", "enum": ["full", "trial"]},
                            "activations": {"type": "integer"},
                            "unit_price": MONEY,
                            "currency": {"type": "string"},
                        },
                    ),
                },
            },
        ),
        "PriceUpdate": obj(["unit_price"], {"unit_price": MONEY}),
        "SubscriptionPriceUpdate": obj(
            ["update_first", "update_renewal", "term_month"],
            {
                "update_first": MONEY,
                "update_renewal": MONEY,
                "term_month": MONEY,
                "product": {"type": "string", "description": "One product's own prices."},
            },
        ),
        "TierUpdate": obj(
            ["name", "discount_percent"],
            {
                "name": {"type": "string", "maxLength": 100},
                "discount_percent": {"type": "integer", "minimum": 0, "maximum": 100},
            },
        ),
        "VendorTier": obj(["tier"], {"tier": {"type": ["string", "null"]}}),
        "Serial": obj(
            ["serial", "product", "license_type", "type", "features", "status", "activations"],
            {
                "serial": {"type": "string"},
                "product": {"type": "string"},
                "license_type": LICENSE_TYPE,
                "type": {"type": "string", "enum": ["full", "trial"]},
                "features": {"type": "array", "items": {"type": "string"}},
                "status": {"type": "string", "enum": ["active", "blocked"]},
                "activations": ref("Usage"),
                "order_id": {"type": ["integer", "null"]},
                "order_number": {"type": ["integer", "null"]},
                "valid_until": NULLABLE_TIME,
                "created_at": TIME,
                "activation_list": {"type": "array", "items": {"type": "object"}},
            },
        ),
        "SerialPage": obj(
            ["items", "total", "limit", "offset"],
            {
                "items": {"type": "array", "items": ref("Serial")},
                "total": {"type": "integer"},
                "limit": {"type": "integer"},
                "offset": {"type": "integer"},
            },
        ),
        "StatusChange": {
            "type": "object",
            "properties": {"reason": {"type": "string", "maxLength": 500}},
        },
        "BulkRequest": {
            "type": "object",
            "properties": {
                "action": {"type": "string", "enum": ["check", "block", "unblock"]},
                "serials": {"type": "array", "maxItems": 10_000, "items": {"type": "string"}},
                "text": {"type": "string", "description": "A pasted list or CSV, one per line."},
            },
        },
        "BulkResult": obj(
            ["action", "lines", "summary", "changed"],
            {
                "action": {"type": "string"},
                "lines": {
                    "type": "array",
                    "items": obj(
                        ["line", "input", "serial", "result"],
                        {
                            "line": {"type": "integer"},
                            "input": {"type": "string"},
                            "serial": {"type": ["string", "null"]},
                            "result": {
                                "type": "string",
                                "enum": ["ok", "malformed", "unknown", "duplicate"],
                            },
                        },
                    ),
                },
                "summary": {"type": "object", "additionalProperties": {"type": "integer"}},
                "changed": {"type": "integer"},
            },
        ),
    }


def paths() -> dict[str, Any]:
    p: dict[str, Any] = {}
    staff_vendor = [query("vendor_id", {"type": "integer"}, "staff: the vendor")]
    p["/v1/signing-keys"] = {
        "get": operation(
            "The vendor's signing keys with their states, its JWKS and where it is published",
            "keys",
            (200, ref("SigningKeys")),
            params=staff_vendor,
        ),
        "post": operation(
            "Publish a next key (signs nothing until promoted; one at a time)",
            "keys",
            (201, ref("SigningKeys")),
            params=staff_vendor,
        ),
    }
    p["/v1/signing-keys/promote"] = {
        "post": operation(
            "Make the next key current and retire the current one (409 NO_NEXT_KEY without one)",
            "keys",
            (200, ref("SigningKeys")),
            errors=(400, 401, 404, 409),
            params=staff_vendor,
        )
    }
    p["/v1/revocation-lists"] = {
        "post": operation(
            "A new signed revocation list of the vendor (numbered after the last one): the "
            "blocked and ended serials and the released and deactivated machines, for "
            "applications that never go online (docs/protocol.md)",
            "keys",
            (201, ref("RevocationList")),
            params=staff_vendor,
        )
    }
    p["/v1/price-list"] = {
        "get": operation("The price list", "pricing", (200, ref("PriceList")), errors=(401,))
    }
    p["/v1/price-list/{license_type}"] = {
        "put": operation(
            "Change a unit price (staff)",
            "pricing",
            (200, ref("PriceList")),
            body=ref("PriceUpdate"),
            errors=(400, 401, 403, 404),
            params=[path_param("license_type", {"type": "string"})],
        )
    }
    p["/v1/price-list/subscriptions/{license_type}"] = {
        "put": operation(
            "Set the subscription and term prices of a license type or product (staff)",
            "pricing",
            (200, ref("PriceList")),
            body=ref("SubscriptionPriceUpdate"),
            errors=(400, 401, 403, 404),
            params=[path_param("license_type", {"type": "string"})],
        )
    }
    p["/v1/partner-tiers/{code}"] = {
        "put": operation(
            "Define a partner tier and its discount (staff)",
            "pricing",
            (200, ref("PriceList")),
            body=ref("TierUpdate"),
            errors=(400, 401, 403),
            params=[path_param("code", {"type": "string", "pattern": "^[a-z][a-z0-9_-]{0,31}$"})],
        )
    }
    p["/v1/vendors/{vendor_id}/partner-tier"] = {
        "put": operation(
            "Assign a company's partner tier (staff)",
            "pricing",
            (200, ref("VendorTier")),
            body=ref("VendorTier"),
            errors=(400, 401, 403, 404),
            params=[VENDOR_ID],
        )
    }
    prod = "products"
    code = path_param("code", {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"})
    p["/v1/products"] = {
        "get": operation(
            "Products",
            prod,
            (200, items_of("Product")),
            params=[*PAGE, query("vendor_id", ID, "Staff only: one company's products.")],
        ),
        "post": operation(
            "Create a product",
            prod,
            (201, ref("Product")),
            body=ref("ProductCreate"),
            errors=(400, 401, 404, 409),
        ),
    }
    p["/v1/products/{code}"] = {
        "get": operation("One product", prod, (200, ref("Product")), params=[code]),
        "patch": operation(
            "Rename a product or replace its features",
            prod,
            (200, ref("Product")),
            body=ref("ProductPatch"),
            params=[code],
        ),
    }
    ser = "serials"
    p["/v1/serials"] = {
        "get": operation(
            "Serials with search and filters",
            ser,
            (200, ref("SerialPage")),
            params=[
                *PAGE,
                query("q", {"type": "string", "maxLength": 30}, "Part of a serial number."),
                query("order_id", ID),
                query("product", {"type": "string"}),
                query("license_type", LICENSE_TYPE),
                query("status", {"type": "string", "enum": ["active", "blocked"]}),
                query("usage", {"type": "string", "enum": ["unused", "used", "exhausted"]}),
                query("vendor_id", ID),
            ],
        )
    }
    p["/v1/serials/bulk"] = {
        "post": {
            **operation(
                "Check a list of serials and block or unblock the valid ones",
                ser,
                (200, ref("BulkResult")),
                body=ref("BulkRequest"),
                errors=(400, 401, 413),
                params=[
                    query(
                        "action",
                        {"type": "string", "enum": ["check", "block", "unblock"]},
                        "For text/csv and text/plain bodies.",
                    )
                ],
            ),
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": ref("BulkRequest")},
                    # Any text is a list: each line's first cell is taken, and what is not a
                    # serial comes back as "malformed" (so no text is an invalid body).
                    "text/csv": {"schema": LIST_TEXT},
                    "text/plain": {"schema": LIST_TEXT},
                },
            },
        }
    }
    p["/v1/serials/{serial}"] = {
        "get": operation(
            "One serial with its activations", ser, (200, ref("Serial")), params=[SERIAL, *PAGE]
        )
    }
    for action in ("block", "unblock"):
        p[f"/v1/serials/{{serial}}/{action}"] = {
            "post": operation(
                f"{action.capitalize()} a serial",
                ser,
                (200, ref("Serial")),
                body=ref("StatusChange"),
                body_required=False,
                params=[SERIAL],
            )
        }
    p["/v1/serials/{serial}/transfer-grants"] = {
        "post": operation(
            "Staff: allow a serial more transfers than its product's budget",
            "serials",
            (
                200,
                obj(
                    ["serial", "transfers_granted"],
                    {"serial": {"type": "string"}, "transfers_granted": {"type": "integer"}},
                ),
            ),
            body=obj(["extra"], {"extra": {"type": "integer", "minimum": 1, "maximum": 1000}}),
            errors=(400, 401, 403, 404),
            params=[SERIAL],
        )
    }
    licensee = obj(
        ["serial", "email"],
        {"serial": {"type": "string"}, "email": {"type": ["string", "null"], "format": "email"}},
    )
    p["/v1/serials/{serial}/licensee"] = {
        "get": operation(
            "The e-mail address of a serial's licensee (for self-service sign-in)",
            "serials",
            (200, licensee),
            params=[SERIAL],
        ),
        "put": operation(
            "Record the licensee's e-mail address of a serial (null removes it): the licensee "
            "signs in to the self-service pages with a code mailed there",
            "serials",
            (200, licensee),
            body=obj(
                ["email"],
                {"email": {"type": ["string", "null"], "format": "email", "maxLength": 254}},
            ),
            errors=(400, 401, 404),
            params=[SERIAL],
        ),
    }
    features_body = obj(["features"], {"features": FEATURES})
    p["/v1/serials/{serial}/features"] = {
        "post": operation(
            "Change what a sold serial licenses: machines get the new features in a new license "
            "at their next activation or check-in",
            "serials",
            (200, ref("Serial")),
            body=features_body,
            params=[SERIAL],
        )
    }
    p["/v1/orders/{order_id}/features"] = {
        "post": operation(
            "Change what every serial of an order licenses",
            "serials",
            (
                200,
                obj(
                    ["order_id", "serials", "features"],
                    {"order_id": ID, "serials": {"type": "integer"}, "features": FEATURES},
                ),
            ),
            body=features_body,
            params=[path_param("order_id", ID)],
        )
    }
    p["/v1/activations/{activation_id}/release"] = {
        "post": operation(
            "Release a machine's activation: frees its slot at once, within the transfer budget "
            "(409 TRANSFER_LIMIT_REACHED); the machine learns it at its next check-in",
            "serials",
            (200, ref("Deactivation")),
            errors=(400, 401, 403, 404, 409),
            params=[path_param("activation_id", {"type": "string", "format": "uuid"})],
        )
    }
    p["/v1/openapi.json"] = {
        "get": operation("This document", "meta", (200, {"type": "object"}), errors=(), public=True)
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
