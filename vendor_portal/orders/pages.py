"""Orders: the list (newest first), the new-order dialog with its confirmation step, the order
card with lines, history, invoice and serials, and the actions each side may take on it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from activation_server.appkeys import DB_POOL, SETTINGS
from activation_server.errors import ApiError, InvalidRequest
from vendor_portal import parsing
from vendor_portal.accounts import service as accounts
from vendor_portal.actor import Actor
from vendor_portal.balances import service as balances
from vendor_portal.errors import OrderNotFound, ProductNotFound
from vendor_portal.orders import service as orders
from vendor_portal.orders.quote import Quote, quote_order
from vendor_portal.orders.service import LineRequest, OrderView
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
from vendor_portal.pages.lists import PAGE_SIZE, page_number, vendor_names
from vendor_portal.pages.messages import explain
from vendor_portal.pages.once import single_submission
from vendor_portal.pricing import service as pricing
from vendor_portal.products import service as products
from vendor_portal.serials import service as serials
from vendor_portal.serials.service import serials_csv

# The terms and subscription lengths the new-order dialog offers, in months.
TERMS = (1, 3, 6, 12, 24, 36)


def order_id(request: web.Request) -> int:
    return parsing.path_id(request.match_info["order_id"], OrderNotFound)


@login_required
async def order_list(request: web.Request) -> web.StreamResponse:
    who = actor(request)
    status = request.query.get("status") or None
    filter_error = None
    found: list[OrderView] = []
    number = page_number(request)
    if status is not None and status not in orders.STATUSES:
        # Not quietly "all orders": a list that ignored the filter would look filtered.
        filter_error = gettext("There is no such order status; choose one of the tabs.")
    else:
        found = await orders.list_orders(
            request.config_dict[DB_POOL],
            who,
            status=status,
            limit=PAGE_SIZE + 1,
            offset=(number - 1) * PAGE_SIZE,
        )
    return render(
        request,
        "orders/list.html",
        {
            "orders": found[:PAGE_SIZE],
            "has_next": len(found) > PAGE_SIZE,
            "page_number": number,
            "status": status,
            "filter_error": filter_error,
            "statuses": orders.STATUSES,
            "vendors": await vendor_names(request, who),
        },
        status=422 if filter_error else 200,
    )


# --- the new-order dialog ----------------------------------------------------------------------


@dataclass(frozen=True)
class DialogLine:
    license_type: str
    name: str
    activations: int
    unit_price: int
    currency: str


async def _dialog_context(request: web.Request, who: Actor) -> dict[str, Any]:
    pool = request.config_dict[DB_POOL]
    price_list = await pricing.price_list(pool, who)
    found = await products.list_products(pool, who, None, 500, 0)
    return {
        "products": found,
        "prices": price_list.prices,
        "discount_percent": price_list.discount_percent or 0,
        "currency": price_list.prices[0].currency if price_list.prices else "RUB",
        "term_options": [("", gettext("Perpetual"))]
        + [(str(months), gettext("%(count)s months", count=months)) for months in TERMS],
        "updates_options": [("", gettext("None"))]
        + [(str(months), gettext("%(count)s months", count=months)) for months in TERMS],
    }


def _line_requests(form: Form, context: dict[str, Any]) -> list[LineRequest]:
    """The dialog's quantities as order lines: one per license type with a quantity."""
    codes = {product.code: product for product in context["products"]}
    product_code = form["product"]
    product = codes.get(product_code)
    if product is None:
        form.fail("product", gettext("Choose a product."))
    features: list[str] | None = None
    if product is not None:
        chosen = [
            name for name in product.features if form.values.get(f"feature:{product.code}:{name}")
        ]
        # Every feature ticked (the default) orders the product's full set, as the API does
        # when no features are named.
        features = None if set(chosen) == set(product.features) else chosen
    terms = {
        name: form.integer(name, minimum=0, maximum=orders.MAX_TERM_MONTHS, required=False) or None
        for name in ("term_months", "updates_months")
    }
    lines = []
    for price in context["prices"]:
        field = f"qty_{price.license_type}"
        quantity = form.integer(field, minimum=0, maximum=orders.MAX_LINE_QUANTITY, required=False)
        if quantity:
            # Trials have no term or subscription: the choice applies to the full licenses.
            asked = terms if price.kind == "full" else {}
            lines.append(LineRequest(product_code, price.license_type, quantity, features, **asked))
    if form.ok and not lines:
        form.refuse(gettext("Enter the number of serial numbers of at least one license type."))
    return lines


@dataclass(frozen=True)
class ConfirmLine:
    license_type: str
    quantity: int
    unit_price: int
    amount: int
    features: list[str]
    term_months: int | None = None
    updates_months: int | None = None


def _confirm_lines(quote: Quote) -> list[ConfirmLine]:
    return [
        ConfirmLine(
            line.license_type,
            line.quantity,
            line.unit_price,
            line.amount,
            line.features,
            line.term_months,
            line.updates_months,
        )
        for line in quote.lines
    ]


@vendor_required
@single_submission()
async def order_new(request: web.Request) -> web.StreamResponse:
    """Step one: quantities per license type; step two: the confirmation with Back and Submit.
    Both steps are the same form posted again, so Back returns every value as typed."""
    return await _order_dialog(request, None)


@vendor_required
async def order_edit(request: web.Request) -> web.StreamResponse:
    """The same dialog for an order still placed (not invoiced): its lines replaced and priced
    anew, as ``PUT /v1/orders/{id}`` does. Another vendor's order is not found."""
    view = await orders.get_order(request.config_dict[DB_POOL], actor(request), order_id(request))
    return await _order_dialog(request, view)


def _prefilled(context: dict[str, Any], view: OrderView | None) -> Form:
    """The dialog as it opens: the first product with all its features, or the order's lines."""
    if view is not None:
        first = view.lines[0]
        values = {"product": first.product} | {
            f"qty_{line.license_type}": str(line.quantity) for line in view.lines
        }
        return Form.of(
            values | {f"feature:{first.product}:{name}": "on" for name in first.features}
        )
    if not context["products"]:
        return Form()
    return Form.of(
        {"product": context["products"][0].code}
        | {f"feature:{p.code}:{name}": "on" for p in context["products"] for name in p.features}
    )


async def _order_dialog(request: web.Request, view: OrderView | None) -> web.StreamResponse:
    who = actor(request)
    pool = request.config_dict[DB_POOL]
    context = await _dialog_context(request, who)
    context["editing"] = view.order if view is not None else None
    if view is not None and (
        view.order.status != "placed" or len({line.product for line in view.lines}) != 1
    ):
        # Invoiced orders are fixed; an order of several products (placed through the API)
        # does not fit the dialog's one product.
        flash(request, gettext("This order can no longer be changed here."), "warning")
        raise redirect(url(f"orders/{view.order.id}"))
    form = _prefilled(context, view)
    step = "edit"
    quote: Quote | None = None
    if request.method == "POST":
        form = await Form.read(request)
        action = form["action"]
        lines = _line_requests(form, context)
        if action != "back" and form.ok:
            try:
                if action == "submit":
                    if view is None:
                        placed = await orders.place_order(pool, who, lines)
                        message = gettext(
                            "Order No. %(number)s is placed. We will send the invoice shortly.",
                            number=placed.order.number,
                        )
                    else:
                        placed = await orders.update_order(pool, who, view.order.id, lines)
                        message = gettext(
                            "Order No. %(number)s is changed.", number=placed.order.number
                        )
                    flash(request, message)
                    raise redirect(url(f"orders/{placed.order.id}"))
                quote = await quote_order(pool, who, lines)
                step = "confirm"
            except ProductNotFound as error:
                form.refuse(error, "product")
            except ApiError as error:
                form.refuse(error)
    context.update(form=form, step=step, quote=quote)
    if quote is not None:
        context["confirm_lines"] = _confirm_lines(quote)
    return render(request, "orders/new.html", context, status=200 if form.ok else 422)


# --- the order card ------------------------------------------------------------------------------


async def _card(
    request: web.Request, view: OrderView, form: Form | None = None, status: int = 200
) -> web.Response:
    pool = request.config_dict[DB_POOL]
    who = actor(request)
    vendor = await accounts.get_vendor(pool, who, view.order.vendor_id)
    balance = await balances.get_balance(pool, who, view.order.vendor_id, limit=1)
    # The history names people as "user:<id>"; show the addresses this reader may see.
    users = await accounts.list_users(pool, who, 10_000, 0)
    return render(
        request,
        "orders/card.html",
        {
            "view": view,
            "order": view.order,
            "vendor": vendor,
            "balance": balance,
            "quantity": view.quantity,
            "form": form or Form(),
            "people": {f"user:{user.id}": user.email for user in users},
        },
        status=status,
    )


@login_required
async def order_card(request: web.Request) -> web.StreamResponse:
    view = await orders.get_order(request.config_dict[DB_POOL], actor(request), order_id(request))
    return await _card(request, view)


@login_required
@single_submission()
async def order_action(request: web.Request) -> web.StreamResponse:
    """The buttons of the order card: cancel, pay from the balance, and the staff's invoice and
    payment. A refused action shows the card again with the reason."""
    pool = request.config_dict[DB_POOL]
    who = actor(request)
    number = order_id(request)
    form = await Form.read(request)
    action = request.match_info["action"]
    trial_days = request.config_dict[SETTINGS].trial_days
    base_url = request.config_dict[SETTINGS].base_url
    message = ""
    try:
        if action == "cancel":
            reason = form.text("reason", required=False, max_length=500) or None
            if form.ok:
                await orders.cancel_order(pool, who, number, reason)
                message = gettext("The order is cancelled.")
        elif action == "invoice":
            view = await orders.invoice_order(
                pool, who, number, trial_days=trial_days, base_url=base_url
            )
            message = gettext(
                "Invoice No. %(invoice)s is issued.", invoice=view.order.invoice_number
            )
        elif action == "pay-from-balance":
            view, _ = await orders.record_payment(
                pool, who, number, method="balance", trial_days=trial_days, base_url=base_url
            )
            message = gettext("The order is paid from the prepaid balance.")
        elif action == "payment":
            reference = form.text("reference", max_length=100)
            amount = form.money("amount", required=False)
            if form.ok:
                view, changed = await orders.record_payment(
                    pool,
                    who,
                    number,
                    method="transfer",
                    reference=reference,
                    amount=amount,
                    trial_days=trial_days,
                    base_url=base_url,
                )
                message = (
                    gettext("The payment is recorded.")
                    if changed
                    else gettext("This payment was recorded before; nothing changed.")
                )
        else:
            raise web.HTTPNotFound()
    except InvalidRequest as error:
        form.refuse(error.message)
    except OrderNotFound:
        raise
    except ApiError as error:
        form.refuse(explain(error))
    if form.ok:
        flash(request, message)
        raise redirect(url(f"orders/{number}"))
    view = await orders.get_order(pool, who, number)
    return await _card(request, view, form, status=422)


@login_required
async def order_serials_csv(request: web.Request) -> web.StreamResponse:
    pool = request.config_dict[DB_POOL]
    number = order_id(request)
    view = await orders.get_order(pool, actor(request), number)
    rows = await serials.order_serials(pool, actor(request), number)
    return web.Response(
        text=serials_csv(rows),
        content_type="text/csv",
        charset="utf-8",
        headers={
            "Content-Disposition": (f'attachment; filename="order-{view.order.number}-serials.csv"')
        },
    )
