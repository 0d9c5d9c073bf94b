"""Offline activation: paste the activation request code, get the license text to paste back.

The installation key → registration key flow of the seeds. The page calls the activation
service's one entry point, as ``POST /v1/offline-activations`` does (failed-attempt limit per
address included), and explains each refusal in words.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from activation_server.activations import service
from activation_server.activations.requests import parse_offline_activation
from activation_server.appkeys import ACTIVATIONS
from activation_server.errors import ApiError, InvalidRequest
from activation_server.http import client_address
from client_sdk.offline import MAX_CODE_CHARS, MalformedRequestCode, OfflineRequest, decode_request
from vendor_portal.pages.context import render
from vendor_portal.pages.forms import Form
from vendor_portal.pages.i18n import N_, gettext

# What can stand between a request code and a license, in the words of the seeds' "reasons a
# registration key is refused"; shown beside the form so a person can check before asking.
REASONS = (
    N_("The request code was not copied whole: every line between the two marker lines counts."),
    N_("The serial number was mistyped when the program asked for it."),
    N_("The serial number was blocked by the vendor, or is past its validity."),
    N_("The request was made by another program than the one the serial number is for."),
    N_("The request asks for more modules than the serial number licenses (fewer are fine)."),
    N_("Every activation of the serial number is in use on other machines."),
)


def _decoded(code: str) -> OfflineRequest | None:
    try:
        return decode_request(code)
    except MalformedRequestCode:
        return None


async def _activate(request: web.Request, code: str) -> service.Activation:
    return await request.config_dict[ACTIVATIONS].activate(
        parse_offline_activation({"request": code}), address=client_address(request), via="offline"
    )


def license_text(result: service.Activation) -> str:
    """The activation answer as the SDK's ``install`` reads it (the JWT with its summary)."""
    return json.dumps(result.to_json(), indent=2, ensure_ascii=False)


async def offline_activation(request: web.Request) -> web.StreamResponse:
    form = Form()
    context: dict[str, Any] = {"reasons": REASONS, "result": None, "decoded": None}
    status = 200
    if request.method == "POST":
        form = await Form.read(request)
        code = form.text("request", max_length=MAX_CODE_CHARS)
        context["decoded"] = _decoded(code) if code else None
        if form.ok:
            try:
                result = await _activate(request, code)
            except InvalidRequest as error:
                # A damaged code: the decoder's own words say which part to copy again.
                form.refuse(
                    gettext(
                        "This is not a complete activation request code. Copy it again from "
                        "the program, every line from BEGIN to END."
                    )
                    if context["decoded"] is None
                    else error.message,
                    "request",
                )
                context["refusal"] = error
            except ApiError as error:
                form.refuse(error)
                context["refusal"] = error
            else:
                context["result"] = result
                context["license_text"] = license_text(result)
        status = 200 if form.ok else 422
    context["form"] = form
    return render(request, "offline.html", context, status=status)


async def offline_license_download(request: web.Request) -> web.StreamResponse:
    """The same license as a file. Activating again from the same machine takes no new slot:
    the answer is the machine's existing activation."""
    form = await Form.read(request)
    code = form.text("request", max_length=MAX_CODE_CHARS)
    if not form.ok:
        raise web.HTTPBadRequest()
    result = await _activate(request, code)
    return web.Response(
        text=license_text(result) + "\n",
        content_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="license-{result.serial}.json"',
        },
    )
