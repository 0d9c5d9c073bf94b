"""The offline activation page end to end: the SDK writes the request code on a machine without
network, a person pastes it into the page, and the license text goes back into the SDK."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from client_sdk import Client
from client_sdk.offline import encode_request
from tests.browser.conftest import screenshot
from tests.conftest import LiveServer, fingerprint


def test_request_code_to_license_and_back_into_the_sdk(
    portal_server: LiveServer, new_page: Any, tmp_path: Path
) -> None:
    serial = portal_server.make_serial("SP1", product="ACME", features=["export", "print"])
    client = Client(portal_server.url, product="ACME", store_path=tmp_path / "license.json")
    code = client.offline_request(serial, features=["export"])

    page = new_page()
    page.goto(portal_server.url + "/portal/activate")
    screenshot(page, "30-offline-activation")
    page.get_by_label("Activation request code").fill(code)
    page.get_by_role("button", name="Get the license").click()
    result = page.locator("[data-test=offline-result]")
    expect(result).to_contain_text("The license is issued")
    expect(result).to_contain_text(serial)
    screenshot(page, "31-offline-activation-license")
    license_text = page.locator("[data-test=license-text]").input_value()

    installed = client.install(license_text)
    assert installed.serial == serial
    assert installed.has_feature("export") and not installed.has_feature("print")
    assert client.load().serial == serial

    # Another machine's request for the same one-activation serial is refused, and says why.
    other_code = encode_request(serial, fingerprint("another machine"), "ACME", ["export"])
    page.get_by_label("Activation request code").fill(other_code)
    page.get_by_role("button", name="Get the license").click()
    expect(page.locator("[data-test=form-error]")).to_contain_text(
        "Every activation of this serial number is in use (1 of 1)"
    )
    expect(page.get_by_label("Activation request code")).to_have_value(other_code)
    screenshot(page, "32-offline-activation-refused")
