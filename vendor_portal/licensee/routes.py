"""Licensee self-service: the address recorded on a serial in the API and on the serial's page,
and the licensee's own pages under ``/portal/licensee/``."""

from __future__ import annotations

from vendor_portal.licensee import endpoints, pages
from vendor_portal.routing import Routes


def setup(routes: Routes) -> None:
    routes.declare(endpoints.ENDPOINTS)
    # Set up before the serials feature, whose "/serials/{serial}/{action}" would take it too.
    routes.action("/serials/{serial}/licensee", pages.vendor_email, "licensee_email")

    routes.page("/licensee/", pages.start, "licensee")
    routes.action("/licensee/code", pages.request_code, "licensee_code")
    routes.form("/licensee/sign-in", pages.sign_in, "licensee_sign_in")
    routes.action("/licensee/license", pages.sign_in_with_license, "licensee_license")
    routes.page("/licensee/machines", pages.machines, "licensee_machines")
    routes.action("/licensee/machines/{activation_id}/release", pages.release, "licensee_release")
    routes.action("/licensee/sign-out", pages.sign_out, "licensee_sign_out")
