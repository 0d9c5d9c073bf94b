"""The prepaid balance's pages: its history (the ledger) and the page where a vendor asks for a
prepayment invoice."""

from __future__ import annotations

from aiohttp import web

from activation_server.appkeys import DB_POOL
from activation_server.errors import ApiError
from vendor_portal.balances import service as balances
from vendor_portal.pages.context import actor, flash, redirect, render, url, vendor_required
from vendor_portal.pages.forms import Form
from vendor_portal.pages.i18n import gettext
from vendor_portal.pages.lists import PAGE_SIZE, page_number
from vendor_portal.pages.messages import explain
from vendor_portal.pages.once import single_submission


@vendor_required
async def balance_history(request: web.Request) -> web.StreamResponse:
    who = actor(request)
    assert who.vendor_id is not None
    number = page_number(request)
    balance = await balances.get_balance(
        request.config_dict[DB_POOL], who, who.vendor_id, PAGE_SIZE + 1, (number - 1) * PAGE_SIZE
    )
    return render(
        request,
        "balances/history.html",
        {
            "balance": balance,
            "entries": balance.ledger[:PAGE_SIZE],
            "has_next": len(balance.ledger) > PAGE_SIZE,
            "page_number": number,
        },
    )


@vendor_required
@single_submission()
async def balance(request: web.Request) -> web.StreamResponse:
    pool = request.config_dict[DB_POOL]
    who = actor(request)
    assert who.vendor_id is not None
    form = Form()
    if request.method == "POST":
        form = await Form.read(request)
        amount = form.money("amount")
        if form.ok and amount is not None:
            try:
                invoice = await balances.request_prepayment(pool, who, amount)
            except ApiError as error:
                form.refuse(explain(error))
            else:
                flash(
                    request,
                    gettext(
                        "Prepayment invoice No. %(number)s is made out.", number=invoice.number
                    ),
                )
                raise redirect(url(f"balance/prepayments/{invoice.number}"))
    return render(
        request,
        "balances/balance.html",
        {
            "form": form,
            "balance": await balances.get_balance(pool, who, who.vendor_id, limit=100),
            "prepayments": await balances.list_prepayments(pool, who, who.vendor_id),
        },
        status=200 if form.ok else 422,
    )
