"""Accounts: sign-up, sign-in, passwords, API keys, users, colleagues and vendors in the API;
the sign-in, profile, sessions and colleagues pages."""

from __future__ import annotations

from vendor_portal.accounts import endpoints, pages, people
from vendor_portal.routing import Routes


def setup(routes: Routes) -> None:
    routes.declare(endpoints.ENDPOINTS)

    routes.page("/", pages.index, "index")
    routes.action("/language", pages.set_language, "language")
    routes.form("/signup", pages.signup, "signup")
    routes.form("/confirm", pages.confirm, "confirm")
    routes.form("/login", pages.login, "login")
    routes.action("/logout", pages.logout, "logout")
    routes.form("/password-forgotten", pages.forgot_password, "forgot")
    routes.form("/password-reset", pages.reset_password, "reset")
    routes.page("/profile", pages.profile, "profile")
    routes.action("/profile/password", pages.change_password, "password")
    routes.action("/profile/time-zone", pages.set_time_zone, "time_zone")
    routes.action("/profile/api-keys", pages.create_api_key, "api_keys")
    routes.action(r"/profile/api-keys/{key_id}/revoke", pages.revoke_api_key, "revoke_key")

    routes.page("/sessions", people.session_list, "sessions")
    routes.action(r"/sessions/{session_id}/end", people.session_end, "session_end")
    routes.form("/colleagues", people.colleague_list, "colleagues")
    routes.action(
        r"/colleagues/{user_id}/{action:disable|enable}",
        people.colleague_status,
        "colleague_status",
    )
