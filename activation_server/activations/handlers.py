"""Handlers of the activation API: POST /v1/activations, /validations, /deactivations,
/check-ins and /offline-activations. Each receives its body decoded as its declaration in
:mod:`activation_server.activations.endpoints` says; check, call the service, shape the answer."""

from __future__ import annotations

from aiohttp import web

from activation_server import metrics
from activation_server.activations.requests import (
    ActivationRequest,
    activation_request,
    checked_license,
    license_token,
    offline_activation_request,
    parse_components,
    parse_fingerprint,
    parse_serial,
)
from activation_server.activations.schemas import (
    ActivationBody,
    LicenseBody,
    OfflineActivationBody,
    ValidationBody,
)
from activation_server.appkeys import ACTIVATIONS
from activation_server.bodies import json_answer
from activation_server.errors import ApiError, InvalidRequest
from activation_server.http import client_address


async def _activate(request: web.Request, activation: ActivationRequest, via: str) -> web.Response:
    try:
        result = await request.app[ACTIVATIONS].activate(
            activation, address=client_address(request), via=via
        )
    except ApiError as exc:
        metrics.record_activation(exc.code)
        raise
    metrics.record_activation("created" if result.created else "existing")
    return json_answer(result.to_json(), status=201 if result.created else 200)


async def post_activation(request: web.Request, body: ActivationBody) -> web.Response:
    try:
        activation = activation_request(body)
    except ApiError as exc:
        metrics.record_activation(exc.code)
        raise
    return await _activate(request, activation, "online")


async def post_offline_activation(
    request: web.Request, body: OfflineActivationBody
) -> web.Response:
    return await _activate(request, offline_activation_request(body), "offline")


async def post_validation(request: web.Request, body: ValidationBody) -> web.Response:
    activations = request.app[ACTIVATIONS]
    serial, fingerprint = body.serial, body.fingerprint
    if isinstance(body.license, str):
        verdict = await activations.validate_license(checked_license(body.license))
    elif isinstance(serial, str) or isinstance(fingerprint, str):
        if not isinstance(serial, str) or not isinstance(fingerprint, str):
            raise InvalidRequest(
                "Send either 'license', or both 'serial' and 'fingerprint' as strings."
            )
        verdict = await activations.validate_machine(
            parse_serial(serial),
            parse_fingerprint(fingerprint),
            address=client_address(request),
            components=parse_components(body.fingerprint_components),
        )
    else:
        raise InvalidRequest("Send either 'license', or both 'serial' and 'fingerprint'.")
    return json_answer(verdict.to_json())


async def post_check_in(request: web.Request, body: LicenseBody) -> web.Response:
    result = await request.app[ACTIVATIONS].check_in(license_token(body))
    return json_answer(result.to_json())


async def post_deactivation(request: web.Request, body: LicenseBody) -> web.Response:
    result = await request.app[ACTIVATIONS].deactivate(
        license_token(body), address=client_address(request)
    )
    return json_answer(result.to_json())
