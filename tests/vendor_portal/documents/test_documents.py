"""Documents a company pays from: invoice, act and prepayment invoice pages and PDFs, with the
seller's and the buyer's requisites, the VAT line and the amount in words, in both languages."""

from __future__ import annotations

import io
import re
from pathlib import Path

import asyncpg
import pytest
from aiohttp.test_utils import TestClient
from num2words import num2words
from pypdf import PdfReader

from activation_server.settings import Settings
from tests.conftest import Factory, make_settings
from tests.vendor_portal.pages.test_vendor_pages import _vendor


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """The operator's requisites and a VAT rate, as the environment would set them."""
    return make_settings(
        tmp_path,
        database_url,
        vat_percent=20,
        seller_name="ООО «Оператор»",
        seller_tax_id="7701234567",
        seller_bank_account="40702810900000000001",
    )


def pdf_text(body: bytes) -> str:
    """The text a PDF shows, as a reader extracts it."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


async def _order_paid(client: TestClient, pool: asyncpg.Pool, factory: Factory) -> int:
    async with pool.acquire() as connection:
        vendor_id = await connection.fetchval("SELECT id FROM vendors WHERE name = 'Vendor A'")
        await connection.execute("UPDATE vendors SET balance = 10000000 WHERE id = $1", vendor_id)
    await factory.product("ACME", vendor_id=vendor_id)
    return vendor_id


async def test_company_details_reach_the_invoice_and_act_in_both_languages(
    client: TestClient, pool: asyncpg.Pool, settings: Settings, factory: Factory
) -> None:
    portal = await _vendor(client, pool, settings)
    await _order_paid(client, pool, factory)
    page = await portal.get("/portal/company")
    assert 'data-test="company-form"' in page
    saved = await portal.post(
        "/portal/company",
        {"legal_name": "ООО «Вендор А»", "tax_id": "7709876543", "address": "Москва"},
    )
    assert "The company details are saved." in saved
    too_long = await portal.post("/portal/company", {"tax_id": "1" * 40}, status=422)
    assert 'data-test="form-error"' in too_long

    # An order paid from the balance at once, by the vendor.
    placed = await portal.post(
        "/portal/orders/new",
        {"action": "submit", "product": "ACME", "qty_SP1": "3"},
    )
    order_id = int(re.search(r'action="/portal/orders/(\d+)/cancel"', placed).group(1))
    card = await portal.post(f"/portal/orders/{order_id}/pay-from-balance", {})
    assert 'data-status="fulfilled"' in card and 'data-test="act"' in card

    invoice = await portal.get(f"/portal/orders/{order_id}/invoice")
    for expected in ("ООО «Оператор»", "7701234567", "ООО «Вендор А»", "7709876543"):
        assert expected in invoice
    total = 3 * 22000
    vat = round(total * 20 / 120)
    assert f"Including VAT 20 %: RUB {vat / 100:,.2f}" in invoice
    words = num2words(total // 100, lang="en")
    assert words.capitalize() in invoice
    assert "Invoice No." in invoice

    act = await portal.get(f"/portal/orders/{order_id}/act")
    assert 'data-test="act"' in act and "Delivery act No. 1" in act

    response = await client.get(f"/portal/orders/{order_id}/act", params={"format": "pdf"})
    body = await response.read()
    assert response.status == 200 and response.content_type == "application/pdf"
    assert body.startswith(b"%PDF")
    text = pdf_text(body)
    assert "Delivery act No. 1" in text and "7709876543" in text

    await portal.post("/portal/language", {"language": "ru", "next": "/portal/"})
    russian = await portal.get(f"/portal/orders/{order_id}/invoice")
    assert num2words(total // 100, lang="ru").capitalize() in russian
    response = await client.get(f"/portal/orders/{order_id}/invoice", params={"format": "pdf"})
    body = await response.read()
    assert body.startswith(b"%PDF")
    text = pdf_text(body)
    assert "Вендор А" in text and "НДС" in text


async def test_prepayment_invoice_paid_by_staff_tops_the_balance_up_once(
    client: TestClient, pool: asyncpg.Pool, settings: Settings, factory: Factory, staff
) -> None:
    portal = await _vendor(client, pool, settings)
    page = await portal.post("/portal/balance", {"amount": "1500.50"})
    number = int(re.search(r"Prepayment invoice No\. (\d+)", page).group(1))
    assert "One thousand, five hundred" in page
    bad = await portal.post("/portal/balance", {"amount": "-5"}, status=422)
    assert 'data-test="form-error"' in bad

    paid = await client.post(
        f"/v1/prepayment-invoices/{number}/payments",
        json={"reference": "BANK-PRE-1"},
        headers=staff.headers,
    )
    assert paid.status == 201, await paid.text()
    again = await client.post(
        f"/v1/prepayment-invoices/{number}/payments",
        json={"reference": "BANK-PRE-1"},
        headers=staff.headers,
    )
    assert again.status == 200
    other = await client.post(
        f"/v1/prepayment-invoices/{number}/payments",
        json={"reference": "BANK-PRE-2"},
        headers=staff.headers,
    )
    assert other.status == 409
    balance = await portal.get("/portal/balance")
    assert 'data-test="balance">RUB 1,500.50' in balance
    async with pool.acquire() as connection:
        entries = await connection.fetch(
            "SELECT kind, amount, reference FROM balance_ledger ORDER BY id"
        )
    assert [tuple(entry) for entry in entries] == [("top_up", 150050, "BANK-PRE-1")]
