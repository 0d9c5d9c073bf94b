"""The audit log's page, with the API's access rules (a vendor sees its own part, staff see
everything)."""

from __future__ import annotations

from aiohttp import web

from activation_server.appkeys import DB_POOL
from vendor_portal.audit import service as audit
from vendor_portal.pages.context import actor, login_required, render
from vendor_portal.pages.forms import Form
from vendor_portal.pages.i18n import gettext
from vendor_portal.pages.lists import PAGE_SIZE, page_number, vendor_names

# The audit log's actions a reader may filter by; anything else is refused, not ignored.
AUDIT_ACTION_MAX = 64


@login_required
async def audit_log(request: web.Request) -> web.StreamResponse:
    who = actor(request)
    form = Form.of({key: request.query.get(key, "") for key in ("action", "vendor")})
    action = form.text("action", required=False, max_length=AUDIT_ACTION_MAX)
    if action and not all(char.isalnum() or char in "._-" for char in action):
        form.fail("action", gettext("An action is a word such as order.placed."))
    vendor_id = None
    if who.is_staff and form["vendor"].strip():
        vendor_id = form.integer("vendor", minimum=1, maximum=2**62)
    number = page_number(request)
    entries = []
    if form.ok:
        entries = await audit.list_entries(
            request.config_dict[DB_POOL],
            who,
            vendor_id=vendor_id,
            action=action or None,
            limit=PAGE_SIZE + 1,
            offset=(number - 1) * PAGE_SIZE,
        )
    return render(
        request,
        "audit/log.html",
        {
            "form": form,
            "entries": entries[:PAGE_SIZE],
            "has_next": len(entries) > PAGE_SIZE,
            "page_number": number,
            "vendors": await vendor_names(request, who),
            "query": {key: value for key, value in form.values.items() if value},
        },
        status=200 if form.ok else 422,
    )
