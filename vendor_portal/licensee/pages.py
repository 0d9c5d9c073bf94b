"""The licensee's self-service pages under ``/portal/licensee/``: sign in with a mailed code or the
license file, the serial's machines, and freeing one.

The licensee's session is its own cookie, limited to these pages' path, naming one serial: no
page here takes a serial or a vendor from the address, so there is no way to another one.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from aiohttp import web

from activation_server.activations.requests import parse_serial
from activation_server.appkeys import ACTIVATIONS, DB_POOL, SETTINGS
from activation_server.errors import (
    ActivationNotFound,
    ApiError,
    InvalidRequest,
    RateLimited,
    SerialMalformed,
)
from activation_server.http import client_address
from vendor_portal import parsing
from vendor_portal.appkeys import PORTAL
from vendor_portal.errors import LicenseNotAccepted, SelfServiceOff, SignInCodeInvalid
from vendor_portal.licensee import service
from vendor_portal.licensee.queries import LicenseeSerial
from vendor_portal.pages.context import actor, flash, login_required, redirect, render, url
from vendor_portal.pages.forms import Form
from vendor_portal.pages.i18n import gettext
from vendor_portal.pages.once import single_submission

COOKIE = "portal_licensee"
COOKIE_PATH = "/portal/licensee/"
MACHINES = "licensee/machines"
SIGN_IN = "licensee/sign-in"


def _cookie(request: web.Request) -> str | None:
    return request.cookies.get(COOKIE)


def _signed_in(request: web.Request, location: str, token: str) -> web.Response:
    """Goes on to ``location`` with the licensee's session cookie."""
    response = web.Response(status=303, headers={"Location": location})
    response.set_cookie(
        COOKIE,
        token,
        max_age=service.SESSION_SECONDS,
        path=COOKIE_PATH,
        secure=request.config_dict[SETTINGS].portal.cookie_secure,
        httponly=True,
        samesite="Strict",
    )
    return response


async def _serial_of(request: web.Request) -> LicenseeSerial:
    found = await service.signed_in_serial(request.config_dict[DB_POOL], _cookie(request))
    if found is None:
        raise redirect(url("licensee/"))
    return found


async def _page(
    request: web.Request, template: str, context: dict[str, Any], status: int = 200
) -> web.Response:
    return render(request, f"licensee/{template}", context, status=status)


async def _code_page(
    request: web.Request, form: Form, *, sent: bool = False, status: int = 200
) -> web.Response:
    context = {"form": form, "sent": sent, "minutes": service.CODE_SECONDS // 60}
    return await _page(request, "sign_in.html", context, status=status)


def _serial_field(form: Form) -> str | None:
    value = form.text("serial", max_length=100)
    if not value:
        return None
    canonical = service.canonical_serial(value)
    if canonical is None:
        form.fail(
            "serial",
            gettext(
                "That is not a serial number: a symbol is mistyped or missing. Serial numbers "
                "look like XXXXX-XXXXX-XXXXX-XXXXX."
            ),
        )
    return canonical


async def start(request: web.Request) -> web.StreamResponse:
    """The first page: ask for a code, or present the license file."""
    try:
        if await service.signed_in_serial(request.config_dict[DB_POOL], _cookie(request)):
            raise redirect(url(MACHINES))
    except SelfServiceOff:
        pass
    return await _page(request, "start.html", {"form": Form(), "license_form": Form()})


@single_submission(shown_result=lambda request: url(SIGN_IN))
async def request_code(request: web.Request) -> web.StreamResponse:
    form = await Form.read(request)
    serial = _serial_field(form)
    if form.ok and serial is not None:
        try:
            await service.request_code(
                request.config_dict[DB_POOL],
                request.config_dict[PORTAL],
                serial,
                client_address(request),
            )
        except RateLimited as error:
            form.refuse(
                gettext(
                    "Too many code requests. Try again in %(seconds)s s.",
                    seconds=error.retry_after,
                )
            )
        else:
            sent = Form.of({"serial": serial})
            return await _code_page(request, sent, sent=True)
    return await _page(request, "start.html", {"form": form, "license_form": Form()}, status=422)


async def sign_in(request: web.Request) -> web.StreamResponse:
    """The serial and the mailed code."""
    if request.method != "POST":
        form = Form.of({"serial": request.query.get("serial", "")[:100]})
        return await _code_page(request, form)
    form = await Form.read(request)
    serial = form.text("serial", max_length=100)
    code = form.text("code", max_length=20).replace(" ", "")
    if form.ok:
        try:
            token = await service.sign_in_with_code(
                request.config_dict[DB_POOL],
                request.config_dict[PORTAL],
                serial,
                code,
                client_address(request),
            )
        except (SignInCodeInvalid, SelfServiceOff, RateLimited) as error:
            form.refuse(error)
        else:
            return _signed_in(request, url(MACHINES), token)
    return await _code_page(request, form, status=422)


async def _license_text(request: web.Request, form: Form) -> str:
    """The uploaded license file, else the pasted text."""
    upload = (await request.post()).get("license_file")
    if isinstance(upload, web.FileField):
        raw = upload.file.read(service.MAX_LICENSE_TEXT + 1)
        if raw:
            return raw.decode("utf-8", errors="replace")
    return form.values.get("license", "")


async def sign_in_with_license(request: web.Request) -> web.StreamResponse:
    form = await Form.read(request)
    text = await _license_text(request, form)
    if not text.strip():
        form.fail("license", gettext("Choose the license file or paste the license."))
    if form.ok:
        try:
            token = await service.sign_in_with_license(
                request.config_dict[DB_POOL],
                request.config_dict[PORTAL],
                request.config_dict[ACTIVATIONS],
                text,
                client_address(request),
            )
        except (LicenseNotAccepted, SelfServiceOff, RateLimited) as error:
            form.refuse(error)
        else:
            return _signed_in(request, url(MACHINES), token)
    return await _page(request, "start.html", {"form": Form(), "license_form": form}, status=422)


async def _machines(
    request: web.Request, found: LicenseeSerial, form: Form, status: int = 200
) -> web.Response:
    seen = await service.overview(request.config_dict[DB_POOL], found)
    return await _page(request, "machines.html", {"form": form, "view": seen}, status=status)


async def machines(request: web.Request) -> web.StreamResponse:
    found = await _serial_of(request)
    return await _machines(request, found, Form())


@single_submission(shown_result=lambda request: url(MACHINES))
async def release(request: web.Request) -> web.StreamResponse:
    found = await _serial_of(request)
    try:
        activation_id = UUID(request.match_info["activation_id"])
    except ValueError:
        raise web.HTTPNotFound() from None
    form = await Form.read(request)
    try:
        await service.release(
            request.config_dict[DB_POOL], found, activation_id, client_address(request)
        )
    except ActivationNotFound:
        raise web.HTTPNotFound() from None
    except ApiError as error:
        form.refuse(error)
        return await _machines(request, found, form, status=409)
    flash(
        request,
        gettext(
            "The machine is released: its place is free for another machine; the program on it "
            "stops at its next check-in."
        ),
    )
    raise redirect(url(MACHINES))


async def sign_out(request: web.Request) -> web.StreamResponse:
    await service.sign_out(request.config_dict[DB_POOL], _cookie(request))
    flash(request, gettext("You have signed out."))
    response = web.Response(status=303, headers={"Location": url("licensee/")})
    response.del_cookie(COOKIE, path=COOKIE_PATH)
    return response


# --- the vendor's side: the address recorded on a serial ------------------------------------------


@login_required
async def vendor_email(request: web.Request) -> web.StreamResponse:
    try:
        serial = parse_serial(request.match_info["serial"][:100])
    except SerialMalformed:
        raise web.HTTPNotFound() from None
    form = await Form.read(request)
    raw = form.text("licensee_email", required=False, max_length=254)
    email = None
    if raw:
        try:
            email = parsing.email(raw)
        except InvalidRequest:
            form.fail(
                "licensee_email", gettext("Enter an e-mail address such as name@example.com.")
            )
    if form.ok:
        await service.record_email(request.config_dict[DB_POOL], actor(request), serial, email)
        flash(
            request,
            gettext("The licensee's address is saved.")
            if email
            else gettext("The licensee's address is removed."),
        )
    else:
        flash(request, form.errors["licensee_email"], "danger")
    raise redirect(url(f"serials/{serial}"))
