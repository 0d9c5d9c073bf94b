"""Errors of the vendor API, in the activation server's hierarchy (one middleware renders all).

    ApiError
    ├── InvalidRequest                 400 INVALID_REQUEST
    ├── Unauthorized                   401 UNAUTHORIZED
    │   ├── InvalidCredentials         401 INVALID_CREDENTIALS
    │   ├── SignInCodeInvalid          401 SIGN_IN_CODE_INVALID (licensee: wrong, expired, used)
    │   └── LicenseNotAccepted         401 LICENSE_NOT_ACCEPTED (licensee: not a current license)
    ├── Forbidden                      403 FORBIDDEN
    │   ├── AccountNotConfirmed        403 ACCOUNT_NOT_CONFIRMED
    │   └── SelfServiceOff             403 SELF_SERVICE_OFF (the vendor turned it off)
    ├── NotFound                       404 NOT_FOUND
    │   ├── VendorNotFound             404 VENDOR_NOT_FOUND
    │   ├── UserNotFound               404 USER_NOT_FOUND
    │   ├── ProductNotFound            404 PRODUCT_NOT_FOUND
    │   ├── OrderNotFound              404 ORDER_NOT_FOUND
    │   ├── ApiKeyNotFound             404 API_KEY_NOT_FOUND
    │   ├── PrepaymentNotFound         404 PREPAYMENT_NOT_FOUND
    │   └── TokenNotFound              404 TOKEN_INVALID (expired or used link)
    └── Conflict                       409 CONFLICT
        ├── OrderStateConflict         409 ORDER_STATE_CONFLICT (names the current status)
        ├── InsufficientBalance        409 INSUFFICIENT_BALANCE
        ├── PaymentReferenceUsed       409 PAYMENT_REFERENCE_USED
        ├── ProductCodeTaken           409 PRODUCT_CODE_TAKEN
        ├── EmailTaken                 409 EMAIL_TAKEN
        ├── PrepaymentPaid             409 PREPAYMENT_PAID (paid under another reference)
        └── SerialsNotRenewable        409 SERIALS_NOT_RENEWABLE (locked by another unpaid
                                           renewal order, blocked, …; names them line by line)

Another vendor's resources answer the NotFound classes, exactly as if they did not exist.
"""

from __future__ import annotations

from activation_server.errors import Conflict, Forbidden, NotFound, Unauthorized


class InvalidCredentials(Unauthorized):
    code = "INVALID_CREDENTIALS"
    default_message = "The e-mail address or the password is wrong."


class SignInCodeInvalid(Unauthorized):
    code = "SIGN_IN_CODE_INVALID"
    default_message = (
        "The serial number or the code is wrong, or the code has expired or was used already."
    )


class LicenseNotAccepted(Unauthorized):
    code = "LICENSE_NOT_ACCEPTED"
    default_message = (
        "This is not a current license: it was not issued by this service, its machine was "
        "deactivated, or the serial number is blocked or past its term."
    )


class SelfServiceOff(Forbidden):
    code = "SELF_SERVICE_OFF"
    default_message = (
        "The vendor of this program does not offer self-service for it. Write to the vendor."
    )


class AccountNotConfirmed(Forbidden):
    code = "ACCOUNT_NOT_CONFIRMED"
    default_message = (
        "Confirm your e-mail address first: follow the link in the message we sent you."
    )


class AccountDisabled(Forbidden):
    code = "ACCOUNT_DISABLED"
    default_message = "This account is disabled. Ask your company's administrator or support."


class VendorNotFound(NotFound):
    code = "VENDOR_NOT_FOUND"
    default_message = "No such company."


class UserNotFound(NotFound):
    code = "USER_NOT_FOUND"
    default_message = "No such user."


class ProductNotFound(NotFound):
    code = "PRODUCT_NOT_FOUND"
    default_message = "No such product."


class OrderNotFound(NotFound):
    code = "ORDER_NOT_FOUND"
    default_message = "No such order."


class ApiKeyNotFound(NotFound):
    code = "API_KEY_NOT_FOUND"
    default_message = "No such API key."


class TokenNotFound(NotFound):
    code = "TOKEN_INVALID"
    default_message = "This link is not valid: it has expired or was used already."


class OrderStateConflict(Conflict):
    code = "ORDER_STATE_CONFLICT"

    def __init__(self, status: str, action: str) -> None:
        super().__init__(f"The order is {status}: it cannot be {action}.", extra={"status": status})
        self.current_status = status


class InsufficientBalance(Conflict):
    code = "INSUFFICIENT_BALANCE"

    def __init__(self, balance: int, due: int) -> None:
        super().__init__(
            f"The prepaid balance ({balance}) is less than the amount due ({due}).",
            extra={"balance": balance, "due": due},
        )


class PaymentReferenceUsed(Conflict):
    code = "PAYMENT_REFERENCE_USED"
    default_message = "This payment reference was already recorded for another order."


class ProductCodeTaken(Conflict):
    code = "PRODUCT_CODE_TAKEN"
    # Codes are unique within a vendor: this speaks only of the vendor's own products.
    default_message = "Your company has a product with this code already."


class EmailTaken(Conflict):
    code = "EMAIL_TAKEN"
    default_message = "An account with this e-mail address exists already."


class NoNextKey(Conflict):
    code = "NO_NEXT_KEY"
    default_message = "There is no next key to promote: add one first."


class SerialsNotRenewable(Conflict):
    code = "SERIALS_NOT_RENEWABLE"

    def __init__(self, refused: list[dict[str, object]]) -> None:
        shown = ", ".join(f"{item['serial']} ({item['reason']})" for item in refused[:5])
        more = f" and {len(refused) - 5} more" if len(refused) > 5 else ""
        super().__init__(
            f"These serial numbers cannot be renewed now: {shown}{more}.",
            extra={"refused": refused},
        )


class PrepaymentNotFound(NotFound):
    code = "PREPAYMENT_NOT_FOUND"
    default_message = "No such prepayment invoice."


class PrepaymentPaid(Conflict):
    code = "PREPAYMENT_PAID"
    default_message = "This prepayment invoice was paid already, under another reference."
