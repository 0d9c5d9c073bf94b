"""GET /v1/audit, declared once for the router and the API reference."""

from __future__ import annotations

from activation_server.declare import Answer, Endpoint, Page
from activation_server.errors import InvalidRequest
from vendor_portal.audit import handlers, schemas

ENDPOINTS = (
    Endpoint(
        "GET",
        "/v1/audit",
        handlers.get_audit,
        operation_id="listAuditEntries",
        summary="The audit log, newest first",
        description=(
            "What was done, by whom, from where. A vendor sees its own company's entries; staff "
            "see all, or one company's with `vendor_id`. Filter by `action` and `subject`."
        ),
        tag="audit",
        query=schemas.AuditQuery,
        answers=(Answer(200, "A page of entries", Page[schemas.AuditEntry]),),
        errors=(InvalidRequest,),
    ),
)
