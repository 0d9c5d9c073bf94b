"""The interactive API reference: the vendored Redoc bundle draws the served OpenAPI document
in a real browser, under the page's own policy, with nothing fetched from outside."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import expect

from tests.browser.test_every_page import _axe
from tests.conftest import LiveServer


def test_redoc_draws_every_operation_of_the_served_document(
    portal_server: LiveServer, new_page: Any
) -> None:
    page = new_page()
    hosts: set[str] = set()
    refused: list[str] = []
    # Hosts that answered, and whatever the page's policy refused: nothing may be addressed
    # elsewhere (the vendored bundle's footer logo, once fetched from its maker, is not drawn).
    page.on("response", lambda response: hosts.add(urlsplit(response.url).netloc))
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.goto(portal_server.url + "/portal/docs")
    page.get_by_role("link", name="Interactive API reference").click()
    page.wait_for_url("**/portal/docs/reference")
    # Redoc gives each operation a section named by its operationId, headed by its summary.
    first = page.locator("[data-section-id='operation/activate']")
    expect(first).to_be_attached(timeout=30_000)
    expect(first).to_contain_text("Activate a serial on a machine")
    document = page.request.get(portal_server.url + "/v1/openapi.json").json()
    # The side menu lists every operation (the sections are drawn as they scroll into view).
    drawn = page.locator("[data-item-id*='/operation/'], [data-item-id*='/paths/']").count()
    operations = sum(len(item) for item in document["paths"].values())
    assert drawn == operations, (drawn, operations)
    assert hosts - {""} == {urlsplit(portal_server.url).netloc}, hosts
    assert refused == [], refused
    problems = [f"1280: {violation}" for violation in _axe(page)]
    page.set_viewport_size({"width": 390, "height": 900})
    expect(first).to_be_attached()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 1:
        problems.append(f"390: {overflow} px of horizontal overflow")
    problems.extend(f"390: {violation}" for violation in _axe(page))
    assert problems == [], problems
