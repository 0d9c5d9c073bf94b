"""Renewals (seed 001): paste or upload serial numbers, see each line checked and priced, tick
the lines to renew and make out the invoice; the order card then takes the payment."""

from __future__ import annotations

from aiohttp import web

from activation_server.appkeys import DB_POOL, SETTINGS
from activation_server.errors import ApiError, InvalidRequest
from vendor_portal.pages.context import actor, flash, redirect, render, url, vendor_required
from vendor_portal.pages.forms import Form
from vendor_portal.pages.i18n import gettext
from vendor_portal.pages.messages import explain
from vendor_portal.pages.once import single_submission
from vendor_portal.parsing import ascii_digits
from vendor_portal.renewals import service
from vendor_portal.renewals.service import RenewalQuote

MONTHS = (12, 24, 36)


def _months(form: Form) -> int:
    raw = form["months"]
    return int(raw) if ascii_digits(raw) and int(raw) in MONTHS else service.DEFAULT_MONTHS


async def _upload_text(request: web.Request, form: Form) -> str:
    text = form.values.get("serials", "")
    upload = (await request.post()).get("file")
    if isinstance(upload, web.FileField) and upload.filename:
        content = upload.file.read(service.MAX_UPLOAD_BYTES + 1)
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            form.fail("file", gettext("The file is not a text (CSV) file in UTF-8."))
    return text


@vendor_required
@single_submission()
async def renewals(request: web.Request) -> web.StreamResponse:
    """One page, three steps: the upload, the priced list with its check boxes, the order."""
    pool = request.config_dict[DB_POOL]
    early = request.config_dict[SETTINGS].portal.early_renewal_percent
    who = actor(request)
    form = Form.of({"months": service.DEFAULT_MONTHS})
    quote: RenewalQuote | None = None
    if request.method == "POST":
        form = await Form.read(request)
        months = _months(form)
        try:
            if form["action"] == "order":
                posted = await request.post()
                chosen = [value for value in posted.getall("serial", []) if isinstance(value, str)]
                if not chosen:
                    form.refuse(gettext("Tick at least one serial number to renew."))
                else:
                    view = await service.place_renewal_order(
                        pool,
                        who,
                        chosen,
                        months=months,
                        early_percent=early,
                        base_url=request.config_dict[SETTINGS].base_url,
                    )
                    flash(
                        request,
                        gettext(
                            "Invoice No. %(invoice)s is made out for order No. %(number)s: "
                            "its serial numbers are reserved until it is paid or cancelled.",
                            invoice=view.order.invoice_number,
                            number=view.order.number,
                        ),
                    )
                    raise redirect(url(f"orders/{view.order.id}"))
            else:
                text = await _upload_text(request, form)
                if form.ok and not text.strip():
                    form.fail("serials", gettext("Paste serial numbers or choose a file."))
                if form.ok:
                    quote = await service.quote_upload(
                        pool, who, text, months=months, early_percent=early
                    )
        except InvalidRequest as error:
            form.refuse(error.message, "serials")
        except ApiError as error:
            form.refuse(explain(error))
    return render(
        request,
        "renewals/renewals.html",
        {
            "form": form,
            "quote": quote,
            "months_options": [
                (str(count), gettext("%(count)s months", count=count)) for count in MONTHS
            ],
            "early_percent": early,
            "max_lines": service.MAX_UPLOAD_LINES,
        },
        status=200 if form.ok else 422,
    )
