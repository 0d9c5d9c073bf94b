"""A vendor's whole way through the portal in Chromium, with the operator's staff on the other
side: sign up with the e-mail's link, a product, 50 × SP3 through the order dialog, invoice and
payment, the serials' CSV, an activation through the API seen on the serial's page."""

from __future__ import annotations

import csv
import json
import re
import urllib.request
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.conftest import PASSWORD, LiveServer, SmtpServer, fingerprint

VENDOR_EMAIL = "owner@studio.example"
VENDOR_PASSWORD = "a long vendor secret"


def _create_staff(server: LiveServer) -> None:
    from vendor_portal.accounts import service as accounts
    from vendor_portal.accounts.passwords import Passwords
    from vendor_portal.actor import system_actor

    server.run(
        accounts.create_user(
            server.factory.pool,
            Passwords.from_settings(server.settings),
            system_actor("test"),
            email="staff@operator.example",
            password=PASSWORD,
            role="staff",
        )
    )


def _sign_in(page: Any, url: str, email: str, password: str) -> None:
    page.goto(url + "/portal/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def _activate(server: LiveServer, serial: str) -> dict[str, Any]:
    body = json.dumps(
        {
            "serial": serial,
            "fingerprint": fingerprint("browser-flow"),
            "client": {"hostname": "design-pc-7", "os": "Windows 11", "app_version": "5.1.2"},
        }
    ).encode()
    request = urllib.request.Request(
        server.url + "/v1/activations", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201
        return dict(json.load(response))


def test_vendor_signs_up_orders_pays_downloads_and_sees_an_activation(
    portal_server: LiveServer, smtp_server: SmtpServer, new_page: Any, tmp_path: Path
) -> None:
    url = portal_server.url
    vendor = new_page()

    # Sign up; the confirmation link comes through the SMTP server.
    vendor.goto(url + "/portal/signup")
    vendor.get_by_label("Company or name").fill("Studio Nine Software")
    vendor.get_by_label("Individual entrepreneur or person").check()
    vendor.get_by_label("E-mail address").fill(VENDOR_EMAIL)
    vendor.get_by_label("Password", exact=True).fill(VENDOR_PASSWORD)
    vendor.get_by_label("Password, once more").fill(VENDOR_PASSWORD)
    screenshot(vendor, "01-sign-up")
    vendor.get_by_role("button", name="Sign up").click()
    expect(vendor.locator("[data-test=signup-done]")).to_contain_text(VENDOR_EMAIL)

    mail = smtp_server.mailbox.last_to(VENDOR_EMAIL)
    link = re.search(r"http://\S+/confirm\?token=\S+", mail)
    assert link, mail
    vendor.goto(link[0])
    vendor.get_by_role("button", name="Confirm my address").click()
    expect(vendor.get_by_text("Your e-mail address is confirmed")).to_be_visible()
    vendor.get_by_label("E-mail address").fill(VENDOR_EMAIL)
    vendor.get_by_label("Password").fill(VENDOR_PASSWORD)
    vendor.get_by_role("button", name="Sign in").click()
    expect(vendor.get_by_role("heading", name="Studio Nine Software")).to_be_visible()

    # A product with its features.
    vendor.get_by_role("link", name="Products").click()
    vendor.get_by_role("link", name="New product").first.click()
    vendor.get_by_label("Code").fill("NINE-CAD")
    vendor.get_by_label("Name").fill("Nine CAD Professional")
    vendor.get_by_label("Features (modules)").fill("export print render")
    vendor.get_by_role("button", name="Create the product").click()
    expect(vendor.get_by_text("The product NINE-CAD is created.")).to_be_visible()
    screenshot(vendor, "02-products")

    # 50 × SP3 through the dialog: the line price and the total follow the typing.
    vendor.get_by_role("link", name="Orders").click()
    vendor.locator("[data-test=new-order]").click()
    vendor.get_by_label("Software key, 3 activations").fill("50")
    expect(vendor.locator("tr[data-line=SP3] [data-amount]")).to_have_text(
        re.compile(r"RUB\s27,500\.00")
    )
    # The table's total row and the phone's total bar show the same figures.
    expect(vendor.locator("[data-total]")).to_have_text([re.compile(r"RUB\s27,500\.00")] * 2)
    expect(vendor.locator("[data-total-quantity]")).to_have_text([re.compile(r"^50")] * 2)
    screenshot(vendor, "03-new-order-dialog")
    vendor.get_by_role("button", name="Place the order").click()
    expect(vendor.get_by_role("heading", name="Confirm the order")).to_be_visible()
    expect(vendor.locator("[data-test=confirm-total]")).to_have_text(re.compile(r"RUB\s27,500\.00"))
    screenshot(vendor, "04-order-confirmation")
    vendor.get_by_role("button", name="Back").click()
    expect(vendor.get_by_label("Software key, 3 activations")).to_have_value("50")
    vendor.get_by_role("button", name="Place the order").click()
    vendor.get_by_role("button", name="Submit order").click()
    expect(vendor.locator("[data-test=order-status]")).to_contain_text("Placed")
    order_url = vendor.url
    vendor.get_by_role("link", name="Orders").first.click()
    expect(vendor.locator("[data-test=orders] tbody tr")).to_have_count(1)
    expect(vendor.locator("[data-test=orders] tbody tr").first).to_contain_text("Placed")
    screenshot(vendor, "05-orders-list")

    # The operator's staff invoice the order and record the payment.
    _create_staff(portal_server)
    staff = new_page()
    _sign_in(staff, url, "staff@operator.example", PASSWORD)
    expect(staff.get_by_role("heading", name="Incoming orders")).to_be_visible()
    expect(staff.locator("[data-test=to-invoice]")).to_contain_text("Studio Nine Software")
    screenshot(staff, "06-staff-incoming-orders")
    staff.locator("[data-test=to-invoice]").get_by_role("button", name="Issue the invoice").click()
    expect(staff.get_by_text("Invoice No. 1 is issued.")).to_be_visible()
    staff.get_by_label("Bank reference").fill("BANK-2026-0001")
    staff.locator("[data-test=record-payment]").click()
    expect(staff.locator("[data-test=order-status]")).to_contain_text("Fulfilled")
    screenshot(staff, "07-order-card-fulfilled-staff")
    staff.get_by_role("link", name="Invoice No. 1").click()
    expect(staff.locator("[data-test=invoice-total]")).to_have_text(re.compile(r"27,500\.00"))
    screenshot(staff, "08-invoice")
    staff.get_by_role("link", name="Vendors").click()
    expect(staff.locator("[data-test=vendors]")).to_contain_text("Studio Nine Software")
    screenshot(staff, "09-staff-vendors")

    # The vendor downloads the serials.
    vendor.goto(order_url)
    expect(vendor.locator("[data-test=order-status]")).to_contain_text("Fulfilled")
    screenshot(vendor, "10-order-card-fulfilled")
    with vendor.expect_download() as download_info:
        vendor.locator("[data-test=download-serials]").click()
    saved = tmp_path / "serials.csv"
    download_info.value.save_as(saved)
    rows = list(csv.DictReader(saved.open(encoding="utf-8")))
    assert len(rows) == 50
    assert {row["license_type"] for row in rows} == {"SP3"}
    assert {row["product"] for row in rows} == {"NINE-CAD"}

    # One serial is activated through the API; its page shows the machine.
    serial = rows[0]["serial"]
    activation = _activate(portal_server, serial)
    assert activation["activations"] == {"used": 1, "limit": 3}
    vendor.get_by_role("link", name="Serial numbers").first.click()
    vendor.get_by_label("Serial number or a part of it").fill(serial[:11])
    vendor.get_by_role("button", name="Find").click()
    screenshot(vendor, "11-serials-search")
    vendor.get_by_role("link", name=serial).click()
    activations = vendor.locator("[data-test=activations]")
    expect(activations).to_contain_text("design-pc-7")
    expect(activations).to_contain_text("Windows 11")
    expect(activations).to_contain_text(fingerprint("browser-flow")[:16])
    expect(vendor.locator("[data-test=usage]")).to_have_text("1 / 3")
    screenshot(vendor, "12-serial-with-activation")
    vendor.get_by_role("link", name="License certificate").click()
    expect(vendor.locator("[data-test=certificate]")).to_contain_text(serial)
    screenshot(vendor, "13-license-certificate")
    vendor.emulate_media(media="print")
    screenshot(vendor, "14-license-certificate-print")
    vendor.emulate_media(media="screen")

    vendor.get_by_role("link", name="Overview").click()
    expect(vendor.locator("[data-test=activity-chart] rect[data-count='1']")).to_have_count(1)
    screenshot(vendor, "15-dashboard")

    # Group work: a pasted list checked line by line, the valid ones blocked.
    vendor.get_by_role("link", name="Group work with keys").first.click()
    vendor.get_by_label("Serial numbers, one per line").fill(
        "\n".join([rows[1]["serial"], rows[2]["serial"].lower(), "NOT-A-SERIAL", rows[1]["serial"]])
    )
    vendor.get_by_label("Block the valid serial numbers", exact=True).check()
    vendor.get_by_role("button", name="Check and apply").click()
    result = vendor.locator("[data-test=group-result]")
    expect(result.locator("tr[data-result=ok]")).to_have_count(2)
    expect(result.locator("tr[data-result=malformed]")).to_have_count(1)
    expect(result.locator("tr[data-result=duplicate]")).to_have_count(1)
    screenshot(vendor, "16-group-work")

    # The same pages in Russian, chosen by the vendor.
    vendor.get_by_role("button", name="Русский").click()
    expect(vendor.locator("html")).to_have_attribute("lang", "ru")
    vendor.goto(url + "/portal/dashboard")
    screenshot(vendor, "17-dashboard-ru")
    vendor.goto(order_url)
    screenshot(vendor, "18-order-card-ru")


def test_a_refused_form_keeps_what_was_typed(portal_server: LiveServer, new_page: Any) -> None:
    page = new_page()
    page.goto(portal_server.url + "/portal/signup")
    page.get_by_label("Company or name").fill("Kept Company Ltd")
    page.get_by_label("E-mail address").fill("not an address")
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_label("Password, once more").fill("short")
    page.get_by_role("button", name="Sign up").click()
    expect(page.locator("[data-test=form-error]")).to_be_visible()
    expect(page.get_by_text("Enter an e-mail address such as name@example.com.")).to_be_visible()
    expect(page.get_by_text("Choose a password of 8 to 1024 characters.")).to_be_visible()
    expect(page.get_by_label("Company or name")).to_have_value("Kept Company Ltd")
    expect(page.get_by_label("E-mail address")).to_have_value("not an address")
    expect(page.get_by_label("Company (legal entity)")).to_be_checked()
    # Passwords are never sent back to the browser.
    expect(page.get_by_label("Password", exact=True)).to_have_value("")
    expect(page.get_by_label("Password, once more")).to_have_value("")
    screenshot(page, "20-refused-form-keeps-input")
