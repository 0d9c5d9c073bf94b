"""The activation API's endpoints (DESIGN.md §3), each declared once: its route, body, answers
and refusals, from which the server reads requests and the OpenAPI document is written."""

from __future__ import annotations

from activation_server.activations import handlers, schemas
from activation_server.declare import Answer, Endpoint
from activation_server.errors import (
    ActivationLimitReached,
    ActivationNotFound,
    DeactivationNotAllowed,
    FeaturesNotLicensed,
    InvalidRequest,
    LicenseInvalid,
    ProductMismatch,
    RateLimited,
    SerialBlocked,
    SerialExpired,
    SerialMalformed,
    SerialNotFound,
    TransferLimitReached,
)

TAG = "activation"
_REFUSALS = (
    InvalidRequest,
    SerialMalformed,
    SerialBlocked,
    SerialExpired,
    ProductMismatch,
    FeaturesNotLicensed,
    SerialNotFound,
    ActivationLimitReached,
    RateLimited,
)
_ACTIVATED = (
    Answer(201, "A new slot was taken", schemas.Activation),
    Answer(
        200,
        "This machine already holds an activation of the serial: the same one, no slot taken",
        schemas.Activation,
    ),
)

ENDPOINTS = (
    Endpoint(
        "POST",
        "/v1/activations",
        handlers.post_activation,
        operation_id="activate",
        summary="Activate a serial on a machine",
        description=(
            "Counts the activation against the serial's limit and answers a license signed for "
            "this machine. The same fingerprint activating again gets the same activation. "
            "Failed attempts from one address are limited (429 RATE_LIMITED)."
        ),
        tag=TAG,
        body=schemas.ActivationBody,
        answers=_ACTIVATED,
        errors=_REFUSALS,
        public=True,
    ),
    Endpoint(
        "POST",
        "/v1/offline-activations",
        handlers.post_offline_activation,
        operation_id="activateOffline",
        summary="Activate from an offline request code",
        description=(
            "For a machine with no network: the request code that the SDK wrote holds serial, "
            "fingerprint, product and features; the answer is exactly what POST /v1/activations "
            "would answer."
        ),
        tag=TAG,
        body=schemas.OfflineActivationBody,
        answers=_ACTIVATED,
        errors=_REFUSALS,
        public=True,
    ),
    Endpoint(
        "POST",
        "/v1/validations",
        handlers.post_validation,
        operation_id="validate",
        summary="Check a license or a machine's activation",
        description=(
            "Send a license, or a serial and a fingerprint. The verdict is in `valid` and "
            "`code`; a refused license is still answered 200. Asking by serial is limited as "
            "activations are."
        ),
        tag=TAG,
        body=schemas.ValidationBody,
        answers=(Answer(200, "The verdict", schemas.Validation),),
        errors=(InvalidRequest, SerialMalformed, RateLimited),
        public=True,
    ),
    Endpoint(
        "POST",
        "/v1/check-ins",
        handlers.post_check_in,
        operation_id="checkIn",
        summary="Check in a license",
        description=(
            "A validation that also answers a new signed lease while the license is good, a "
            "signed refusal when it no longer is, and the license as issued now when it changed."
        ),
        tag=TAG,
        body=schemas.LicenseBody,
        answers=(Answer(200, "The verdict and what the machine keeps", schemas.CheckIn),),
        errors=(InvalidRequest,),
        public=True,
    ),
    Endpoint(
        "POST",
        "/v1/deactivations",
        handlers.post_deactivation,
        operation_id="deactivate",
        summary="Free this machine's slot",
        description=(
            "The license is the proof of possession. Full types allow it, trials do not (403 "
            "DEACTIVATION_NOT_ALLOWED). Deactivating twice answers the same body."
        ),
        tag=TAG,
        body=schemas.LicenseBody,
        answers=(Answer(200, "The slot is free", schemas.Deactivation),),
        errors=(
            InvalidRequest,
            LicenseInvalid,
            DeactivationNotAllowed,
            ActivationNotFound,
            TransferLimitReached,
        ),
        public=True,
    ),
)
