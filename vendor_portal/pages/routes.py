"""The portal's addresses, relative to where it is mounted (``/portal/``)."""

from __future__ import annotations

from vendor_portal.pages import (
    account,
    auth,
    offline,
    people,
    prices,
    renewals,
    serials,
    staff,
)
from vendor_portal.routing import Routes


def add_routes(routes: Routes) -> None:
    router = routes.pages_router
    _form = routes.form
    router.add_get("/", auth.index, name="index")
    router.add_post("/language", auth.set_language, name="language")

    _form("/signup", auth.signup, "signup")
    _form("/confirm", auth.confirm, "confirm")
    _form("/login", auth.login, "login")
    router.add_post("/logout", auth.logout, name="logout")
    _form("/password-forgotten", auth.forgot_password, "forgot")
    _form("/password-reset", auth.reset_password, "reset")
    router.add_get("/profile", auth.profile, name="profile")
    router.add_post("/profile/password", auth.change_password, name="password")
    router.add_post("/profile/time-zone", auth.set_time_zone, name="time_zone")
    router.add_post("/profile/api-keys", auth.create_api_key, name="api_keys")
    router.add_post(r"/profile/api-keys/{key_id}/revoke", auth.revoke_api_key, name="revoke_key")

    router.add_get("/sessions", people.session_list, name="sessions")
    router.add_post(r"/sessions/{session_id}/end", people.session_end, name="session_end")
    _form("/colleagues", people.colleague_list, "colleagues")
    router.add_post(
        r"/colleagues/{user_id}/{action:disable|enable}",
        people.colleague_status,
        name="colleague_status",
    )

    router.add_get("/balance/history", account.balance_history, name="balance_history")
    router.add_get("/audit", account.audit_log, name="audit")

    router.add_get("/prices", prices.prices, name="prices")
    router.add_post("/prices/{what}", prices.change, name="prices_change")
    router.add_post(r"/staff/vendors/{vendor_id:[0-9]+}/tier", staff.vendor_tier, name="tier")
    router.add_post(
        r"/staff/vendors/{vendor_id:[0-9]+}/prepayment", staff.vendor_prepayment, name="prepaid"
    )
    _form("/renewals", renewals.renewals, "renewals")

    router.add_get("/serials", serials.serial_list, name="serials")
    _form("/serials/group", serials.group_work, "group")
    router.add_get("/serials/{serial}", serials.serial_card, name="serial")
    router.add_get("/serials/{serial}/certificate", serials.certificate, name="certificate")
    router.add_post("/serials/{serial}/{action}", serials.serial_status, name="serial_status")

    router.add_get("/staff/orders", staff.incoming, name="incoming")
    router.add_get("/staff/vendors", staff.vendor_list, name="vendors")
    router.add_get(r"/staff/vendors/{vendor_id:[0-9]+}", staff.vendor_card, name="vendor")
    router.add_post(r"/staff/vendors/{vendor_id:[0-9]+}/top-up", staff.vendor_top_up, name="top_up")
    router.add_post(
        r"/staff/vendors/{vendor_id:[0-9]+}/discount", staff.vendor_discount, name="discount"
    )

    _form("/activate", offline.offline_activation, "offline")
    router.add_post("/activate/license", offline.offline_license_download, name="offline_license")
