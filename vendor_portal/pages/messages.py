"""What a person reads when the domain refuses something: one translatable text per error code.

The domain errors carry English messages meant for API clients; pages show these instead, in
the reader's language, and fall back to the domain's own message for codes not listed here.
"""

from __future__ import annotations

from typing import Any

from activation_server.errors import ApiError
from vendor_portal.pages.i18n import N_, gettext

MESSAGES: dict[str, str] = {
    "SERIALS_NOT_RENEWABLE": N_(
        "Some of these serial numbers cannot be renewed now (another unpaid renewal order holds "
        "them, or they changed): check the list again."
    ),
    "INVALID_REQUEST": N_("The form is not filled in correctly."),
    "SERIAL_MALFORMED": N_(
        "That is not a serial number: a symbol is mistyped or missing. Serial numbers look like "
        "XXXXX-XXXXX-XXXXX-XXXXX."
    ),
    "SERIAL_NOT_FOUND": N_(
        "No such serial number. Check that it was typed exactly as printed on the certificate."
    ),
    "SERIAL_BLOCKED": N_(
        "This serial number has been blocked by its vendor. Contact the vendor of the program."
    ),
    "SERIAL_EXPIRED": N_("This serial number is past its validity and can no longer be activated."),
    "PRODUCT_MISMATCH": N_(
        "The request was made by another program than the one this serial number is for."
    ),
    "FEATURES_NOT_LICENSED": N_(
        "The request asks for modules that this serial number does not license: %(features)s. "
        "Fewer modules than licensed are fine, more are not."
    ),
    "ACTIVATION_LIMIT_REACHED": N_(
        "Every activation of this serial number is in use (%(used)s of %(limit)s). Deactivate the "
        "program on a machine that no longer uses it, or ask the vendor for another serial number."
    ),
    "RATE_LIMITED": N_("Too many failed attempts from your address. Try again in a few minutes."),
    "SERVICE_UNAVAILABLE": N_("The service is briefly unavailable. Try again in a moment."),
    "UNAUTHORIZED": N_("Sign in first."),
    "INVALID_CREDENTIALS": N_("The e-mail address or the password is wrong."),
    "ACCOUNT_NOT_CONFIRMED": N_(
        "Confirm your e-mail address first: follow the link in the message we sent you."
    ),
    "ACCOUNT_DISABLED": N_(
        "This account is disabled. Ask your company's administrator or support."
    ),
    "FORBIDDEN": N_("Your account may not do this."),
    "SIGN_IN_CODE_INVALID": N_(
        "The serial number or the code is wrong, or the code has expired or was used already. "
        "Ask for a new code."
    ),
    "LICENSE_NOT_ACCEPTED": N_(
        "This is not a current license: it was not issued by this service, its machine was "
        "deactivated, or the serial number is blocked or past its term."
    ),
    "TRANSFER_LIMIT_REACHED": N_(
        "This serial number's machines were moved %(used)s times in the last 365 days, as many "
        "as its product allows (%(budget)s). No more machines can be freed now: ask the vendor "
        "to allow more."
    ),
    "DEACTIVATION_NOT_ALLOWED": N_(
        "Machines of this serial number cannot be freed: trial licenses do not move."
    ),
    "SELF_SERVICE_OFF": N_(
        "The vendor of this program does not offer self-service for it. To free a machine, "
        "write to the vendor."
    ),
    "NOT_FOUND": N_("Nothing is here. The address may be mistyped, or the page was removed."),
    "VENDOR_NOT_FOUND": N_("No such company."),
    "USER_NOT_FOUND": N_("No such user."),
    "PRODUCT_NOT_FOUND": N_("No such product."),
    "ORDER_NOT_FOUND": N_("No such order."),
    "API_KEY_NOT_FOUND": N_("No such API key."),
    "TOKEN_INVALID": N_("This link is not valid: it has expired or was used already."),
    "ORDER_STATE_CONFLICT": N_(
        "The order is %(status)s now, so this can no longer be done. Reload the page to see it."
    ),
    "INSUFFICIENT_BALANCE": N_("The prepaid balance is less than the amount due."),
    "PAYMENT_REFERENCE_USED": N_("This payment reference was already recorded for another order."),
    "PRODUCT_CODE_TAKEN": N_("This product code is not available: choose another one."),
    "EMAIL_TAKEN": N_("An account with this e-mail address exists already. Sign in instead."),
    "METHOD_NOT_ALLOWED": N_("This address does not accept that kind of request."),
    "PAYLOAD_TOO_LARGE": N_("What was sent is too large."),
    "CONFLICT": N_("This conflicts with a change made meanwhile. Reload the page and try again."),
}

STATUS_NAMES: dict[str, str] = {
    "placed": N_("Placed"),
    "invoiced": N_("Invoiced"),
    "fulfilled": N_("Fulfilled"),
    "cancelled": N_("Cancelled"),
    "active": N_("Active"),
    "blocked": N_("Blocked"),
}


# The same statuses inside a sentence ("The order is invoiced now"), where a capital is wrong.
STATUS_WORDS: dict[str, str] = {
    "placed": N_("placed"),
    "invoiced": N_("invoiced"),
    "fulfilled": N_("fulfilled"),
    "cancelled": N_("cancelled"),
    "active": N_("active"),
    "blocked": N_("blocked"),
}


def _translated(names: dict[str, str], code: str) -> str:
    """The reader's-language name of a code, or the code itself when it has no name."""
    return gettext(names[code]) if code in names else code


def status_name(status: str) -> str:
    return _translated(STATUS_NAMES, status)


def explain(error: ApiError) -> str:
    """The error in the reader's language, with its details (limits, feature names) filled in."""
    template = MESSAGES.get(error.code)
    if template is None:
        return error.message
    details: dict[str, Any] = dict(error.extra)
    if "features" in details and isinstance(details["features"], list):
        details["features"] = ", ".join(str(item) for item in details["features"])
    if "status" in details:
        details["status"] = _translated(STATUS_WORDS, str(details["status"]))
    try:
        return gettext(template) % details if "%(" in template else gettext(template)
    except (KeyError, TypeError, ValueError):
        return gettext(template).split("%(")[0].rstrip(" :") or error.message


LICENSE_TYPE_NAMES: dict[str, str] = {
    "SP1": N_("Software key, 1 activation"),
    "SP3": N_("Software key, 3 activations"),
    "SP5": N_("Software key, 5 activations"),
    "TRIAL30K": N_("Trial, pool of 30 000 activations"),
    "TRIAL100K": N_("Trial, pool of 100 000 activations"),
}


def license_type_name(code: str) -> str:
    return _translated(LICENSE_TYPE_NAMES, code)


LEDGER_KINDS: dict[str, str] = {
    "top_up": N_("Top-up"),
    "order_payment": N_("Order payment"),
    "overpayment": N_("Overpayment credited"),
    "refund": N_("Refund of a cancelled order"),
}


def ledger_kind(kind: str) -> str:
    return _translated(LEDGER_KINDS, kind)


# References the service makes up itself (a balance payment is "balance:order:<id>") say nothing
# a reader needs: the entry links its order instead. A bank's or a top-up's reference is shown.
_INTERNAL_REFERENCE_PREFIXES = ("balance:", "refund:")


def ledger_reference(reference: str | None) -> str:
    if reference is None or reference.startswith(_INTERNAL_REFERENCE_PREFIXES):
        return ""
    return reference


PAYMENT_METHODS: dict[str, str] = {
    "transfer": N_("Bank transfer"),
    "balance": N_("From the prepaid balance"),
}


def payment_method(method: str) -> str:
    return _translated(PAYMENT_METHODS, method)


RENEWAL_REASONS: dict[str, str] = {
    "malformed": N_("Not a serial number: a symbol is mistyped or missing."),
    "not_found": N_("No such serial number among your products."),
    "duplicate": N_("Listed on an earlier line already."),
    "blocked": N_("The serial number is blocked."),
    "trial": N_("A trial serial number has no subscription to renew."),
    "locked": N_("Already in an unpaid renewal order."),
    "no_price": N_("The price list has no subscription price for this license type."),
}


def renewal_reason(item: Any) -> str:
    """Why a line of a renewal upload is refused, in the reader's language."""
    if item.reason == "locked" and item.order_number is not None:
        return gettext("Already in unpaid order No. %(number)s.", number=item.order_number)
    return _translated(RENEWAL_REASONS, item.reason)
