"""Every page of the portal in Chromium, as a vendor, as staff and signed out, at a desktop
(1280 px) and a phone (390 px) width, in English and Russian: no horizontal overflow, no console
error, no failed request, and no serious or critical accessibility violation found by axe-core
(vendored in ``tests/browser/vendor``).

Set ``PORTAL_SCREENSHOTS`` to a folder to keep a picture of every page visited.
"""

from __future__ import annotations

import json
import os
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LiveServer, fingerprint

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
SHOTS = os.environ.get("PORTAL_SCREENSHOTS")
WIDTHS = (1280, 390)
LANGUAGES = ("en", "ru")
# Pages that answer an error on purpose: their own status is not a failed request.
ERROR_PAGES = {"no-such-page": 404, "logout": 405}


@dataclass
class Seeded:
    order_id: int
    vendor_id: int
    serial: str
    product: str
    placed_order_id: int = 0
    prepayment: int = 0
    logins: dict[str, tuple[str, str]] = field(default_factory=dict)


def _seed(server: LiveServer) -> Seeded:
    from vendor_portal.actor import system_actor
    from vendor_portal.balances import service as balances
    from vendor_portal.demo import seed_demo
    from vendor_portal.orders import service as orders
    from vendor_portal.orders.service import LineRequest

    demo = server.run(seed_demo(server.factory.pool, server.settings))

    async def ids() -> tuple[int, int]:
        async with server.factory.pool.acquire() as connection:
            row = await connection.fetchrow("SELECT id, vendor_id FROM orders ORDER BY id LIMIT 1")
            return int(row["id"]), int(row["vendor_id"])

    order_id, vendor_id = server.run(ids())
    pool, staff = server.factory.pool, system_actor("test")
    server.run(balances.top_up(pool, staff, vendor_id, 5_000_000, "PP-17"))
    # A placed order (it can still be changed) and a prepayment invoice, for their pages.
    placed = server.run(
        orders.place_order(pool, staff, [LineRequest(demo["product"], "SP1", 3)], vendor_id)
    )
    prepayment = server.run(balances.request_prepayment(pool, staff, 250_000, vendor_id))
    serial = demo["serials"]["SP3"][0]
    body = json.dumps(
        {
            "serial": serial,
            "fingerprint": fingerprint("walk"),
            "client": {"hostname": "design-pc-7", "os": "Windows 11", "app_version": "5.1.2"},
        }
    ).encode()
    request = urllib.request.Request(
        server.url + "/v1/activations", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201
    return Seeded(
        order_id=order_id,
        vendor_id=vendor_id,
        serial=serial,
        product=demo["product"],
        placed_order_id=placed.order.id,
        prepayment=prepayment.number,
        logins={
            "vendor": (demo["vendor"]["email"], demo["vendor"]["password"]),
            "staff": (demo["staff"]["email"], demo["staff"]["password"]),
        },
    )


def _pages(role: str, seeded: Seeded) -> list[str]:
    common = [
        "docs",
        "docs/api",
        "docs/sdk",
        "docs/protocol",
        "activate",
        "no-such-page",
        "logout",
    ]
    if role == "vendor":
        return [
            "dashboard",
            "products",
            "products/new",
            f"products/{seeded.product}/edit",
            "machines",
            "keys",
            "orders",
            "orders/new",
            f"orders/{seeded.order_id}",
            f"orders/{seeded.order_id}/invoice",
            f"orders/{seeded.order_id}/act",
            f"orders/{seeded.placed_order_id}",
            f"orders/{seeded.placed_order_id}/edit",
            "renewals",
            "balance",
            f"balance/prepayments/{seeded.prepayment}",
            "balance/history",
            "prices",
            "serials",
            "serials?status=active",
            f"serials/{seeded.serial}",
            f"serials/{seeded.serial}/certificate",
            "serials/group",
            "colleagues",
            "company",
            "audit",
            "profile",
            "sessions",
            *common,
        ]
    if role == "staff":
        return [
            "staff/orders",
            "staff/vendors",
            f"staff/vendors/{seeded.vendor_id}",
            "prices",
            "orders",
            f"orders/{seeded.order_id}",
            f"orders/{seeded.order_id}/invoice",
            f"orders/{seeded.placed_order_id}",
            f"balance/prepayments/{seeded.prepayment}",
            "products",
            "serials",
            f"serials/{seeded.serial}",
            "serials/group",
            "dashboard",
            "audit",
            "profile",
            "sessions",
            "docs",
        ]
    return [
        "login",
        "signup",
        "password-forgotten",
        "password-reset",
        "confirm",
        "licensee/",
        "licensee/sign-in",
        *common,
    ]


# GET addresses of the portal that are not pages to look at.
NOT_PAGES = {
    "/portal/": "leads to the user's start page",
    "/portal/orders/{order_id}/serials.csv": "a CSV download",
    "/portal/docs/reference": "drawn by a script, checked by tests/browser/test_reference_page.py",
    "/portal/licensee/machines": "walked signed in as a licensee by its own test below",
}


SERIOUS_VIOLATIONS = """async () => {
    const found = await axe.run(document, {resultTypes: ["violations"]});
    return found.violations
        .filter(v => v.impact === "serious" || v.impact === "critical")
        .map(v => v.id + ": " + v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(" | "));
}"""


# Tables with column headers that a phone does not show as cards; a printable document keeps
# its paper layout (its lines scroll inside the sheet), and so do the Markdown texts' tables.
TABLES_NOT_CARDS = """() => [...document.querySelectorAll("main table")]
    .filter(t => t.tHead && !t.closest(".document, .doc-body"))
    .filter(t => getComputedStyle(t).display !== "block")
    .map(t => t.dataset.test || t.className)"""


def _axe(page: Any) -> list[str]:
    """The page's serious and critical accessibility violations, with up to three elements each."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(AXE)
    return list(page.evaluate(SERIOUS_VIOLATIONS))


def _sign_in(page: Any, url: str, email: str, password: str) -> None:
    page.goto(url + "/portal/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/portal/**")
    assert "/portal/login" not in page.url


class Watcher:
    """What one tab reports while a page loads: console errors, script errors, failed requests.
    ``expect`` names the status the page itself answers on purpose (an error page)."""

    def __init__(self, page: Any) -> None:
        self.console: list[str] = []
        self.failed: list[str] = []
        self.address = ""
        self.expect: int | None = None
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.console.append(str(error)))
        page.on("requestfailed", self._request_failed)
        page.on("response", self._response)

    def reset(self, address: str, expect: int | None) -> None:
        self.console, self.failed, self.address, self.expect = [], [], address, expect

    def _console(self, message: Any) -> None:
        # The browser logs the error page's own status as a failed load: that one is expected.
        if message.type == "error" and not (
            self.expect is not None and message.text.startswith("Failed to load resource")
        ):
            self.console.append(message.text)

    def _request_failed(self, request: Any) -> None:
        # The browser fetches the tab's icon on its own after the page and drops that fetch when
        # the test moves on to the next page: not a failure of the page.
        if "favicon" in request.url and "ERR_ABORTED" in (request.failure or ""):
            return
        self.failed.append(f"{request.url} {request.failure}")

    def _response(self, response: Any) -> None:
        expected = self.expect if response.url == self.address else None
        if response.status >= 400 and response.status != expected:
            self.failed.append(f"{response.url} {response.status}")


def _check_page(page: Any, watcher: Watcher, url: str, path: str, label: str) -> list[str]:
    problems: list[str] = []
    address = f"{url}/portal/{path}"
    watcher.reset(address, ERROR_PAGES.get(path))
    response = page.goto(address)
    assert response is not None
    if path in ERROR_PAGES:
        assert response.status == ERROR_PAGES[path], (label, response.status)
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    if overflow > 0:
        problems.append(f"{label}: {overflow} px of horizontal overflow")
    # On a desktop every section of the header is in sight; only a phone scrolls the bar.
    hidden = page.evaluate(
        "(bar => bar ? bar.scrollWidth - bar.clientWidth : 0)"
        "(document.querySelector('.sections-list'))"
    )
    if page.viewport_size["width"] >= 1280 and hidden > 0:
        problems.append(f"{label}: {hidden} px of the section bar are out of sight")
    if page.viewport_size["width"] < 768:
        problems.extend(
            f"{label}: a table is not cards: {t}" for t in page.evaluate(TABLES_NOT_CARDS)
        )
    problems.extend(f"{label}: axe {violation}" for violation in _axe(page))
    problems.extend(f"{label}: console {text}" for text in watcher.console)
    problems.extend(f"{label}: request {text}" for text in watcher.failed)
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        name = label.replace("/", "_").replace(" ", "-")
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)
    return problems


# A vendor's walk is some 150 pages with axe-core on each: minutes on a busy machine.
@pytest.mark.timeout(900)
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("role", ["vendor", "staff", "guest"])
def test_every_page_at_both_widths_in_both_languages(
    portal_server: LiveServer, browser: Any, role: str, language: str
) -> None:
    seeded = _seed(portal_server)
    problems: list[str] = []
    for width in WIDTHS:
        context = browser.new_context(
            viewport={"width": width, "height": 900},
            locale="ru-RU" if language == "ru" else "en-US",
        )
        # axe-core comes with every page the context opens, before the page's own scripts.
        context.add_init_script(AXE)
        try:
            page = context.new_page()
            page.set_default_timeout(15_000)
            if role in seeded.logins:
                _sign_in(page, portal_server.url, *seeded.logins[role])
            watcher = Watcher(page)
            for path in _pages(role, seeded):
                label = f"{role} {language} {width} {path}"
                problems.extend(_check_page(page, watcher, portal_server.url, path, label))
        finally:
            context.close()
    assert not problems, "\n".join(problems)


def test_the_expired_form_refusal_is_a_styled_page(portal_server: LiveServer, browser: Any) -> None:
    problems: list[str] = []
    for language in LANGUAGES:
        context = browser.new_context(
            viewport={"width": 390, "height": 900}, locale="ru-RU" if language == "ru" else "en-US"
        )
        try:
            page = context.new_page()
            page.goto(portal_server.url + "/portal/login")
            # The form as it is after its token went stale: the browser sends another one.
            page.evaluate("document.querySelector('main input[name=csrf_token]').value = 'stale'")
            page.fill("input[name=email]", "someone@example.com")
            page.fill("input[name=password]", "whatever it is")
            with page.expect_response(lambda r: r.url.endswith("/portal/login")) as answer:
                page.locator("main form button[type=submit]").click()
            assert answer.value.status == 403
            page.wait_for_load_state("load")
            assert page.locator(".error-code").inner_text() == "403"
            message = page.locator("[data-test=error-message]").inner_text()
            assert ("Reload the page" in message) if language == "en" else ("Обновите" in message)
            problems.extend(f"{language}: {violation}" for violation in _axe(page))
        finally:
            context.close()
    assert not problems, problems


def test_the_walk_visits_every_page_of_the_portal(tmp_path: Path) -> None:
    """Every address the portal answers GET at is walked by some role, or named as no page."""
    from aiohttp import web

    from tests.conftest import make_settings
    from vendor_portal.app import FEATURES
    from vendor_portal.pages.app import create_pages_app
    from vendor_portal.routing import Routes

    seeded = Seeded(
        order_id=1, vendor_id=2, serial="S", product="P", placed_order_id=3, prepayment=4
    )
    walked = [
        "/portal/" + path.split("?")[0]
        for role in ("vendor", "staff", "guest")
        for path in _pages(role, seeded)
    ]
    # The pages as the service composes them: every feature adds its own.
    app = create_pages_app(make_settings(tmp_path, "postgresql://unused/none"))
    routes = Routes(web.Application().router, app.router)
    for setup in FEATURES:
        setup(routes)
    missing = []
    for resource in app.router.resources():
        methods = {route.method for route in resource}
        info = resource.get_info()
        pattern = "/portal" + (info.get("formatter") or info.get("path") or info.get("prefix", ""))
        if "GET" not in methods or pattern in NOT_PAGES or pattern.startswith("/portal/static"):
            continue
        match = resource._match  # type: ignore[attr-defined]
        if not any(match(path[len("/portal") :]) is not None for path in walked):
            missing.append(pattern)
    assert not missing, f"pages the walk never opens: {missing}"


def _tab(browser: Any, language: str, width: int) -> tuple[Any, Any]:
    """A browser context of that language and width, and a tab of it."""
    context = browser.new_context(
        viewport={"width": width, "height": 900},
        locale="ru-RU" if language == "ru" else "en-US",
    )
    # axe-core comes with every page the context opens, before the page's own scripts.
    context.add_init_script(AXE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def _activate(server: LiveServer, serial: str, host: str) -> str:
    """Activates a machine through the API; its license."""
    body = json.dumps(
        {"serial": serial, "fingerprint": fingerprint(host), "client": {"hostname": host}}
    ).encode()
    request = urllib.request.Request(
        server.url + "/v1/activations", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(json.load(response)["license"])


def test_the_licensee_pages_at_both_widths_in_both_languages(
    portal_server: LiveServer, browser: Any
) -> None:
    """The licensee signed in (with the pasted license), the machines page and its release, and
    the code request's answer."""
    seeded = _seed(portal_server)
    problems: list[str] = []
    for language in LANGUAGES:
        for width in WIDTHS:
            label = f"licensee {language} {width}"
            license_text = _activate(portal_server, seeded.serial, f"{language}-{width}-spare")
            context, page = _tab(browser, language, width)
            try:
                watcher = Watcher(page)
                problems.extend(_check_page(page, watcher, portal_server.url, "licensee/", label))
                page.fill("textarea[name=license]", license_text)
                page.locator("[data-test=license-sign-in]").click()
                page.wait_for_url("**/portal/licensee/machines")
                problems.extend(
                    _check_page(page, watcher, portal_server.url, "licensee/machines", label)
                )
                assert "design-pc-7" in page.content()
                rows = page.locator("tr[data-activation]").count()
                page.locator(f"tr:has-text('{language}-{width}-spare') [data-test=release]").click()
                page.wait_for_load_state("load")
                assert page.locator("tr[data-activation]").count() == rows - 1
                problems.extend(f"{label} released: axe {v}" for v in _axe(page))
                page.locator("form[action$='licensee/sign-out'] button").click()
                page.wait_for_url("**/portal/licensee/")
                page.fill("input[name=serial]", seeded.serial)
                page.locator("[data-test=send-code]").click()
                page.wait_for_selector("[data-test=code-sent]")
                problems.extend(f"{label} code sent: axe {v}" for v in _axe(page))
            finally:
                context.close()
    assert not problems, "\n".join(problems)
