"""Domain errors, each with a stable ``code`` and HTTP ``status``.

One middleware (:mod:`activation_server.middleware`) turns any of them into the contract's body
``{"error": {"code", "message", ...}}``. Code branches on these classes, never on message text.

    ApiError
    ├── InvalidRequest            400 INVALID_REQUEST
    ├── SerialMalformed           400 SERIAL_MALFORMED
    ├── Unauthorized              401 UNAUTHORIZED
    ├── Forbidden                 403 FORBIDDEN
    ├── SerialBlocked             403 SERIAL_BLOCKED
    ├── SerialExpired             403 SERIAL_EXPIRED
    ├── ProductMismatch           403 PRODUCT_MISMATCH
    ├── FeaturesNotLicensed       403 FEATURES_NOT_LICENSED
    ├── DeactivationNotAllowed    403 DEACTIVATION_NOT_ALLOWED
    ├── LicenseInvalid            403 SIGNATURE_INVALID
    ├── NotFound                  404 NOT_FOUND
    │   ├── SerialNotFound        404 SERIAL_NOT_FOUND
    │   └── ActivationNotFound    404 ACTIVATION_NOT_FOUND
    ├── MethodNotAllowed          405 METHOD_NOT_ALLOWED
    ├── Conflict                  409 CONFLICT
    │   ├── ActivationLimitReached 409 ACTIVATION_LIMIT_REACHED
    │   └── TransferLimitReached  409 TRANSFER_LIMIT_REACHED
    ├── RequestTimeout            408 REQUEST_TIMEOUT
    ├── PayloadTooLarge           413 PAYLOAD_TOO_LARGE
    ├── UnsupportedMediaType      415 UNSUPPORTED_MEDIA_TYPE
    ├── RateLimited               429 RATE_LIMITED (Retry-After)
    └── ServiceUnavailable        503 SERVICE_UNAVAILABLE (Retry-After)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar


class ApiError(Exception):
    code: ClassVar[str] = "ERROR"
    status: ClassVar[int] = 400
    default_message: ClassVar[str] = "The request was refused."

    def __init__(
        self,
        message: str | None = None,
        *,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, **self.extra}}


class InvalidRequest(ApiError):
    code = "INVALID_REQUEST"
    status = 400
    default_message = "The request body is not valid."


class SerialMalformed(ApiError):
    code = "SERIAL_MALFORMED"
    status = 400
    default_message = "That is not a serial number: check it for typos."


class Unauthorized(ApiError):
    code = "UNAUTHORIZED"
    status = 401
    default_message = "Sign in first: a valid bearer token is required."

    def __init__(self, message: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(message, **kwargs)


class Forbidden(ApiError):
    code = "FORBIDDEN"
    status = 403
    default_message = "Your account may not do this."


class SerialBlocked(ApiError):
    code = "SERIAL_BLOCKED"
    status = 403
    default_message = "This serial number has been blocked. Contact the software vendor."


class SerialExpired(ApiError):
    code = "SERIAL_EXPIRED"
    status = 403
    default_message = "This serial number is past its validity."


class ProductMismatch(ApiError):
    code = "PRODUCT_MISMATCH"
    status = 403
    default_message = "This serial number belongs to another product."


class FeaturesNotLicensed(ApiError):
    code = "FEATURES_NOT_LICENSED"
    status = 403

    def __init__(self, missing: Iterable[str]) -> None:
        names = sorted(set(missing))
        super().__init__(
            "This serial number does not license: " + ", ".join(names) + ".",
            extra={"features": names},
        )


class DeactivationNotAllowed(ApiError):
    code = "DEACTIVATION_NOT_ALLOWED"
    status = 403
    default_message = "Trial activations cannot be transferred to another machine."


class LicenseInvalid(ApiError):
    code = "SIGNATURE_INVALID"
    status = 403
    default_message = "The license was not issued by this server or has been altered."


class NotFound(ApiError):
    code = "NOT_FOUND"
    status = 404
    default_message = "Nothing is here."


class SerialNotFound(NotFound):
    code = "SERIAL_NOT_FOUND"
    default_message = "No such serial number. Check that it was typed as printed."


class ActivationNotFound(NotFound):
    code = "ACTIVATION_NOT_FOUND"
    default_message = "No such activation."


class MethodNotAllowed(ApiError):
    code = "METHOD_NOT_ALLOWED"
    status = 405
    default_message = "This address does not accept that method."


class Conflict(ApiError):
    code = "CONFLICT"
    status = 409
    default_message = "The request conflicts with the current state."


class ActivationLimitReached(Conflict):
    code = "ACTIVATION_LIMIT_REACHED"

    def __init__(self, limit: int, used: int) -> None:
        super().__init__(
            f"Every activation of this serial number is in use ({used} of {limit}). Deactivate "
            "it on a machine you no longer use, or ask the vendor for another serial number.",
            extra={"limit": limit, "used": used},
        )


class TransferLimitReached(Conflict):
    code = "TRANSFER_LIMIT_REACHED"

    def __init__(self, budget: int, used: int) -> None:
        super().__init__(
            f"This serial number's machines were moved {used} times in the last 365 days, as "
            f"many as its product allows ({budget}). Ask the vendor to allow more.",
            extra={"budget": budget, "used": used},
        )


class RequestTimeout(ApiError):
    code = "REQUEST_TIMEOUT"
    status = 408
    default_message = "The request body did not arrive in time."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, headers={"Connection": "close"})


class PayloadTooLarge(ApiError):
    code = "PAYLOAD_TOO_LARGE"
    status = 413
    default_message = "The request body is too large."


class UnsupportedMediaType(ApiError):
    code = "UNSUPPORTED_MEDIA_TYPE"
    status = 415
    default_message = "Send the body as JSON (Content-Type: application/json)."


class RateLimited(ApiError):
    code = "RATE_LIMITED"
    status = 429

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        super().__init__(
            message or f"Too many failed attempts from your address. Try again in {retry_after} s.",
            headers={"Retry-After": str(retry_after)},
        )
        self.retry_after = retry_after


class ServiceUnavailable(ApiError):
    code = "SERVICE_UNAVAILABLE"
    status = 503

    def __init__(self, retry_after: int = 5, message: str | None = None) -> None:
        super().__init__(
            message or "The service is briefly unavailable. Try again shortly.",
            headers={"Retry-After": str(retry_after)},
        )
