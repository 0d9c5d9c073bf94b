"""One-time nonces of the forms that create something (an order, a product, a payment, a key).

Each such form carries a random ``form_nonce``; the first submission under it runs and the place
it led to is kept (:mod:`vendor_portal.idempotency`), so a double click or a back-and-resubmit
lands on that first result instead of creating the thing again. A submission without a nonce
(a script posting by hand) runs as always.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import wraps

from aiohttp import web

from activation_server.appkeys import DB_POOL
from vendor_portal.idempotency.service import Answer, fingerprint, run_once
from vendor_portal.pages.context import PAGE, Handler, flash, redirect
from vendor_portal.pages.i18n import gettext

NONCE_FIELD = "form_nonce"


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def single_submission(
    shown_result: Callable[[web.Request], str] | None = None,
) -> Callable[[Handler], Handler]:
    """A form handler whose accepted submission takes effect once per nonce.

    An accepted submission normally redirects (303), and a repetition is sent to the same place.
    ``shown_result`` is for forms that show their result on the answering page instead (200):
    a repetition is sent to the address it names. Refused forms (4xx) keep the nonce free.
    """

    def decorate(handler: Handler) -> Handler:
        @wraps(handler)
        async def wrapper(request: web.Request) -> web.StreamResponse:
            if request.method != "POST":
                return await handler(request)
            nonce = (await request.post()).get(NONCE_FIELD)
            if not isinstance(nonce, str) or not 16 <= len(nonce) <= 64:
                return await handler(request)
            user = request[PAGE].user
            scope = f"user:{user.id}" if user is not None else "anonymous-form"
            shown: web.StreamResponse | None = None

            async def produce() -> Answer | None:
                nonlocal shown
                try:
                    shown = await handler(request)
                except web.HTTPSeeOther as moved:
                    return Answer(moved.status, location=str(moved.location))
                if shown.status == 200 and shown_result is not None:
                    return Answer(303, location=shown_result(request))
                return None

            answer, replayed = await run_once(
                request.config_dict[DB_POOL],
                f"{scope}:form",
                nonce,
                fingerprint(request.path),
                produce,
            )
            if replayed:
                assert answer is not None and answer.location is not None
                flash(
                    request,
                    gettext("This form was sent already; here is what it did."),
                    "info",
                )
                raise redirect(answer.location)
            if shown is not None:
                return shown
            assert answer is not None and answer.location is not None
            raise redirect(answer.location)

        return wrapper

    return decorate
