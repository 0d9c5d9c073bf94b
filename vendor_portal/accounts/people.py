"""Who may act for an account: its open sessions (seen and ended by the user), and a company's
colleagues (listed, invited and disabled by the company's admins)."""

from __future__ import annotations

from aiohttp import web

from activation_server.appkeys import DB_POOL
from activation_server.errors import ApiError
from vendor_portal import parsing
from vendor_portal.accounts import service as accounts
from vendor_portal.appkeys import PORTAL
from vendor_portal.errors import UserNotFound
from vendor_portal.pages.context import actor, flash, login_required, page, redirect, render, url
from vendor_portal.pages.forms import Form
from vendor_portal.pages.i18n import N_, gettext
from vendor_portal.pages.once import single_submission

COMPANY_ROLE_NAMES = {"admin": N_("Administrator"), "member": N_("Member")}


def _path_id(request: web.Request, name: str) -> int:
    return parsing.path_id(request.match_info[name], UserNotFound)


@login_required
async def session_list(request: web.Request) -> web.StreamResponse:
    current = page(request).session
    found = await accounts.list_portal_sessions(request.config_dict[DB_POOL], actor(request))
    this_one = await accounts.portal_session_id(
        request.config_dict[DB_POOL], current.token if current else ""
    )
    return render(request, "auth/sessions.html", {"sessions": found, "this_one": this_one})


@login_required
async def session_end(request: web.Request) -> web.StreamResponse:
    session_id = _path_id(request, "session_id")
    if await accounts.end_own_session(request.config_dict[DB_POOL], actor(request), session_id):
        flash(request, gettext("The session is ended."))
    raise redirect(url("sessions"))


async def _colleagues(
    request: web.Request, form: Form | None = None, status: int = 200
) -> web.Response:
    users = await accounts.list_users(request.config_dict[DB_POOL], actor(request), 500, 0)
    me = page(request).user
    return render(
        request,
        "auth/colleagues.html",
        {
            "colleagues": users,
            "form": form or Form.of({"company_role": "member"}),
            "roles": COMPANY_ROLE_NAMES,
            "role_options": [(code, gettext(name)) for code, name in COMPANY_ROLE_NAMES.items()],
            "is_admin": me is not None and me.company_role == "admin",
        },
        status=status,
    )


@login_required
@single_submission()
async def colleague_list(request: web.Request) -> web.StreamResponse:
    if not page(request).is_vendor:
        raise web.HTTPNotFound()
    if request.method != "POST":
        return await _colleagues(request)
    form = await Form.read(request)
    email = form.text("email", max_length=254)
    role = form.choice("company_role", COMPANY_ROLE_NAMES)
    if form.ok:
        try:
            user = await accounts.invite_colleague(
                request.config_dict[DB_POOL],
                request.config_dict[PORTAL],
                actor(request),
                email=parsing.email(email),
                company_role=role,
            )
        except ApiError as error:
            form.refuse(error)
        else:
            flash(
                request,
                gettext(
                    "%(email)s is invited: a link to choose a password is on its way.",
                    email=user.email,
                ),
            )
            raise redirect(url("colleagues"))
    return await _colleagues(request, form, status=422)


@login_required
async def colleague_status(request: web.Request) -> web.StreamResponse:
    user_id = _path_id(request, "user_id")
    disable = request.match_info["action"] == "disable"
    user = await accounts.set_user_disabled(
        request.config_dict[DB_POOL], actor(request), user_id, disable
    )
    if disable:
        flash(request, gettext("%(email)s is disabled.", email=user.email))
    else:
        flash(request, gettext("%(email)s may sign in again.", email=user.email))
    if page(request).is_staff and user.vendor_id is not None:
        raise redirect(url(f"staff/vendors/{user.vendor_id}"))
    raise redirect(url("colleagues"))
