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


def schemas() -> dict[str, Schema]:
    return {}


def paths() -> dict[str, Any]:
    p: dict[str, Any] = {}
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
