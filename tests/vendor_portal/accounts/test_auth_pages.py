"""Sign up, confirmation, sign in and out, forgotten password, password change, through the
pages as a browser sends them."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import aiohttp
import asyncpg
from aiohttp.test_utils import TestClient

from activation_server.settings import Settings
from tests.conftest import PASSWORD, make_account
from tests.vendor_portal.pages.portal import Portal, field_value, last_mail, link_in


async def test_sign_up_confirm_and_sign_in(client: TestClient, pool: asyncpg.Pool) -> None:
    portal = Portal(client)
    await portal.get("/portal/signup")
    text = await portal.post(
        "/portal/signup",
        {
            "company": "Acme Software",
            "kind": "individual",
            "email": "Founder@Acme.example",
            "password": "long enough secret",
            "password_repeat": "long enough secret",
        },
    )
    assert "founder@acme.example" in text and 'data-test="signup-done"' in text

    body = await last_mail(pool, "founder@acme.example")
    link = link_in(body, "confirm?token=")
    # The e-mail's link, opened by a browser, leads to the portal's page with its button.
    parts = urlsplit(link)
    response = await client.get(
        f"{parts.path}?{parts.query}",
        headers={"Accept": "text/html"},
        allow_redirects=False,
    )
    assert response.status == 303
    location = response.headers["Location"]
    assert location.startswith("/portal/confirm?token=")
    page = await portal.get(location)
    token = field_value(page, "token")
    assert token

    # Not confirmed yet: signing in is refused with the reason.
    refused = await portal.post(
        "/portal/login",
        {"email": "founder@acme.example", "password": "long enough secret"},
        status=422,
    )
    assert "Confirm your e-mail address first" in refused

    text = await portal.post("/portal/confirm", {"token": token})
    assert "Your e-mail address is confirmed" in text
    text = await portal.post(
        "/portal/login", {"email": "founder@acme.example", "password": "long enough secret"}
    )
    assert "Acme Software" in text and "Dashboard" in text

    # The same link a second time is spent.
    again = await portal.post("/portal/confirm", {"token": token}, status=422)
    assert "This link is not valid" in again


async def test_a_refused_sign_up_keeps_what_was_typed(client: TestClient) -> None:
    portal = Portal(client)
    await portal.get("/portal/signup")
    text = await portal.post(
        "/portal/signup",
        {
            "company": "Typed Company",
            "kind": "legal_entity",
            "email": "not-an-address",
            "password": "short",
            "password_repeat": "short",
        },
        status=422,
    )
    assert "Enter an e-mail address such as name@example.com." in text
    assert "Choose a password of 8 to 1024 characters." in text
    assert field_value(text, "company") == "Typed Company"
    assert field_value(text, "email") == "not-an-address"
    # Passwords are never sent back.
    assert field_value(text, "password") == "" and field_value(text, "password_repeat") == ""
    assert 'id="kind-legal_entity" value="legal_entity" checked' in text


async def test_sign_in_out_and_wrong_password(
    client: TestClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    await make_account(client, pool, settings, "alice@vendor-a.example", company="Vendor A")
    portal = Portal(client)
    text = await portal.get("/portal/dashboard")  # redirected to sign in
    assert 'name="next" value="/portal/dashboard"' in text

    wrong = await portal.post(
        "/portal/login",
        {"email": "alice@vendor-a.example", "password": "wrong password", "next": "/portal/orders"},
        status=422,
    )
    assert "The e-mail address or the password is wrong." in wrong
    assert field_value(wrong, "email") == "alice@vendor-a.example"

    text = await portal.post(
        "/portal/login",
        {"email": "alice@vendor-a.example", "password": PASSWORD, "next": "/portal/orders"},
    )
    assert '<h1 class="h3 mb-0">Orders</h1>' in text
    cookie = portal.cookie("portal_session")
    assert cookie

    text = await portal.post("/portal/logout", {})
    assert "You have signed out." in text
    assert portal.cookie("portal_session") in (None, "")
    await portal.get("/portal/orders")
    assert "Sign in" in portal.last and 'name="password"' in portal.last


async def test_a_next_address_outside_the_portal_is_ignored(
    client: TestClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    await make_account(client, pool, settings, "alice@vendor-a.example", company="Vendor A")
    portal = Portal(client)
    await portal.get("/portal/login")
    response = await client.post(
        "/portal/login",
        data={
            "email": "alice@vendor-a.example",
            "password": PASSWORD,
            "next": "https://evil.example/",
            "csrf_token": portal.token,
        },
        allow_redirects=False,
    )
    assert response.status == 303
    assert response.headers["Location"] == "/portal/dashboard"


async def test_forgotten_password_and_reset(
    client: TestClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    await make_account(client, pool, settings, "alice@vendor-a.example", company="Vendor A")
    portal = Portal(client)
    await portal.get("/portal/password-forgotten")
    text = await portal.post("/portal/password-forgotten", {"email": "alice@vendor-a.example"})
    assert "is on its way" in text
    # Unknown addresses get the same answer and no mail.
    same = await portal.post("/portal/password-forgotten", {"email": "nobody@x.example"})
    assert "is on its way" in same

    link = link_in(await last_mail(pool, "alice@vendor-a.example"), "/portal/password-reset")
    page = await portal.get("/portal/" + link.split("/portal/", 1)[1])
    token = field_value(page, "token")
    mismatch = await portal.post(
        "/portal/password-reset",
        {"token": token, "password": "a new password", "password_repeat": "another one"},
        status=422,
    )
    assert "The two passwords differ" in mismatch
    assert field_value(mismatch, "token") == token
    text = await portal.post(
        "/portal/password-reset",
        {"token": token, "password": "a new password", "password_repeat": "a new password"},
    )
    assert "Your new password is set" in text
    await portal.post(
        "/portal/login", {"email": "alice@vendor-a.example", "password": PASSWORD}, status=422
    )
    text = await portal.post(
        "/portal/login", {"email": "alice@vendor-a.example", "password": "a new password"}
    )
    assert "Dashboard" in text


async def test_password_change_ends_other_sessions(
    client: TestClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    await make_account(client, pool, settings, "alice@vendor-a.example", company="Vendor A")
    first = Portal(client)
    await first.login("alice@vendor-a.example", PASSWORD)
    # Another browser: its own cookies, the same server.
    other_browser = aiohttp.ClientSession(
        base_url=str(client.make_url("/")), cookie_jar=aiohttp.CookieJar(unsafe=True)
    )
    try:
        await _other_session_ends(first, Portal(other_browser))
    finally:
        await other_browser.close()


async def _other_session_ends(first: Portal, second: Portal) -> None:
    await second.login("alice@vendor-a.example", PASSWORD)
    await second.get("/portal/profile")

    wrong = await first.post(
        "/portal/profile/password",
        {"current_password": "nope", "new_password": "x" * 12, "new_password_repeat": "x" * 12},
        status=422,
    )
    assert "The current password is wrong." in wrong
    text = await first.post(
        "/portal/profile/password",
        {
            "current_password": PASSWORD,
            "new_password": "changed password",
            "new_password_repeat": "changed password",
        },
    )
    assert "Your password is changed" in text
    # This session goes on; the other one has ended.
    await first.get("/portal/profile")
    assert "alice@vendor-a.example" in first.last and "Change the password" in first.last
    await second.get("/portal/profile")
    assert 'name="password"' in second.last and "Change the password" not in second.last


async def test_api_keys_are_created_shown_once_and_revoked(
    client: TestClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    await make_account(client, pool, settings, "alice@vendor-a.example", company="Vendor A")
    portal = Portal(client)
    await portal.login("alice@vendor-a.example", PASSWORD)
    await portal.get("/portal/profile")
    refused = await portal.post("/portal/profile/api-keys", {"name": " "}, status=422)
    assert "Fill this in." in refused
    text = await portal.post("/portal/profile/api-keys", {"name": "build server"})
    secret = re.search(r'data-test="new-api-key">.*?value="([^"]+)"', text, re.S)
    assert secret, text
    key = secret.group(1)
    me = await client.get("/v1/me", headers={"Authorization": f"Bearer {key}"})
    assert me.status == 200
    # Shown once: the profile lists the key by its first characters only.
    again = await portal.get("/portal/profile")
    assert key not in again and key[:10] in again and "build server" in again

    key_id = re.search(r'action="/portal/profile/api-keys/(\d+)/revoke"', again)
    assert key_id
    text = await portal.post(f"/portal/profile/api-keys/{key_id.group(1)}/revoke", {})
    assert "The API key build server is revoked." in text
    me = await client.get("/v1/me", headers={"Authorization": f"Bearer {key}"})
    assert me.status == 401
