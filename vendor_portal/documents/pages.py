"""Documents a company pays from and files: the invoice and the delivery act of an order, the
prepayment invoice of a top-up, each a printable page and a PDF; the company's requisites that
they print (the profile's company details); the vendor's balance with its prepayment invoices."""

from __future__ import annotations

from collections import Counter
from typing import Any

from aiohttp import web

from activation_server.appkeys import DB_POOL, SETTINGS
from activation_server.errors import ApiError
from vendor_portal import parsing
from vendor_portal.balances import service as balances
from vendor_portal.documents import pdf
from vendor_portal.documents import service as requisites
from vendor_portal.documents.model import Document, DocumentLine, seller
from vendor_portal.documents.queries import REQUISITE_COLUMNS
from vendor_portal.errors import PrepaymentNotFound
from vendor_portal.orders import service as orders
from vendor_portal.orders.pages import order_id
from vendor_portal.orders.service import OrderView
from vendor_portal.pages.context import (
    actor,
    flash,
    login_required,
    page,
    redirect,
    render,
    url,
    vendor_required,
)
from vendor_portal.pages.forms import Form
from vendor_portal.pages.i18n import current_language, gettext
from vendor_portal.pages.messages import explain, license_type_name


def _serial_line_name(line: Any) -> str:
    name = gettext(
        "Serial numbers: %(type)s, product %(product)s",
        type=license_type_name(line.license_type),
        product=line.product,
    )
    if line.term_months:
        name += "; " + gettext("term license, %(count)s months", count=line.term_months)
    if line.updates_months:
        name += "; " + gettext("update subscription, %(count)s months", count=line.updates_months)
    return name


def _lines(view: OrderView) -> list[DocumentLine]:
    if view.order.kind != "renewal":
        return [
            DocumentLine(_serial_line_name(line), line.quantity, line.unit_price, line.amount)
            for line in view.lines
        ]
    # A renewal of thousands of serials prints one line per product, kind, length and price.
    groups = Counter(
        (line.product, line.license_type, line.kind, line.months, line.list_price)
        for line in view.renewals
    )
    lines = []
    for (product, license_type, kind, months, price), count in sorted(groups.items()):
        values = {"count": months, "product": product, "type": license_type_name(license_type)}
        if kind == "term":
            name = gettext(
                "Term license renewal, %(count)s months: product %(product)s, %(type)s", **values
            )
        else:
            name = gettext(
                "Update subscription, %(count)s months: product %(product)s, %(type)s", **values
            )
        lines.append(DocumentLine(name, count, price, price * count))
    return lines


async def _order_document(request: web.Request, view: OrderView, kind: str) -> Document:
    settings = request.config_dict[SETTINGS]
    buyer = await requisites.get_requisites(
        request.config_dict[DB_POOL], actor(request), view.order.vendor_id
    )
    order = view.order
    if kind == "act":
        number, date = order.act_number, order.fulfilled_at
    else:
        number, date = order.invoice_number, order.invoiced_at
    if number is None or date is None:
        raise web.HTTPNotFound()
    notes = []
    if kind == "invoice":
        notes.append(
            gettext(
                "Please state “Invoice No. %(invoice)s, order No. %(order)s” as the purpose of "
                "the payment.",
                invoice=order.invoice_number,
                order=order.number,
            )
        )
    else:
        notes.append(
            gettext(
                "The services were rendered in full and on time; the buyer has no claims.",
            )
        )
    return Document(
        kind=kind,
        number=number,
        date=date,
        seller=seller(settings),
        buyer=buyer,
        currency=order.currency,
        lines=_lines(view),
        total=order.total,
        vat_percent=settings.portal.vat_percent,
        language=current_language(),
        subtotal=order.subtotal,
        discount=order.discount,
        order_number=order.number,
        invoice_number=order.invoice_number,
        notes=notes,
    )


def _answer(request: web.Request, document: Document, context: dict[str, Any]) -> web.Response:
    if request.query.get("format") == "pdf":
        name = {"act": "act", "prepayment": "prepayment-invoice"}.get(document.kind, "invoice")
        return web.Response(
            body=pdf.render(document),
            content_type="application/pdf",
            headers={
                "Content-Disposition": (
                    f'attachment; filename="{name}-{document.number}-{document.language}.pdf"'
                )
            },
        )
    return render(
        request,
        "documents/document.html",
        {
            "document": document,
            "title": pdf.title(document),
            "party_lines": pdf.party_lines,
            "vat_line": pdf.vat_line(document),
            "is_staff": page(request).is_staff,
            **context,
        },
    )


@login_required
async def invoice(request: web.Request) -> web.StreamResponse:
    view = await orders.get_order(request.config_dict[DB_POOL], actor(request), order_id(request))
    document = await _order_document(request, view, "invoice")
    return _answer(request, document, {"order": view.order})


@login_required
async def act(request: web.Request) -> web.StreamResponse:
    view = await orders.get_order(request.config_dict[DB_POOL], actor(request), order_id(request))
    if view.order.status != "fulfilled":
        raise web.HTTPNotFound()
    document = await _order_document(request, view, "act")
    return _answer(request, document, {"order": view.order})


def _prepayment_number(request: web.Request) -> int:
    return parsing.path_id(request.match_info["number"], PrepaymentNotFound)


@login_required
async def prepayment_invoice(request: web.Request) -> web.StreamResponse:
    pool = request.config_dict[DB_POOL]
    who = actor(request)
    invoice = await balances.get_prepayment(pool, who, _prepayment_number(request))
    settings = request.config_dict[SETTINGS]
    document = Document(
        kind="prepayment",
        number=invoice.number,
        date=invoice.created_at,
        seller=seller(settings),
        buyer=await requisites.get_requisites(pool, who, invoice.vendor_id),
        currency=invoice.currency,
        lines=[
            DocumentLine(
                gettext("Advance payment to the prepaid balance"), 1, invoice.amount, invoice.amount
            )
        ],
        total=invoice.amount,
        vat_percent=settings.portal.vat_percent,
        language=current_language(),
        invoice_number=invoice.number,
        notes=[
            gettext(
                "Please state “Prepayment invoice No. %(invoice)s” as the purpose of the payment.",
                invoice=invoice.number,
            )
        ],
    )
    return _answer(request, document, {"prepayment": invoice})


# --- the company's details and the balance -----------------------------------------------------


@vendor_required
async def company(request: web.Request) -> web.StreamResponse:
    pool = request.config_dict[DB_POOL]
    who = actor(request)
    assert who.vendor_id is not None
    current = await requisites.get_requisites(pool, who, who.vendor_id)
    form = Form.of({name: getattr(current, name) for name in REQUISITE_COLUMNS})
    if request.method == "POST":
        form = await Form.read(request)
        values = {
            name: form.text(name, required=False, max_length=requisites.MAX_LENGTHS[name])
            for name in REQUISITE_COLUMNS
        }
        if form.ok:
            try:
                await requisites.set_requisites(pool, who, who.vendor_id, values)
            except ApiError as error:
                form.refuse(explain(error))
            else:
                flash(request, gettext("The company details are saved."))
                raise redirect(url("company"))
    return render(
        request,
        "documents/company.html",
        {"form": form, "company": current},
        status=200 if form.ok else 422,
    )
