"""A vendor's signing keys and revocation lists in the vendor API, each operation declared once
for the router and the OpenAPI document."""

from __future__ import annotations

from activation_server.declare import Answer, Endpoint, NoOptions
from activation_server.errors import InvalidRequest
from vendor_portal.errors import NoNextKey, VendorNotFound
from vendor_portal.keys import handlers, schemas
from vendor_portal.products.schemas import VendorQuery

TAG = "keys"
_VENDOR = (InvalidRequest, VendorNotFound)

ENDPOINTS = (
    Endpoint(
        "GET",
        "/v1/signing-keys",
        handlers.get_signing_keys,
        operation_id="listVendorKeys",
        summary="The company's signing keys",
        description=(
            "Its keys with their states (next, current, retired), its JWKS and the address "
            "that publishes it. Staff name the company with `vendor_id`."
        ),
        tag=TAG,
        query=VendorQuery,
        answers=(Answer(200, "The keys", schemas.SigningKeys),),
        errors=_VENDOR,
    ),
    Endpoint(
        "POST",
        "/v1/signing-keys",
        handlers.post_signing_key,
        operation_id="addNextKey",
        summary="Publish a next signing key",
        description=(
            "The key is published in the JWKS at once but signs nothing until promoted, so "
            "that applications learn it first; one next key at a time. It takes no options."
        ),
        tag=TAG,
        query=VendorQuery,
        body=NoOptions,
        body_required=False,
        answers=(Answer(201, "The keys", schemas.SigningKeys),),
        errors=_VENDOR,
    ),
    Endpoint(
        "POST",
        "/v1/signing-keys/promote",
        handlers.post_promote,
        operation_id="promoteNextKey",
        summary="Make the next key current",
        description=(
            "The next key signs from now on and the current one retires (still published, so "
            "that its licenses verify); 409 NO_NEXT_KEY without a next key."
        ),
        tag=TAG,
        query=VendorQuery,
        body=NoOptions,
        body_required=False,
        answers=(Answer(200, "The keys", schemas.SigningKeys),),
        errors=(*_VENDOR, NoNextKey),
    ),
    Endpoint(
        "POST",
        "/v1/revocation-lists",
        handlers.post_revocation_list,
        operation_id="issueRevocationList",
        summary="Issue a signed revocation list",
        description=(
            "The company's blocked and ended serials and its released and deactivated "
            "machines, signed and numbered after the last list, for applications that never "
            "go online (docs/protocol.md)."
        ),
        tag=TAG,
        query=VendorQuery,
        body=NoOptions,
        body_required=False,
        answers=(Answer(201, "The list", schemas.RevocationList),),
        errors=_VENDOR,
    ),
)
