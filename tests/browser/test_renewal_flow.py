"""Renewals in Chromium (seed 001): a partner pastes its customers' serial numbers, sees each
line checked and priced, unticks one, makes out the invoice, pays it from the prepaid balance,
and sees the subscriptions extended; the invoice and its PDF are there for the accountant."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.conftest import PASSWORD, LiveServer

EMAIL = "partner@reseller.example"


def _partner(server: LiveServer) -> tuple[int, list[str], datetime]:
    """A partner company with a product, four serials (one still subscribed, one whose
    subscription ended, two never subscribed) and a prepaid balance."""
    from vendor_portal.accounts import service as accounts
    from vendor_portal.accounts.passwords import Passwords
    from vendor_portal.actor import system_actor
    from vendor_portal.balances import queries as balances

    user = server.run(
        accounts.create_user(
            server.factory.pool,
            Passwords.from_settings(server.settings),
            system_actor("test"),
            email=EMAIL,
            password=PASSWORD,
            role="vendor",
            company="Reseller Ltd",
        )
    )
    vendor_id = user.vendor_id
    server.run(server.factory.product("CASHIER5", vendor_id=vendor_id))
    serials = server.run(server.factory.serials("SP1", 4, product="CASHIER5"))

    async def prepare() -> datetime:
        async with server.factory.pool.acquire() as connection, connection.transaction():
            now: datetime = await connection.fetchval("SELECT now()")
            await connection.execute(
                "UPDATE serials SET updates_until = $2 WHERE serial = $1",
                serials[0],
                now + timedelta(days=20),
            )
            await connection.execute(
                "UPDATE serials SET updates_until = $2 WHERE serial = $1",
                serials[1],
                now - timedelta(days=20),
            )
            await balances.move(
                connection, vendor_id=vendor_id, kind="top_up", amount=10_000_00, reference="T-1"
            )
            return now

    return vendor_id, serials, server.run(prepare())


def _ends(server: LiveServer, serials: list[str]) -> dict[str, datetime | None]:
    async def read() -> dict[str, datetime | None]:
        async with server.factory.pool.acquire() as connection:
            rows = await connection.fetch(
                "SELECT serial, updates_until FROM serials WHERE serial = ANY($1)", serials
            )
        return {row["serial"]: row["updates_until"] for row in rows}

    return dict(server.run(read()))


def test_upload_priced_list_select_order_pay_extended(portal_server: LiveServer, new_page: Any):
    _, serials, now = _partner(portal_server)
    running, ended, fresh, unticked = serials
    page = new_page()
    page.goto(portal_server.url + "/portal/login")
    page.get_by_label("E-mail address").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("link", name="Renewals").click()
    upload = "\n".join([running, ended.lower().replace("-", " "), fresh, unticked, "12345-TYPO"])
    page.get_by_label("Serial numbers, one per line").fill(upload)
    screenshot(page, "renewal-01-upload")
    page.get_by_role("button", name="Check and price").click()

    quote = page.locator("[data-test=renewal-quote]")
    expect(quote.locator("tbody tr")).to_have_count(4)
    expect(page.locator("[data-test=renewal-refused] tr[data-reason=malformed]")).to_have_count(1)
    expect(quote.locator(f"tr[data-serial='{running}']")).to_contain_text("running")
    expect(quote.locator(f"tr[data-serial='{running}']")).to_contain_text("20 %")
    expect(quote.locator(f"tr[data-serial='{ended}']")).to_contain_text("ended")
    screenshot(page, "renewal-02-priced-list")

    # The "All" box unticks and ticks every line.
    lines_boxes = quote.locator("tbody input[name=serial]")
    quote.locator("[data-test=select-all]").uncheck()
    expect(quote.locator("tbody input[name=serial]:checked")).to_have_count(0)
    quote.locator("[data-test=select-all]").check()
    expect(quote.locator("tbody input[name=serial]:checked")).to_have_count(lines_boxes.count())
    quote.locator(f"tr[data-serial='{unticked}'] input[type=checkbox]").uncheck()
    page.get_by_role("button", name="Make out the invoice").click()
    expect(page.locator("[data-test=order-status]")).to_contain_text("Invoiced")
    lines = page.locator("[data-test=renewal-lines] tbody tr")
    expect(lines).to_have_count(3)
    screenshot(page, "renewal-03-order-invoiced")

    # The serials are locked while the invoice is unpaid.
    page.get_by_role("link", name="Renewals").click()
    page.get_by_label("Serial numbers, one per line").fill(running)
    page.get_by_role("button", name="Check and price").click()
    expect(page.locator("[data-test=renewal-refused] tr[data-reason=locked]")).to_have_count(1)
    page.go_back()
    page.go_back()

    page.reload()
    page.locator("[data-test=pay-from-balance]").click()
    expect(page.locator("[data-test=order-status]")).to_contain_text("Fulfilled")
    for cell in page.locator("[data-test=new-end]").all():
        expect(cell).not_to_have_text("—")
    screenshot(page, "renewal-04-paid-extended")

    ends = _ends(portal_server, serials)
    assert ends[running] is not None and ends[running] > now + timedelta(days=20 + 364)
    for serial in (ended, fresh):
        end = ends[serial]
        assert end is not None and now + timedelta(days=364) < end < now + timedelta(days=367)
    assert ends[unticked] is None

    page.locator("a", has_text="Invoice No.").first.click()
    expect(page.locator("[data-test=invoice]")).to_contain_text("Update subscription, 12 months")
    expect(page.locator("[data-test=in-words]")).to_contain_text("Amount in words")
    screenshot(page, "renewal-05-invoice")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    assert download.value.suggested_filename.endswith(".pdf")
