"""Machines: every machine holding an activation of the vendor's serials, searchable by host
name, with when it was last seen and last checked in, its release, and the signed revocation
list that tells offline machines of releases, deactivations and blocks."""

from __future__ import annotations

from uuid import UUID

from aiohttp import web

from activation_server.appkeys import ACTIVATIONS, DB_POOL, SETTINGS
from activation_server.errors import ActivationNotFound, ApiError
from activation_server.http import client_address
from vendor_portal.keys import service as keys
from vendor_portal.pages.context import actor, flash, redirect, render, url, vendor_required
from vendor_portal.pages.forms import Form
from vendor_portal.pages.i18n import gettext
from vendor_portal.pages.once import single_submission
from vendor_portal.serials import service

MAX_MACHINES_SHOWN = 500


async def _page(request: web.Request, form: Form, status: int = 200) -> web.StreamResponse:
    search = request.query.get("q", "").strip()[:100] or None
    found = await service.list_machines(
        request.config_dict[DB_POOL], actor(request), search, MAX_MACHINES_SHOWN
    )
    return render(
        request,
        "machines.html",
        {"form": form, "machines": found, "q": search or ""},
        status=status,
    )


@vendor_required
async def machine_list(request: web.Request) -> web.StreamResponse:
    return await _page(request, Form.of({}))


@vendor_required
@single_submission()
async def machine_release(request: web.Request) -> web.StreamResponse:
    try:
        activation_id = UUID(request.match_info["activation_id"])
    except ValueError:
        raise web.HTTPNotFound() from None
    form = await Form.read(request)
    if form.ok:
        try:
            await service.release_activation(
                request.config_dict[DB_POOL], actor(request), activation_id, client_address(request)
            )
        except ActivationNotFound:
            raise web.HTTPNotFound() from None
        except ApiError as error:
            form.refuse(error)
        else:
            flash(
                request,
                gettext(
                    "The machine is released: its slot is free; it stops at its next check-in."
                ),
            )
            raise redirect(url("machines"))
    return await _page(request, form, status=422)


@vendor_required
async def revocation_list(request: web.Request) -> web.StreamResponse:
    """A new numbered revocation list, downloaded as the file to ship with the application."""
    form = await Form.read(request)
    if not form.ok:
        return await _page(request, form, status=422)
    issued = await keys.revocation_list(
        request.config_dict[DB_POOL],
        request.config_dict[ACTIVATIONS].keyring,
        actor(request),
        issuer=request.config_dict[SETTINGS].issuer,
    )
    return web.Response(
        text=issued.token + "\n",
        content_type="application/jwt",
        headers={
            "Content-Disposition": f'attachment; filename="{issued.filename}"',
            "Cache-Control": "no-store",
        },
    )
