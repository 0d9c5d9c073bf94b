"""In Chromium: a double click on "Submit order", and Back followed by Submit again, place one
order; the second submission lands on the first one's order card."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import send_form
from tests.browser.test_every_page import _seed, _sign_in
from tests.conftest import LiveServer


def _orders(server: LiveServer) -> int:
    async def count() -> int:
        async with server.factory.pool.acquire() as connection:
            return int(await connection.fetchval("SELECT count(*) FROM orders"))

    return int(server.run(count()))


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
