"""The licensee's address on a serial in the vendor API, declared once for the router and the
OpenAPI document."""

from __future__ import annotations

from activation_server.declare import Answer, Endpoint
from activation_server.errors import InvalidRequest, SerialMalformed, SerialNotFound
from vendor_portal.licensee import handlers, schemas
from vendor_portal.serials.schemas import SERIAL

TAG = "serials"
_ONE_SERIAL = (InvalidRequest, SerialMalformed, SerialNotFound)

ENDPOINTS = (
    Endpoint(
        "GET",
        "/v1/serials/{serial}/licensee",
        handlers.get_licensee,
        operation_id="getLicensee",
        summary="The licensee's e-mail address of a serial",
        description=(
            "The address the licensee signs in to the self-service pages with (a code is "
            "mailed there); null when none is recorded."
        ),
        tag=TAG,
        params=(SERIAL,),
        answers=(Answer(200, "The recorded address", schemas.Licensee),),
        errors=_ONE_SERIAL,
    ),
    Endpoint(
        "PUT",
        "/v1/serials/{serial}/licensee",
        handlers.put_licensee,
        operation_id="setLicensee",
        summary="Record the licensee's e-mail address of a serial",
        description=(
            "An address records it (stored in lower case), null removes it: the licensee then "
            "signs in to the self-service pages with a code mailed there, or with a license."
        ),
        tag=TAG,
        params=(SERIAL,),
        body=schemas.LicenseeEmail,
        answers=(Answer(200, "The recorded address", schemas.Licensee),),
        errors=_ONE_SERIAL,
    ),
)
