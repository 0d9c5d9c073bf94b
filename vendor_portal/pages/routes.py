"""The portal's addresses, relative to where it is mounted (``/portal/``)."""

from __future__ import annotations

from aiohttp import web

from vendor_portal.licensee import pages as licensee
from vendor_portal.pages import (
    account,
    auth,
    dashboard,
    docs,
    documents,
    keys,
    machines,
    offline,
    orders,
    people,
    prices,
    products,
    renewals,
    serials,
    staff,
)
from vendor_portal.pages.context import Handler


def _form(router: web.UrlDispatcher, path: str, handler: Handler, name: str) -> None:
    """A page with a form: shown by GET, sent by POST to the same address."""
    resource = router.add_resource(path, name=name)
    resource.add_route("GET", handler)
    resource.add_route("POST", handler)


def add_routes(app: web.Application) -> None:
    router = app.router
    router.add_get("/", auth.index, name="index")
    router.add_post("/language", auth.set_language, name="language")

    _form(router, "/signup", auth.signup, "signup")
    _form(router, "/confirm", auth.confirm, "confirm")
    _form(router, "/login", auth.login, "login")
    router.add_post("/logout", auth.logout, name="logout")
    _form(router, "/password-forgotten", auth.forgot_password, "forgot")
    _form(router, "/password-reset", auth.reset_password, "reset")
    router.add_get("/profile", auth.profile, name="profile")
    router.add_post("/profile/password", auth.change_password, name="password")
    router.add_post("/profile/time-zone", auth.set_time_zone, name="time_zone")
    router.add_post("/profile/api-keys", auth.create_api_key, name="api_keys")
    router.add_post(r"/profile/api-keys/{key_id}/revoke", auth.revoke_api_key, name="revoke_key")

    router.add_get("/sessions", people.session_list, name="sessions")
    router.add_post(r"/sessions/{session_id}/end", people.session_end, name="session_end")
    _form(router, "/colleagues", people.colleague_list, "colleagues")
    router.add_post(
        r"/colleagues/{user_id}/{action:disable|enable}",
        people.colleague_status,
        name="colleague_status",
    )

    router.add_get("/dashboard", dashboard.dashboard, name="dashboard")
    router.add_get("/balance/history", account.balance_history, name="balance_history")
    router.add_get("/audit", account.audit_log, name="audit")

    router.add_get("/docs", docs.docs_index, name="docs")
    router.add_get("/docs/api", docs.docs_api, name="docs_api")
    router.add_get("/docs/sdk", docs.docs_sdk, name="docs_sdk")
    router.add_get("/docs/protocol", docs.docs_protocol, name="docs_protocol")

    router.add_get("/products", products.product_list, name="products")
    _form(router, "/products/new", products.product_new, "product_new")
    _form(router, "/products/{code}/edit", products.product_edit, "product_edit")

    router.add_get("/machines", machines.machine_list, name="machines")
    router.add_post("/machines/{activation_id}/release", machines.machine_release, name="release")
    router.add_get("/keys", keys.key_list, name="keys")
    router.add_post("/keys/{action}", keys.key_action, name="key_action")

    router.add_get("/orders", orders.order_list, name="orders")
    _form(router, "/orders/new", orders.order_new, "order_new")
    router.add_get(r"/orders/{order_id:[0-9]+}", orders.order_card, name="order")
    # Before the card's actions, whose "{action}" would take "edit" too.
    _form(router, r"/orders/{order_id:[0-9]+}/edit", orders.order_edit, "order_edit")
    router.add_post(r"/orders/{order_id:[0-9]+}/{action}", orders.order_action, name="order_action")
    router.add_get(r"/orders/{order_id:[0-9]+}/serials.csv", orders.order_serials_csv, name="csv")
    router.add_get(r"/orders/{order_id:[0-9]+}/invoice", documents.invoice, name="invoice")
    router.add_get(r"/orders/{order_id:[0-9]+}/act", documents.act, name="act")
    _form(router, "/balance", documents.balance, "balance")
    router.add_get(
        r"/balance/prepayments/{number:[0-9]+}", documents.prepayment_invoice, name="prepayment"
    )
    _form(router, "/company", documents.company, "company")
    router.add_get("/prices", prices.prices, name="prices")
    router.add_post("/prices/{what}", prices.change, name="prices_change")
    router.add_post(r"/staff/vendors/{vendor_id:[0-9]+}/tier", staff.vendor_tier, name="tier")
    router.add_post(
        r"/staff/vendors/{vendor_id:[0-9]+}/prepayment", staff.vendor_prepayment, name="prepaid"
    )
    _form(router, "/renewals", renewals.renewals, "renewals")

    router.add_get("/serials", serials.serial_list, name="serials")
    _form(router, "/serials/group", serials.group_work, "group")
    router.add_get("/serials/{serial}", serials.serial_card, name="serial")
    router.add_get("/serials/{serial}/certificate", serials.certificate, name="certificate")
    # Before the serial's actions, whose "{action}" would take "licensee" too.
    router.add_post("/serials/{serial}/licensee", licensee.vendor_email, name="licensee_email")
    router.add_post("/serials/{serial}/{action}", serials.serial_status, name="serial_status")

    router.add_get("/staff/orders", staff.incoming, name="incoming")
    router.add_get("/staff/vendors", staff.vendor_list, name="vendors")
    router.add_get(r"/staff/vendors/{vendor_id:[0-9]+}", staff.vendor_card, name="vendor")
    router.add_post(r"/staff/vendors/{vendor_id:[0-9]+}/top-up", staff.vendor_top_up, name="top_up")
    router.add_post(
        r"/staff/vendors/{vendor_id:[0-9]+}/discount", staff.vendor_discount, name="discount"
    )

    licensee.add_routes(router)

    _form(router, "/activate", offline.offline_activation, "offline")
    router.add_post("/activate/license", offline.offline_license_download, name="offline_license")
