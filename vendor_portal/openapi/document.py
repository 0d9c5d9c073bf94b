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
