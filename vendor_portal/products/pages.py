"""Products: the list, a new product, and a product's name, features (modules) and binding
tolerance."""

from __future__ import annotations

from aiohttp import web

from activation_server.appkeys import DB_POOL
from activation_server.errors import ApiError, InvalidRequest
from vendor_portal import parsing
from vendor_portal.accounts import service as accounts
from vendor_portal.errors import ProductCodeTaken, ProductNotFound
from vendor_portal.pages.context import (
    actor,
    flash,
    login_required,
    redirect,
    render,
    url,
    vendor_required,
)
from vendor_portal.pages.forms import Form
from vendor_portal.pages.i18n import gettext
from vendor_portal.pages.once import single_submission
from vendor_portal.products import service as products

MAX_PRODUCTS_SHOWN = 500
BINDING_TOLERANCES = ("0", "1", "2")


def _features(form: Form) -> list[str]:
    try:
        return parsing.features(form.words("features"))
    except InvalidRequest:
        form.fail(
            "features",
            gettext(
                "Feature codes are letters, digits, '_', '.' or '-', up to 64 characters, "
                "separated by spaces or commas."
            ),
        )
        return []


@login_required
async def product_list(request: web.Request) -> web.StreamResponse:
    pool = request.config_dict[DB_POOL]
    who = actor(request)
    found = await products.list_products(pool, who, None, MAX_PRODUCTS_SHOWN, 0)
    vendors = {}
    if who.is_staff:
        vendors = {v.id: v.name for v in await accounts.list_vendors(pool, who, 10_000, 0)}
    return render(request, "products/list.html", {"products": found, "vendors": vendors})


@vendor_required
@single_submission()
async def product_new(request: web.Request) -> web.StreamResponse:
    form = Form()
    if request.method == "POST":
        form = await Form.read(request)
        code = form.text("code", max_length=64)
        if code and "code" not in form.errors:
            try:
                code = parsing.product_code(code, "code")
            except InvalidRequest:
                form.fail(
                    "code",
                    gettext(
                        "A product code is 1 to 64 letters, digits, '_', '.' or '-', starting "
                        "with a letter or digit."
                    ),
                )
        name = form.text("name", max_length=200)
        features = _features(form)
        if form.ok:
            try:
                product = await products.create_product(
                    request.config_dict[DB_POOL],
                    actor(request),
                    code=code,
                    name=name,
                    features=features,
                )
            except ProductCodeTaken as error:
                form.refuse(error, "code")
            except ApiError as error:
                form.refuse(error)
            else:
                flash(request, gettext("The product %(code)s is created.", code=product.code))
                raise redirect(url("products"))
    return render(
        request,
        "products/form.html",
        {"form": form, "product": None},
        status=200 if form.ok else 422,
    )


@login_required
async def product_edit(request: web.Request) -> web.StreamResponse:
    pool = request.config_dict[DB_POOL]
    code = request.match_info["code"][:64]
    vendor_id = parsing.optional_query_int(request.query, "vendor_id")
    product = await products.get_product(pool, actor(request), code, vendor_id)
    form = Form.of(
        {
            "name": product.name,
            "features": " ".join(product.features),
            "binding_tolerance": str(product.binding_tolerance),
            "self_service": "on" if product.self_service else "",
        }
    )
    if request.method == "POST":
        form = await Form.read(request)
        name = form.text("name", max_length=200)
        features = _features(form)
        # A form without the field (an older page still open) leaves the policy as it is.
        tolerance = None
        if "binding_tolerance" in form.values:
            chosen = form.choice("binding_tolerance", BINDING_TOLERANCES)
            tolerance = int(chosen) if chosen in BINDING_TOLERANCES else None
        # An unticked box is not sent at all: the hidden field says the box was on the form.
        self_service = bool(form["self_service"]) if form["self_service_shown"] else None
        if form.ok:
            try:
                product = await products.update_product(
                    pool,
                    actor(request),
                    product.code,
                    name=name,
                    features=features,
                    vendor_id=product.vendor_id,
                    binding_tolerance=tolerance,
                    self_service=self_service,
                )
            except ProductNotFound:
                raise
            except ApiError as error:
                form.refuse(error)
            else:
                flash(request, gettext("The product %(code)s is saved.", code=product.code))
                raise redirect(url("products"))
    return render(
        request,
        "products/form.html",
        {"form": form, "product": product, "tolerances": _tolerance_options()},
        status=200 if form.ok else 422,
    )


def _tolerance_options() -> list[tuple[str, str]]:
    return [
        ("0", gettext("Exact: any hardware change makes a new machine")),
        ("1", gettext("1 component of 5 may change")),
        ("2", gettext("2 components of 5 may change")),
    ]
