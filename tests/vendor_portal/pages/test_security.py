"""Cookies, CSRF, security headers and HTML error pages of the portal."""

from __future__ import annotations

from pathlib import Path

import asyncpg
from aiohttp.test_utils import TestClient

from activation_server.composition import build_app
from activation_server.settings import Settings
from tests.conftest import PASSWORD, make_account
from tests.vendor_portal.pages.portal import Portal
from vendor_portal.accounts import service as accounts
from vendor_portal.actor import system_actor
from vendor_portal.pages.security import Signer, new_session


async def test_pages_carry_security_headers(client: TestClient) -> None:
    response = await client.get("/portal/login")
    assert response.status == 200
    headers = response.headers
    policy = headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy and "form-action 'self'" in policy
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "no-store"
    assert headers["Referrer-Policy"] == "same-origin"
    static = await client.get("/portal/static/bootstrap/bootstrap.min.css")
    assert static.status == 200 and "max-age" in static.headers["Cache-Control"]


async def test_session_and_csrf_cookies_are_httponly_samesite_and_scoped(
    client: TestClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    await make_account(client, pool, settings, "alice@vendor-a.example", company="Vendor A")
    first = await client.get("/portal/login")
    csrf = first.cookies["portal_csrf"]
    assert csrf["httponly"] and csrf["samesite"] == "Strict" and csrf["path"] == "/portal/"
    assert not csrf["secure"]  # cookie_secure is off in tests (plain HTTP)
    portal = Portal(client)
    await portal.get("/portal/login")
    response = await client.post(
        "/portal/login",
        data={"email": "alice@vendor-a.example", "password": PASSWORD, "csrf_token": portal.token},
        allow_redirects=False,
    )
    assert response.status == 303
    session = response.cookies["portal_session"]
    assert session["httponly"] and session["samesite"] == "Lax" and session["path"] == "/portal/"


async def test_cookies_are_secure_when_configured(
    settings: Settings, aiohttp_client: object
) -> None:
    client = await aiohttp_client(build_app(settings.with_overrides(cookie_secure=True)))  # type: ignore[operator]
    response = await client.get("/portal/login")
    assert response.cookies["portal_csrf"]["secure"]
    assert "Strict-Transport-Security" in response.headers


async def test_forms_without_a_valid_csrf_token_are_refused(
    client: TestClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    await make_account(client, pool, settings, "alice@vendor-a.example", company="Vendor A")
    portal = Portal(client)
    await portal.get("/portal/login")
    data = {"email": "alice@vendor-a.example", "password": PASSWORD}
    text = await portal.post("/portal/login", data, csrf=False, status=403)
    assert "Reload the page" in text
    await portal.post("/portal/login", {**data, "csrf_token": "forged"}, status=403)
    # A form posted from another site names it in Origin.
    await portal.post("/portal/login", data, headers={"Origin": "https://evil.example"}, status=403)
    assert portal.cookie("portal_session") is None
    await portal.post(
        "/portal/login", data, headers={"Origin": str(client.make_url("")).rstrip("/")}
    )
    assert portal.cookie("portal_session")


async def test_an_altered_or_stale_session_signs_nobody_in(
    client: TestClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    account = await make_account(client, pool, settings, "alice@vendor-a.example", company="V")
    signer = Signer(settings.portal.secret_key or "")
    user = await accounts.get_user(pool, system_actor("test"), account.user_id)
    token = await accounts.open_portal_session(pool, user, None, "test")
    good = signer.dump_session(new_session(account.user_id, 0, token))
    client.session.cookie_jar.update_cookies({"portal_session": good})
    assert "alice@vendor-a.example" in await (await client.get("/portal/profile")).text()

    body, mac = good.split(".")
    forged = Signer("another secret").dump_session(new_session(account.user_id, 0, token))
    stale = signer.dump_session(new_session(account.user_id, 0, token, now=1_000_000))
    old_version = signer.dump_session(new_session(account.user_id, 7, token))
    # Signed right, but naming no session the server keeps.
    unknown = signer.dump_session(new_session(account.user_id, 0, "no-such-session"))
    other_user = signer.dump_session(new_session(account.user_id + 1, 0, token))
    cookies = (forged, stale, old_version, unknown, other_user, body + "." + mac[::-1], "garbage")
    for cookie in cookies:
        client.session.cookie_jar.update_cookies({"portal_session": cookie})
        text = await (await client.get("/portal/profile")).text()
        assert "alice@vendor-a.example" not in text and 'name="password"' in text


async def test_errors_are_pages(client: TestClient, tmp_path: Path) -> None:
    response = await client.get("/portal/no/such/page")
    assert response.status == 404
    assert response.content_type == "text/html"
    text = await response.text()
    assert "Page not found" in text and "Nothing is here." in text
    response = await client.get("/portal/orders/99999")
    assert response.status == 200  # a sign-in page first
    assert 'name="password"' in await response.text()


async def test_staff_pages_are_not_for_vendors(
    client: TestClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    await make_account(client, pool, settings, "alice@vendor-a.example", company="Vendor A")
    portal = Portal(client)
    await portal.login("alice@vendor-a.example", PASSWORD)
    await portal.get("/portal/staff/orders", status=404)
    await portal.get("/portal/staff/vendors", status=404)
