"""Serial numbers: search and filters, one serial with its activations, block and unblock, the
printable license certificate, and group work on a pasted list."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from activation_server.activations.requests import parse_serial
from activation_server.appkeys import DB_POOL
from activation_server.errors import ApiError, InvalidRequest, SerialMalformed, SerialNotFound
from vendor_portal import parsing
from vendor_portal.accounts import service as accounts
from vendor_portal.licensee import service as licensee
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
from vendor_portal.pages.i18n import N_, gettext
from vendor_portal.pages.lists import PAGE_SIZE, page_number, vendor_names
from vendor_portal.pages.once import single_submission
from vendor_portal.products import service as products
from vendor_portal.serials import service as serials
from vendor_portal.serials.queries import SerialFilters
from vendor_portal.serials.service import SerialPage

USAGE_NAMES = {
    "unused": N_("Not activated yet"),
    "used": N_("Activated"),
    "exhausted": N_("All activations used"),
}
BULK_RESULTS = {
    "ok": N_("Found"),
    "malformed": N_("Not a serial number (mistyped?)"),
    "unknown": N_("No such serial number"),
    "duplicate": N_("Listed twice"),
}
BULK_ACTION_NAMES = {
    "check": N_("Only check the list"),
    "block": N_("Block the valid serial numbers"),
    "unblock": N_("Unblock the valid serial numbers"),
}


# As many as ``POST /v1/serials/{serial}/transfer-grants`` takes at once.
MAX_TRANSFERS_GRANTED = 1000


def _serial(request: web.Request) -> str:
    try:
        return parse_serial(request.match_info["serial"][:100])
    except SerialMalformed:
        raise SerialNotFound() from None


@login_required
async def serial_list(request: web.Request) -> web.StreamResponse:
    pool = request.config_dict[DB_POOL]
    who = actor(request)
    query = request.query
    form = Form.of(
        {key: query.get(key, "") for key in ("q", "product", "type", "status", "usage", "order")}
    )
    product_list = await products.list_products(pool, who, None, 500, 0)
    codes = {product.code for product in product_list}
    search = None
    if form["q"].strip():
        try:
            search = serials.search_fragment(form["q"].strip())
        except InvalidRequest:
            form.fail("q", gettext("Type a part of a serial number: letters and digits, up to 20."))
    order_id = None
    if form["order"].strip():
        order_id = form.integer("order", minimum=1, maximum=parsing.MAX_BIGINT)
    # A filter value that is not one of the choices is refused at its field, never quietly
    # dropped: a list that ignored it would look filtered while it is not.
    for name, allowed in (
        ("product", codes),
        ("type", serials.LICENSE_TYPES),
        ("status", serials.STATUSES),
        ("usage", serials.USAGES),
    ):
        if form[name]:
            form.choice(name, allowed)
    filters = SerialFilters(
        order_id=order_id,
        product=form["product"] or None,
        license_type=form["type"] or None,
        status=form["status"] or None,
        usage=form["usage"] or None,
        search=search,
    )
    number = page_number(request)
    found = SerialPage(items=[], total=0, limit=PAGE_SIZE, offset=0)
    if form.ok:
        found = await serials.list_serials(pool, who, filters, PAGE_SIZE, (number - 1) * PAGE_SIZE)
    query_without_page = {key: value for key, value in form.values.items() if value}
    return render(
        request,
        "serials/list.html",
        {
            "form": form,
            "found": found,
            "products": product_list,
            "license_types": serials.LICENSE_TYPES,
            "usages": USAGE_NAMES,
            "page_number": number,
            "pages": max(1, -(-found.total // PAGE_SIZE)),
            "query": query_without_page,
            "clear_order": {k: v for k, v in query_without_page.items() if k != "order"},
        },
        status=200 if form.ok else 422,
    )


async def _serial_context(request: web.Request, serial: str) -> dict[str, Any]:
    pool = request.config_dict[DB_POOL]
    who = actor(request)
    row, activations = await serials.get_serial(pool, who, serial)
    return {
        "serial": row,
        "activations": activations,
        "live": [item for item in activations if item.deactivated_at is None],
        "vendors": await vendor_names(request, who),
        "licensee_email": await licensee.recorded_email(pool, who, serial),
    }


@login_required
async def serial_card(request: web.Request) -> web.StreamResponse:
    context = await _serial_context(request, _serial(request))
    return render(request, "serials/card.html", context)


@login_required
async def serial_status(request: web.Request) -> web.StreamResponse:
    serial = _serial(request)
    action = request.match_info["action"]
    if action not in serials.ACTIONS:
        raise web.HTTPNotFound()
    form = await Form.read(request)
    reason = form.text("reason", required=False, max_length=500) or None
    if form.ok:
        try:
            await serials.set_serial_status(
                request.config_dict[DB_POOL], actor(request), serial, action, reason
            )
        except SerialNotFound:
            raise
        except ApiError as error:
            form.refuse(error)
        else:
            flash(
                request,
                gettext("The serial number is blocked: it can no longer be activated.")
                if action == "block"
                else gettext("The serial number is unblocked."),
            )
            raise redirect(url(f"serials/{serial}"))
    context = await _serial_context(request, serial)
    context["form"] = form
    return render(request, "serials/card.html", context, status=422)


@staff_required
@single_submission()
async def transfer_grant(request: web.Request) -> web.StreamResponse:
    """Staff allow a serial's machines to move more often than its product's budget says."""
    serial = _serial(request)
    form = await Form.read(request)
    extra = form.integer("extra", minimum=1, maximum=MAX_TRANSFERS_GRANTED)
    if form.ok and extra is not None:
        try:
            granted = await serials.grant_transfers(
                request.config_dict[DB_POOL], actor(request), serial, extra
            )
        except SerialNotFound:
            raise
        except ApiError as error:
            form.refuse(error, "extra")
        else:
            flash(
                request,
                gettext(
                    "Transfers granted above the product's budget: %(count)s in all.",
                    count=granted,
                ),
            )
            raise redirect(url(f"serials/{serial}"))
    context = await _serial_context(request, serial)
    context["form"] = form
    return render(request, "serials/card.html", context, status=422)


@login_required
async def certificate(request: web.Request) -> web.StreamResponse:
    pool = request.config_dict[DB_POOL]
    who = actor(request)
    row, _ = await serials.get_serial(pool, who, _serial(request), limit=1)
    product = await products.get_product(pool, who, row.product)
    vendor = await accounts.get_vendor(pool, who, row.vendor_id)
    return render(
        request,
        "documents/certificate.html",
        {"serial": row, "product": product, "vendor": vendor},
    )


@login_required
async def group_work(request: web.Request) -> web.StreamResponse:
    """Paste a list (or upload a CSV), see each line checked, apply an action to the valid ones."""
    form = Form.of({"action": "check"})
    result = None
    if request.method == "POST":
        form = await Form.read(request)
        action = form.choice("action", serials.BULK_ACTIONS)
        text = form.values.get("serials", "")
        upload = (await request.post()).get("file")
        if isinstance(upload, web.FileField) and upload.filename:
            content = upload.file.read(serials.MAX_BULK_LINES * 64 + 1)
            try:
                text = content.decode("utf-8-sig")
            except UnicodeDecodeError:
                form.fail("file", gettext("The file is not a text (CSV) file in UTF-8."))
            form.values["serials"] = text
        if not text.strip() and "file" not in form.errors:
            form.fail("serials", gettext("Paste serial numbers, one per line, or choose a file."))
        if form.ok:
            try:
                entries = serials.split_list(text)
                result = await serials.bulk(
                    request.config_dict[DB_POOL], actor(request), action, entries
                )
            except InvalidRequest as error:
                form.refuse(error.message, "serials")
            except ApiError as error:
                form.refuse(error)
    summary: dict[str, int] = {}
    if result is not None:
        for line in result.lines:
            summary[line.result] = summary.get(line.result, 0) + 1
    return render(
        request,
        "serials/group.html",
        {
            "form": form,
            "result": result,
            "summary": summary,
            "results": BULK_RESULTS,
            "actions": BULK_ACTION_NAMES,
        },
        status=200 if form.ok else 422,
    )
