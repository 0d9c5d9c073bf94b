"""The operator's staff: incoming orders to invoice, pay or cancel; vendors with their balances,
top-ups and discounts."""

from __future__ import annotations

from aiohttp import web

from activation_server.appkeys import DB_POOL, SETTINGS
from activation_server.errors import ApiError
from vendor_portal import parsing
from vendor_portal.accounts import service as accounts
from vendor_portal.balances import service as balances
from vendor_portal.errors import PrepaymentNotFound, VendorNotFound
from vendor_portal.orders import service as orders
from vendor_portal.pages.context import actor, flash, redirect, render, staff_required, url
from vendor_portal.pages.forms import Form
from vendor_portal.pages.i18n import gettext, money
from vendor_portal.pages.lists import vendor_names
from vendor_portal.pages.messages import explain
from vendor_portal.pages.once import single_submission
from vendor_portal.pricing import service as pricing
from vendor_portal.products import service as products

MAX_SHOWN = 200


@staff_required
async def incoming(request: web.Request) -> web.StreamResponse:
    pool = request.config_dict[DB_POOL]
    who = actor(request)
    placed = await orders.list_orders(pool, who, status="placed", limit=MAX_SHOWN)
    invoiced = await orders.list_orders(pool, who, status="invoiced", limit=MAX_SHOWN)
    return render(
        request,
        "staff/incoming.html",
        {"placed": placed, "invoiced": invoiced, "vendors": await vendor_names(request, who)},
    )


@staff_required
async def vendor_list(request: web.Request) -> web.StreamResponse:
    pool = request.config_dict[DB_POOL]
    found = await accounts.list_vendors(pool, actor(request), 10_000, 0)
    currency = "RUB"
    async with pool.acquire() as connection:
        currency = await balances.currency(connection)
    return render(request, "staff/vendors.html", {"vendors": found, "currency": currency})


def _vendor_id(request: web.Request) -> int:
    return parsing.path_id(request.match_info["vendor_id"], VendorNotFound)


async def _vendor_page(
    request: web.Request, vendor_id: int, form: Form | None = None, status: int = 200
) -> web.Response:
    pool = request.config_dict[DB_POOL]
    who = actor(request)
    vendor = await accounts.get_vendor(pool, who, vendor_id)
    balance = await balances.get_balance(pool, who, vendor_id, limit=50)
    users = [
        user
        for user in await accounts.list_users(pool, who, 10_000, 0)
        if user.vendor_id == vendor_id
    ]
    vendor_orders = await orders.list_orders(pool, who, vendor_id=vendor_id, limit=20)
    vendor_products = await products.list_products(pool, who, vendor_id, 200, 0)
    return render(
        request,
        "staff/vendor.html",
        {
            "vendor": vendor,
            "balance": balance,
            "users": users,
            "orders": vendor_orders,
            "products": vendor_products,
            "form": form
            or Form.of({"discount": vendor.discount_percent, "tier": vendor.partner_tier or ""}),
            "tier_options": [("", gettext("None (the discount above)"))]
            + [
                (tier.code, f"{tier.name} — {tier.discount_percent} %")
                for tier in (await pricing.price_list(pool, who)).tiers
            ],
            "prepayments": await balances.list_prepayments(pool, who, vendor_id),
        },
        status=status,
    )


@staff_required
async def vendor_card(request: web.Request) -> web.StreamResponse:
    return await _vendor_page(request, _vendor_id(request))


@staff_required
@single_submission()
async def vendor_top_up(request: web.Request) -> web.StreamResponse:
    pool = request.config_dict[DB_POOL]
    vendor_id = _vendor_id(request)
    form = await Form.read(request)
    amount = form.money("amount")
    reference = form.text("reference", max_length=100)
    if form.ok and amount is not None:
        try:
            entry, changed = await balances.top_up(
                pool,
                actor(request),
                vendor_id,
                amount,
                reference,
                base_url=request.config_dict[SETTINGS].base_url,
            )
        except VendorNotFound:
            raise
        except ApiError as error:
            form.refuse(error, "reference")
        else:
            async with pool.acquire() as connection:
                currency = await balances.currency(connection)
            flash(
                request,
                gettext(
                    "The balance is topped up by %(amount)s.", amount=money(entry.amount, currency)
                )
                if changed
                else gettext("This top-up was recorded before; nothing changed."),
            )
            raise redirect(url(f"staff/vendors/{vendor_id}"))
    return await _vendor_page(request, vendor_id, form, 422)


@staff_required
async def vendor_discount(request: web.Request) -> web.StreamResponse:
    pool = request.config_dict[DB_POOL]
    vendor_id = _vendor_id(request)
    form = await Form.read(request)
    percent = form.integer("discount", minimum=0, maximum=100)
    if form.ok and percent is not None:
        try:
            await accounts.set_discount(pool, actor(request), vendor_id, percent)
        except VendorNotFound:
            raise
        except ApiError as error:
            form.refuse(error, "discount")
        else:
            flash(
                request,
                gettext(
                    "The discount is %(percent)s %% for orders placed from now on.",
                    percent=percent,
                ),
            )
            raise redirect(url(f"staff/vendors/{vendor_id}"))
    return await _vendor_page(request, vendor_id, form, 422)


@staff_required
async def vendor_tier(request: web.Request) -> web.StreamResponse:
    pool = request.config_dict[DB_POOL]
    vendor_id = _vendor_id(request)
    form = await Form.read(request)
    tier = form["tier"] or None
    try:
        await pricing.assign_tier(pool, actor(request), vendor_id, tier)
    except VendorNotFound:
        raise
    except ApiError as error:
        form.refuse(explain(error), "tier")
        return await _vendor_page(request, vendor_id, form, 422)
    flash(request, gettext("The partner status is saved; the discount follows it."))
    raise redirect(url(f"staff/vendors/{vendor_id}"))


@staff_required
async def vendor_prepayment(request: web.Request) -> web.StreamResponse:
    """The bank's payment of a prepayment invoice, recorded against its number."""
    pool = request.config_dict[DB_POOL]
    vendor_id = _vendor_id(request)
    form = await Form.read(request)
    number = form.integer("invoice_number", minimum=1, maximum=10**15)
    reference = form.text("prepayment_reference", max_length=100)
    if form.ok and number is not None:
        try:
            invoice = await balances.get_prepayment(pool, actor(request), number)
            if invoice.vendor_id != vendor_id:
                raise PrepaymentNotFound()
            _, changed = await balances.pay_prepayment(
                pool,
                actor(request),
                number,
                reference,
                base_url=request.config_dict[SETTINGS].base_url,
            )
        except ApiError as error:
            form.refuse(explain(error), "invoice_number")
        else:
            flash(
                request,
                gettext("Prepayment invoice No. %(number)s is paid.", number=number)
                if changed
                else gettext("This payment was recorded before; nothing changed."),
            )
            raise redirect(url(f"staff/vendors/{vendor_id}"))
    return await _vendor_page(request, vendor_id, form, 422)
