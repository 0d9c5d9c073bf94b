"""The portal's pages as an attacker sees them: every form posted without its CSRF token, or from
another site, is refused; every page a signed-in person reaches carries the security headers,
and every form on it carries a CSRF token; cookies are HttpOnly, SameSite and Secure."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from activation_server.composition import build_app
from activation_server.settings import Settings
from tests.conftest import PASSWORD, Account

POST_FORM = re.compile(r"<form\b[^>]*method=\"post\"[^>]*>(.*?)</form>", re.S | re.I)
HREF = re.compile(r'href="(/portal/[^"#?]*)"')


def _post_routes(app: web.Application) -> list[str]:
    paths = []
    for resource in app.router.resources():
        info = resource.get_info()
        prefix = info.get("prefix")
        if prefix != "/portal":
            continue
        portal = info["app"]
        for inner in portal.router.resources():
            inner_info = inner.get_info()
            path = inner_info.get("path") or inner_info.get("formatter", "")
            if any(route.method == "POST" for route in inner):
                paths.append("/portal" + path)
    return paths


def _concrete(path: str) -> str:
    return (
        re.sub(r"\{order_id[^}]*\}", "1", path)
        .replace("{vendor_id:\\d+}", "1")
        .replace("{serial}", "01234-56789-ABCDE-FGHJS")
        .replace("{action}", "cancel")
    )


async def _sign_in(client: TestClient, email: str) -> None:
    page = await client.get("/portal/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', await page.text())
    assert token is not None
    answer = await client.post(
        "/portal/login",
        data={"email": email, "password": PASSWORD, "csrf_token": token.group(1)},
        allow_redirects=False,
    )
    assert answer.status == 303, await answer.text()


async def _crawl(client: TestClient, start: str, limit: int = 60) -> dict[str, Any]:
    """GET pages reachable from ``start`` by links (bounded), without following any form."""
    seen: dict[str, Any] = {}
    queue = [start]
    while queue and len(seen) < limit:
        path = queue.pop(0)
        if path in seen or "logout" in path or path.startswith("/portal/static/"):
            continue
        answer = await client.get(path, allow_redirects=False)
        seen[path] = (answer.status, dict(answer.headers), await answer.text())
        queue.extend(HREF.findall(seen[path][2]))
    return seen


async def test_every_portal_form_refuses_a_post_without_its_csrf_token(
    client: TestClient, app: web.Application, vendor: Account
) -> None:
    routes = _post_routes(app)
    assert len(routes) >= 10, routes
    await _sign_in(client, vendor.email)
    accepted = []
    for path in routes:
        concrete = _concrete(path)
        missing = await client.post(concrete, data={"email": "x"}, allow_redirects=False)
        forged = await client.post(concrete, data={"csrf_token": "forged"}, allow_redirects=False)
        foreign = await client.post(
            concrete,
            data={"csrf_token": "forged"},
            headers={"Origin": "https://evil.example"},
            allow_redirects=False,
        )
        for name, answer in (("missing", missing), ("forged", forged), ("foreign", foreign)):
            if answer.status != 403:
                accepted.append(f"{concrete} with {name} token: {answer.status}")
    assert accepted == [], "\n".join(accepted)


async def test_every_reachable_page_has_security_headers_and_tokens_in_its_forms(
    client: TestClient, staff: Account, vendor: Account
) -> None:
    pages: dict[str, Any] = {}
    pages.update(await _crawl(client, "/portal/login"))
    await _sign_in(client, vendor.email)
    pages.update({f"vendor {k}": v for k, v in (await _crawl(client, "/portal/dashboard")).items()})
    client.session.cookie_jar.clear()
    await _sign_in(client, staff.email)
    pages.update({f"staff {k}": v for k, v in (await _crawl(client, "/portal/dashboard")).items()})
    html = {k: v for k, v in pages.items() if v[0] == 200 and "text/html" in v[1]["Content-Type"]}
    assert len(html) >= 10, sorted(pages)
    problems = []
    for name, (_, headers, text) in html.items():
        for header in ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options"):
            if header not in headers:
                problems.append(f"{name}: no {header}")
        for form in POST_FORM.findall(text):
            if 'name="csrf_token"' not in form:
                problems.append(f"{name}: a form without a CSRF token")
    assert problems == [], "\n".join(problems)


async def test_every_portal_cookie_is_httponly_samesite_and_secure_when_configured(
    settings: Settings, aiohttp_client: Any, vendor: Account
) -> None:
    secure = await aiohttp_client(build_app(settings.with_overrides(cookie_secure=True)))
    page = await secure.get("/portal/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', await page.text())
    assert token is not None
    # The test client speaks plain HTTP, so it would not send Secure cookies back by itself.
    answer = await secure.post(
        "/portal/login",
        data={"email": vendor.email, "password": PASSWORD, "csrf_token": token.group(1)},
        cookies={"portal_csrf": page.cookies["portal_csrf"].value},
        allow_redirects=False,
    )
    assert answer.status == 303, await answer.text()
    cookies = list(page.cookies.values()) + list(answer.cookies.values())
    assert {cookie.key for cookie in cookies} >= {"portal_csrf", "portal_session"}
    for cookie in cookies:
        if cookie.key == "portal_lang":
            continue  # a display preference, readable by design
        assert cookie["httponly"], cookie.key
        assert cookie["samesite"] in ("Lax", "Strict"), cookie.key
        assert cookie["secure"], cookie.key
