"""Handlers of the activation API: POST /v1/activations, /validations, /deactivations,
/check-ins and /offline-activations. Parse, call the service, shape the answer."""

from __future__ import annotations

from aiohttp import web

from activation_server import metrics
from activation_server.activations.requests import (
    ActivationRequest,
    parse_activation,
    parse_fingerprint,
    parse_license,
    parse_offline_activation,
    parse_serial,
)
from activation_server.appkeys import ACTIVATIONS
from activation_server.errors import ApiError, InvalidRequest
from activation_server.http import client_address, read_json_object


async def _activate(request: web.Request, activation: ActivationRequest, via: str) -> web.Response:
    try:
        result = await request.app[ACTIVATIONS].activate(
            activation, address=client_address(request), via=via
        )
    except ApiError as exc:
        metrics.record_activation(exc.code)
        raise
    metrics.record_activation("created" if result.created else "existing")
    return web.json_response(result.to_json(), status=201 if result.created else 200)


async def post_activation(request: web.Request) -> web.Response:
    body = await read_json_object(request)
    try:
        activation = parse_activation(body)
    except ApiError as exc:
        metrics.record_activation(exc.code)
        raise
    return await _activate(request, activation, "online")


async def post_offline_activation(request: web.Request) -> web.Response:
    body = await read_json_object(request)
    return await _activate(request, parse_offline_activation(body), "offline")


async def post_validation(request: web.Request) -> web.Response:
    body = await read_json_object(request)
    activations = request.app[ACTIVATIONS]
    if "license" in body:
        verdict = await activations.validate_license(parse_license(body))
    elif "serial" in body or "fingerprint" in body:
        serial, fingerprint = body.get("serial"), body.get("fingerprint")
        if not isinstance(serial, str) or not isinstance(fingerprint, str):
            raise InvalidRequest(
                "Send either 'license', or both 'serial' and 'fingerprint' as strings."
            )
        verdict = await activations.validate_machine(
            parse_serial(serial), parse_fingerprint(fingerprint), address=client_address(request)
        )
    else:
        raise InvalidRequest("Send either 'license', or both 'serial' and 'fingerprint'.")
    return web.json_response(verdict.to_json())


async def post_check_in(request: web.Request) -> web.Response:
    body = await read_json_object(request)
    result = await request.app[ACTIVATIONS].check_in(parse_license(body))
    return web.json_response(result.to_json())


async def post_deactivation(request: web.Request) -> web.Response:
    body = await read_json_object(request)
    result = await request.app[ACTIVATIONS].deactivate(
        parse_license(body), address=client_address(request)
    )
    return web.json_response(result.to_json())
