"""In Chromium: a double click on "Submit order", and Back followed by Submit again, place one
order; the second submission lands on the first one's order card. The same for every other
form that creates something: one double click and one resend create one thing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.browser.conftest import send_form
from tests.browser.test_every_page import _seed, _sign_in
from tests.conftest import LiveServer


def _count(server: LiveServer, sql: str) -> int:
    async def count() -> int:
        async with server.factory.pool.acquire() as connection:
            return int(await connection.fetchval(sql))

    return int(server.run(count()))


def _orders(server: LiveServer) -> int:
    return _count(server, "SELECT count(*) FROM orders")


def test_double_click_and_back_resubmit_place_one_order(
    portal_server: LiveServer, new_page: Any
) -> None:
    seeded = _seed(portal_server)
    before = _orders(portal_server)
    page = new_page()
    _sign_in(page, portal_server.url, *seeded.logins["vendor"])
    page.goto(portal_server.url + "/portal/orders/new")
    page.fill("input[name=qty_SP1]", "7")
    page.locator("button[value=review]").click()
    page.wait_for_selector("[data-test=confirm-total]")
    # What the confirmation form sends, to send it again later as a browser's resubmission does.
    sent = page.evaluate("Object.fromEntries(new FormData(document.getElementById('order-form')))")
    page.locator("button[value=submit]").dblclick()
    page.wait_for_url("**/portal/orders/*")
    page.wait_for_selector("[data-status=placed]")
    card = page.url
    assert _orders(portal_server) == before + 1
    # The confirmation sent once more (Back, then resend the form; the page itself is no-store,
    # so Chromium offers only the resubmission).
    with page.expect_navigation():
        send_form(page, "/portal/orders/new", {**sent, "action": "submit"})
    page.wait_for_load_state("load")
    assert page.url == card
    assert "This form was sent already" in page.content()
    assert _orders(portal_server) == before + 1


@dataclass(frozen=True)
class CreatingForm:
    """A form that creates something: where it is, how it is filled, its button, and what
    counts the things it creates."""

    path: str
    fill: dict[str, str]
    button: str
    count: str
    # A form that shows its result on the answering page sends a repetition here instead.
    lands: str | None = None


VENDOR_FORMS = [
    CreatingForm(
        "products/new",
        {"code": "TWICE", "name": "Twice", "features": "a"},
        "main form button[type=submit]",
        "SELECT count(*) FROM products",
    ),
    CreatingForm(
        "balance",
        {"amount": "1500"},
        "[data-test=request-prepayment]",
        "SELECT count(*) FROM prepayment_invoices",
    ),
    CreatingForm(
        "colleagues",
        {"email": "colleague@demo.example"},
        "main form[action$=colleagues] button[type=submit]",
        "SELECT count(*) FROM users",
    ),
    CreatingForm(
        "profile",
        {"name": "build server"},
        "main form[action$=api-keys] button[type=submit]",
        "SELECT count(*) FROM api_keys",
        lands="profile",
    ),
    CreatingForm("keys", {}, "[data-test=add-next]", "SELECT count(*) FROM signing_keys"),
    CreatingForm("machines", {}, "[data-test=release]", "SELECT count(*) FROM transfers"),
]


def _settled(page: Any) -> str:
    """The address the tab ends on once the double click's navigations are over (the second
    click may replace the first one's navigation, or follow it): no new page for a second."""
    loads: list[str] = []
    page.on("load", lambda _: loads.append(page.url))
    seen = -1
    for _ in range(30):
        page.wait_for_load_state("load")
        if len(loads) == seen:
            return str(page.url)
        seen = len(loads)
        page.wait_for_timeout(1000)
    raise AssertionError("the page never settled after the double click")


def _double_click_then_resend(page: Any, server: LiveServer, form: CreatingForm) -> list[str]:
    """Double-clicks the form's button, then sends what it sent once more (Back and resend):
    what is wrong, if anything."""
    page.goto(f"{server.url}/portal/{form.path}")
    for name, value in form.fill.items():
        page.locator(f"main [name={name}]").fill(value)
    button = page.locator(form.button).first
    sent = button.evaluate("b => Object.fromEntries(new FormData(b.form))")
    action = button.evaluate("b => b.form.action")
    before = _count(server, form.count)
    button.dblclick()
    landed = _settled(page)
    from playwright.sync_api import Error

    for _ in range(5):
        try:
            with page.expect_navigation():
                send_form(page, action, sent)
            break
        except Error:  # the double click's last answer arrived late and replaced the page
            landed = _settled(page)
    ended = _settled(page)
    problems = []
    if _count(server, form.count) != before + 1:
        problems.append(f"{form.path}: {_count(server, form.count) - before} created")
    expected = landed if form.lands is None else f"{server.url}/portal/{form.lands}"
    if "This form was sent already" not in page.content() or ended != expected:
        problems.append(f"{form.path}: the resent form landed on {ended}, not {expected}")
    return problems


def test_every_creating_form_creates_once(portal_server: LiveServer, new_page: Any) -> None:
    seeded = _seed(portal_server)
    page = new_page()
    _sign_in(page, portal_server.url, *seeded.logins["vendor"])
    problems = []
    for form in VENDOR_FORMS:
        problems.extend(_double_click_then_resend(page, portal_server, form))
    staff = new_page()
    _sign_in(staff, portal_server.url, *seeded.logins["staff"])
    for form in (
        CreatingForm(
            f"staff/vendors/{seeded.vendor_id}",
            {"amount": "100", "reference": "BANK-TWICE"},
            "main form[action$=top-up] button[type=submit]",
            "SELECT count(*) FROM balance_ledger",
        ),
        CreatingForm(
            f"serials/{seeded.serial}",
            {"extra": "2"},
            "[data-test=grant-transfers] button[type=submit]",
            "SELECT coalesce(sum(transfers_granted), 0) / 2 FROM serials",
        ),
    ):
        problems.extend(_double_click_then_resend(staff, portal_server, form))
    assert not problems, problems
