"""Accounts: sign-up, sign-in, passwords, API keys, users, colleagues and vendors in the API;
the sign-in, profile, sessions and colleagues pages."""

from __future__ import annotations

from vendor_portal.accounts import handlers, pages, people
from vendor_portal.routing import Routes


def setup(routes: Routes) -> None:
    routes.api("POST", "/v1/auth/register", handlers.post_register)
    routes.api("GET", "/v1/auth/confirm", handlers.get_confirm)
    routes.api("POST", "/v1/auth/confirm", handlers.post_confirm)
    routes.api("POST", "/v1/auth/token", handlers.post_token)
    routes.api("POST", "/v1/auth/password-reset", handlers.post_password_reset)
    routes.api("POST", "/v1/auth/password-reset/confirm", handlers.post_password_reset_confirm)
    routes.api("POST", "/v1/auth/password", handlers.post_password)
    routes.api("GET", "/v1/me", handlers.get_me)
    routes.api("GET", "/v1/api-keys", handlers.get_api_keys)
    routes.api("POST", "/v1/api-keys", handlers.post_api_key)
    routes.api("DELETE", "/v1/api-keys/{key_id}", handlers.delete_api_key)
    routes.api("GET", "/v1/users", handlers.get_users)
    routes.api("POST", "/v1/users", handlers.post_user)
    routes.api("GET", "/v1/users/{user_id}", handlers.get_user)
    routes.api("POST", "/v1/users/{user_id}/disable", handlers.post_disable_user)
    routes.api("POST", "/v1/users/{user_id}/enable", handlers.post_enable_user)
    routes.api("GET", "/v1/colleagues", handlers.get_colleagues)
    routes.api("POST", "/v1/colleagues", handlers.post_colleague)
    routes.api("GET", "/v1/vendors", handlers.get_vendors)
    routes.api("GET", "/v1/vendors/{vendor_id}", handlers.get_vendor)
    routes.api("PATCH", "/v1/vendors/{vendor_id}", handlers.patch_vendor)

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
