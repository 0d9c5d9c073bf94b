"""Sign up, e-mail confirmation, sign in and out, forgotten password, profile and password."""

from __future__ import annotations

from aiohttp import web

from activation_server.appkeys import DB_POOL
from activation_server.errors import ApiError, Forbidden, InvalidRequest, RateLimited
from activation_server.http import client_address
from vendor_portal import parsing
from vendor_portal.accounts import service as accounts
from vendor_portal.accounts.passwords import MAX_LENGTH, MIN_LENGTH, check_strength
from vendor_portal.appkeys import PORTAL
from vendor_portal.errors import (
    AccountDisabled,
    AccountNotConfirmed,
    InvalidCredentials,
    TokenNotFound,
)
from vendor_portal.pages import i18n
from vendor_portal.pages.context import (
    actor,
    flash,
    login_required,
    page,
    redirect,
    render,
    safe_next,
    url,
)
from vendor_portal.pages.forms import Form
from vendor_portal.pages.i18n import N_, gettext
from vendor_portal.pages.once import single_submission
from vendor_portal.pages.security import new_session

KIND_NAMES = {
    "legal_entity": N_("Company (legal entity)"),
    "individual": N_("Individual entrepreneur or person"),
}


def home_of(request: web.Request) -> str:
    return url("staff/orders") if page(request).is_staff else url("dashboard")


def _email(form: Form, name: str = "email") -> str:
    value = form.text(name, max_length=254)
    if not value or name in form.errors:
        return value
    try:
        return parsing.email(value)
    except InvalidRequest:
        form.fail(name, gettext("Enter an e-mail address such as name@example.com."))
        return value


def _password(form: Form, name: str, confirm: str | None = None) -> str:
    value = form.values.get(name, "")
    if not value:
        form.fail(name, gettext("Fill this in."))
        return value
    try:
        check_strength(value, name)
    except InvalidRequest:
        form.fail(
            name,
            gettext(
                "Choose a password of %(minimum)s to %(maximum)s characters.",
                minimum=MIN_LENGTH,
                maximum=MAX_LENGTH,
            ),
        )
        return value
    if confirm is not None and form.values.get(confirm, "") != value:
        form.fail(confirm, gettext("The two passwords differ. Type the same one twice."))
    return value


async def index(request: web.Request) -> web.StreamResponse:
    if page(request).user is None:
        raise redirect(url("login"))
    raise redirect(home_of(request))


async def set_language(request: web.Request) -> web.StreamResponse:
    form = await Form.read(request)
    language = form["language"]
    if language in i18n.LANGUAGE_CODES:
        current = page(request)
        current.language_choice = language
        if current.user is not None:
            # Kept with the account too, so it follows the user to other browsers.
            await accounts.set_language(request.config_dict[DB_POOL], actor(request), language)
    raise redirect(safe_next(form["next"], url("")))


# --- sign up and confirm ----------------------------------------------------------------------


@single_submission(shown_result=lambda request: url("login"))
async def signup(request: web.Request) -> web.StreamResponse:
    if page(request).user is not None:
        raise redirect(home_of(request))
    form = Form.of({"kind": "legal_entity"})
    if request.method == "POST":
        form = await Form.read(request)
        company = form.text("company", max_length=200)
        kind = form.choice("kind", KIND_NAMES)
        email = _email(form)
        password = _password(form, "password", "password_repeat")
        if form.ok:
            try:
                await accounts.register(
                    request.config_dict[DB_POOL],
                    request.config_dict[PORTAL],
                    email=email,
                    password=password,
                    company=company,
                    kind=kind,
                    address=client_address(request),
                    time_zone=form["time_zone"].strip() or None,
                )
            except ApiError as error:
                form.refuse(error)
            else:
                return render(request, "auth/signup_done.html", {"email": email})
    return render(
        request, "auth/signup.html", {"form": form, "kinds": KIND_NAMES}, status=_status(form)
    )


def _status(form: Form) -> int:
    """Refused forms answer 422, so tests and tools can tell them from shown ones."""
    return 200 if form.ok else 422


async def confirm(request: web.Request) -> web.StreamResponse:
    """The link of the confirmation e-mail: a button confirms, so that a mail scanner that
    opens links does not use the one-time link up."""
    token = request.query.get("token", "")
    form = Form.of({"token": token})
    if request.method == "POST":
        form = await Form.read(request)
        try:
            await accounts.confirm(
                request.config_dict[DB_POOL],
                request.config_dict[PORTAL],
                form["token"].strip(),
                client_address(request),
            )
        except (TokenNotFound, RateLimited) as error:
            form.refuse(error)
        else:
            flash(request, gettext("Your e-mail address is confirmed. Sign in to start."))
            raise redirect(url("login"))
    return render(request, "auth/confirm.html", {"form": form}, status=_status(form))


# --- sign in and out ------------------------------------------------------------------------


async def login(request: web.Request) -> web.StreamResponse:
    current = page(request)
    target = safe_next(request.query.get("next"), "")
    if current.user is not None:
        raise redirect(target or home_of(request))
    form = Form.of({"next": target})
    if request.method == "POST":
        form = await Form.read(request)
        email = _email(form)
        password = form.values.get("password", "")
        if not password:
            form.fail("password", gettext("Fill this in."))
        if form.ok:
            try:
                session = await accounts.login(
                    request.config_dict[DB_POOL],
                    request.config_dict[PORTAL],
                    email=email,
                    password=password,
                    address=client_address(request),
                    known_user_id=current.known_user_id,
                )
            except (InvalidCredentials, AccountNotConfirmed, AccountDisabled, RateLimited) as error:
                form.refuse(error)
            else:
                user = session.user
                token = await accounts.open_portal_session(
                    request.config_dict[DB_POOL],
                    user,
                    client_address(request),
                    request.headers.get("User-Agent", ""),
                )
                current.new_session = new_session(user.id, user.token_version, token)
                current.user = user
                raise redirect(safe_next(form["next"], "") or home_of(request))
    return render(request, "auth/login.html", {"form": form}, status=_status(form))


async def logout(request: web.Request) -> web.StreamResponse:
    current = page(request)
    if current.session is not None:
        # Ended on the server: a copy of the cookie is worthless from now on.
        await accounts.end_portal_session(request.config_dict[DB_POOL], current.session.token)
    current.end_session = True
    current.user = None
    flash(request, gettext("You have signed out."))
    raise redirect(url("login"))


# --- forgotten password -------------------------------------------------------------------------


async def forgot_password(request: web.Request) -> web.StreamResponse:
    form = Form()
    if request.method == "POST":
        form = await Form.read(request)
        email = _email(form)
        if form.ok:
            try:
                await accounts.request_password_reset(
                    request.config_dict[DB_POOL],
                    request.config_dict[PORTAL],
                    email,
                    client_address(request),
                )
            except RateLimited as error:
                form.refuse(error)
            else:
                return render(request, "auth/forgot_done.html", {"email": email})
    return render(request, "auth/forgot.html", {"form": form}, status=_status(form))


async def reset_password(request: web.Request) -> web.StreamResponse:
    form = Form.of({"token": request.query.get("token", "")})
    if request.method == "POST":
        form = await Form.read(request)
        password = _password(form, "password", "password_repeat")
        if not form["token"].strip():
            form.refuse(TokenNotFound())
        posted = await request.post()
        revoke = [
            int(value)
            for value in posted.getall("revoke_key", [])
            if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 19
        ]
        if form.ok:
            try:
                await accounts.reset_password(
                    request.config_dict[DB_POOL],
                    request.config_dict[PORTAL],
                    form["token"].strip(),
                    password,
                    client_address(request),
                    revoke_keys=revoke[:100],
                )
            except (TokenNotFound, RateLimited) as error:
                form.refuse(error)
            else:
                current = page(request)
                current.end_session = True
                flash(request, gettext("Your new password is set. Sign in with it."))
                raise redirect(url("login"))
    # The link proves the mailbox: its holder sees the account's API keys, to revoke them.
    keys = await accounts.reset_link_api_keys(request.config_dict[DB_POOL], form["token"].strip())
    return render(
        request, "auth/reset.html", {"form": form, "api_keys": keys}, status=_status(form)
    )


# --- profile --------------------------------------------------------------------------------


async def _profile(
    request: web.Request,
    form: Form | None = None,
    *,
    key_form: Form | None = None,
    new_key: str | None = None,
    status: int = 200,
) -> web.Response:
    keys = await accounts.list_api_keys(request.config_dict[DB_POOL], actor(request))
    return render(
        request,
        "auth/profile.html",
        {
            "form": form or Form(),
            "key_form": key_form or Form(),
            "kinds": KIND_NAMES,
            "api_keys": keys,
            "new_key": new_key,
            "time_zones": sorted(accounts.available_time_zones()),
        },
        status=status,
    )


@login_required
async def profile(request: web.Request) -> web.StreamResponse:
    return await _profile(request)


@login_required
@single_submission(shown_result=lambda request: url("profile"))
async def create_api_key(request: web.Request) -> web.StreamResponse:
    """A key for the vendor's own automation; its secret is shown on this page once."""
    form = await Form.read(request)
    name = form.text("name", max_length=100)
    if form.ok:
        try:
            _, secret = await accounts.create_api_key(
                request.config_dict[DB_POOL], actor(request), name
            )
        except ApiError as error:
            form.refuse(error, "name")
        else:
            return await _profile(request, new_key=secret)
    return await _profile(request, key_form=form, status=_status(form))


@login_required
async def revoke_api_key(request: web.Request) -> web.StreamResponse:
    key_id = parsing.path_id(request.match_info["key_id"], web.HTTPNotFound)
    key = await accounts.revoke_api_key(request.config_dict[DB_POOL], actor(request), key_id)
    flash(request, gettext("The API key %(name)s is revoked.", name=key.name))
    raise redirect(url("profile"))


@login_required
async def set_time_zone(request: web.Request) -> web.StreamResponse:
    form = await Form.read(request)
    try:
        await accounts.set_time_zone(
            request.config_dict[DB_POOL], actor(request), form["time_zone"]
        )
    except InvalidRequest:
        flash(request, gettext("Choose a time zone from the list."), "danger")
    else:
        flash(request, gettext("Times are now shown in %(zone)s.", zone=form["time_zone"]))
    raise redirect(url("profile"))


@login_required
async def change_password(request: web.Request) -> web.StreamResponse:
    form = await Form.read(request)
    current_password = form.values.get("current_password", "")
    if not current_password:
        form.fail("current_password", gettext("Fill this in."))
    new = _password(form, "new_password", "new_password_repeat")
    if form.ok:
        try:
            session = await accounts.change_password(
                request.config_dict[DB_POOL],
                request.config_dict[PORTAL],
                actor(request),
                current_password,
                new,
            )
        except Forbidden:
            form.fail("current_password", gettext("The current password is wrong."))
        except RateLimited as error:
            form.refuse(error)
        else:
            # Every other session ended with the change; this one continues in a new one.
            user = session.user
            token = await accounts.open_portal_session(
                request.config_dict[DB_POOL],
                user,
                client_address(request),
                request.headers.get("User-Agent", ""),
            )
            page(request).new_session = new_session(user.id, user.token_version, token)
            flash(request, gettext("Your password is changed. Other sessions have ended."))
            raise redirect(url("profile"))
    return await _profile(request, form, status=_status(form))
