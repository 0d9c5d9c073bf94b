"""Terms and prices: the price list of license types, subscriptions and terms, and the partner
tiers. Vendors read it with their own discount; staff change it here."""

from __future__ import annotations

from aiohttp import web

from activation_server.appkeys import DB_POOL, SETTINGS
from activation_server.errors import ApiError
from vendor_portal import parsing
from vendor_portal.pages.context import (
    actor,
    flash,
    login_required,
    redirect,
    render,
    staff_required,
    url,
)
from vendor_portal.pages.forms import Form
from vendor_portal.pages.i18n import gettext
from vendor_portal.pages.messages import explain, license_type_name
from vendor_portal.pricing import service as pricing
from vendor_portal.pricing.queries import Price

SUBSCRIPTION_FIELDS = ("update_first", "update_renewal", "term_month")


async def _page(request: web.Request, form: Form | None = None, status: int = 200) -> web.Response:
    who = actor(request)
    price_list = await pricing.price_list(
        request.config_dict[DB_POOL],
        who,
        request.config_dict[SETTINGS].portal.early_renewal_percent,
    )
    tier = next((t for t in price_list.tiers if t.code == price_list.partner_tier), None)
    return render(
        request,
        "pricing/prices.html",
        {
            "price_list": price_list,
            "currency": price_list.prices[0].currency if price_list.prices else "RUB",
            "tier": tier,
            "license_options": _license_options,
            "form": form or Form(),
        },
        status=status,
    )


def _license_options(prices: list[Price], full_only: bool = False) -> list[tuple[str, str]]:
    return [
        (price.license_type, license_type_name(price.license_type))
        for price in prices
        if not full_only or price.kind == "full"
    ]


@login_required
async def prices(request: web.Request) -> web.StreamResponse:
    return await _page(request)


@staff_required
async def change(request: web.Request) -> web.StreamResponse:
    """The staff's forms of the page: a unit price, subscription prices, a tier."""
    pool = request.config_dict[DB_POOL]
    who = actor(request)
    form = await Form.read(request)
    what = request.match_info["what"]
    try:
        if what == "unit":
            license_type = form.text("license_type", max_length=20)
            amount = form.money("unit_price")
            if form.ok and amount is not None:
                await pricing.set_price(pool, who, license_type, amount)
        elif what == "subscription":
            license_type = form.text("license_type", max_length=20)
            product = form.text("product", required=False, max_length=64) or None
            amounts = {name: form.money(name) for name in SUBSCRIPTION_FIELDS}
            if product is not None:
                try:
                    product = parsing.product_code(product)
                except ApiError:
                    form.fail("product", gettext("No such product."))
            if form.ok:
                await pricing.set_subscription_price(
                    pool,
                    who,
                    license_type,
                    product,
                    update_first=amounts["update_first"] or 0,
                    update_renewal=amounts["update_renewal"] or 0,
                    term_month=amounts["term_month"] or 0,
                )
        elif what == "tier":
            code = form.text("code", max_length=32)
            name = form.text("name", max_length=100)
            percent = form.integer("discount_percent", minimum=0, maximum=100)
            if form.ok and not pricing.TIER_CODE.fullmatch(code):
                form.fail("code", gettext("Lower-case letters, digits, '-' or '_'."))
            if form.ok and percent is not None:
                await pricing.set_tier(pool, who, code, name, percent)
        else:
            raise web.HTTPNotFound()
    except ApiError as error:
        form.refuse(explain(error))
    if form.ok:
        flash(request, gettext("The price list is saved."))
        raise redirect(url("prices"))
    return await _page(request, form, 422)
