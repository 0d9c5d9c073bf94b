"""The vendor's signing keys: the JWKS to paste into the application, and staged rotation."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from aiohttp import web

from activation_server.appkeys import ACTIVATIONS, DB_POOL
from activation_server.errors import ApiError
from vendor_portal.appkeys import PORTAL
from vendor_portal.keys import service
from vendor_portal.pages.context import actor, flash, redirect, render, url, vendor_required
from vendor_portal.pages.forms import Form
from vendor_portal.pages.i18n import gettext
from vendor_portal.pages.once import single_submission

KEY_TIMES = ("created_at", "promoted_at", "retired_at")


def _with_times(key: dict[str, Any]) -> dict[str, Any]:
    """The key with its times as moments, for the page to show in the reader's zone."""
    return {**key, **{name: datetime.fromisoformat(key[name]) for name in KEY_TIMES if key[name]}}


async def _page(request: web.Request, form: Form, status: int = 200) -> web.StreamResponse:
    found = await service.signing_keys(
        request.config_dict[DB_POOL], request.config_dict[ACTIVATIONS].keyring, actor(request)
    )
    base = request.config_dict[PORTAL].base_url or f"{request.scheme}://{request.host}"
    return render(
        request,
        "keys/list.html",
        {
            "form": form,
            "keys": [_with_times(key) for key in found["keys"]],
            "jwks_url": base.rstrip("/") + found["jwks_url"],
            "jwks_text": json.dumps(found["jwks"], indent=2),
            "has_next": any(key["state"] == "next" for key in found["keys"]),
        },
        status=status,
    )


@vendor_required
async def key_list(request: web.Request) -> web.StreamResponse:
    return await _page(request, Form.of({}))


@vendor_required
@single_submission()
async def key_action(request: web.Request) -> web.StreamResponse:
    action = request.match_info["action"]
    if action not in ("next", "promote"):
        raise web.HTTPNotFound()
    form = await Form.read(request)
    if form.ok:
        pool, keyring = request.config_dict[DB_POOL], request.config_dict[ACTIVATIONS].keyring
        try:
            if action == "next":
                await service.add_next_key(pool, keyring, actor(request))
            else:
                await service.promote_next_key(pool, keyring, actor(request))
        except ApiError as error:
            form.refuse(error)
        else:
            flash(
                request,
                gettext("The next key is published. Ship it in your application, then promote it.")
                if action == "next"
                else gettext("The next key now signs new licenses; the previous one is retired."),
            )
            raise redirect(url("keys"))
    return await _page(request, form, status=422)
