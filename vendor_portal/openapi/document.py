"""The OpenAPI 3.1 document served at /v1/openapi.json: the activation API's
(:mod:`activation_server.openapi`) and the vendor API's (DESIGN.md §4), written from the
endpoints the features declared (each feature's ``endpoints.py``, mounted by
:meth:`vendor_portal.routing.Routes.declare`) and from nothing else; a test walks the
application's router and fails when a /v1 route is missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any

from activation_server import openapi as activation
from activation_server.declare import Endpoint, paths_and_components
from activation_server.errors import Forbidden, Unauthorized


class ApiReference:
    """The document of the endpoints an application mounted, written once when first asked."""

    def __init__(self, declared: Sequence[Endpoint]) -> None:
        self.declared = tuple(declared)

    @cached_property
    def document(self) -> dict[str, Any]:
        return _document(self.declared)


def _document(declared: Sequence[Endpoint]) -> dict[str, Any]:
    paths, schemas = paths_and_components(
        [*activation.ENDPOINTS, *declared],
        always=activation.ALWAYS,
        on_body=activation.ON_BODY,
        signed_in=(Unauthorized,),
        staff=(Forbidden,),
    )
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
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A token from POST /v1/auth/token, or an API key (ak_...).",
                }
            },
        },
    }
