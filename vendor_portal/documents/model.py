"""Invoices and delivery acts a company's accountant can pay from and file.

A document is built once (:class:`Document`) and shown two ways from it: a printable page and a
PDF. Prices include VAT; its rate is a setting (0: the document says VAT is not charged). The
amount is also written in words, in the document's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from babel.numbers import get_currency_precision
from num2words import num2words

from activation_server.settings import Settings
from vendor_portal.documents.queries import Requisites

# Currencies num2words names; another is written as a number with its code.
_WORDED_CURRENCIES = {"RUB", "EUR", "USD", "GBP", "UAH", "KZT", "BYN", "CNY", "JPY"}


def seller(settings: Settings) -> Requisites:
    """The operator's requisites, from the settings."""
    return Requisites(
        id=0,
        name=settings.portal.seller_name,
        legal_name=settings.portal.seller_name,
        address=settings.portal.seller_address,
        tax_id=settings.portal.seller_tax_id,
        tax_reason_code=settings.portal.seller_tax_reason_code,
        bank_name=settings.portal.seller_bank_name,
        bank_code=settings.portal.seller_bank_code,
        bank_account=settings.portal.seller_bank_account,
        correspondent_account=settings.portal.seller_correspondent_account,
    )


def vat_included(total: int, percent: int) -> int:
    """The VAT inside a total that includes it, rounded half up to a minor unit."""
    if percent <= 0:
        return 0
    return (total * percent * 2 + (100 + percent)) // (2 * (100 + percent))


def amount_in_words(minor: int, currency: str, language: str) -> str:
    """'One thousand two hundred roubles, fifty kopeks' in the document's language."""
    amount = Decimal(minor).scaleb(-get_currency_precision(currency))
    try:
        if currency in _WORDED_CURRENCIES:
            words = num2words(amount, lang=language, to="currency", currency=currency)
        else:
            words = f"{num2words(amount, lang=language)} {currency}"
    except (NotImplementedError, KeyError):
        words = f"{num2words(amount, lang='en')} {currency}"
    text = str(words)
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class DocumentLine:
    name: str
    quantity: int
    unit_price: int
    amount: int


@dataclass(frozen=True)
class Document:
    """kind: 'invoice' (an order's), 'prepayment' (a top-up's invoice) or 'act'."""

    kind: str
    number: int
    date: datetime
    seller: Requisites
    buyer: Requisites
    currency: str
    lines: list[DocumentLine]
    total: int
    vat_percent: int
    language: str
    subtotal: int = 0
    discount: int = 0
    order_number: int | None = None
    invoice_number: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def vat(self) -> int:
        return vat_included(self.total, self.vat_percent)

    @property
    def words(self) -> str:
        return amount_in_words(self.total, self.currency, self.language)
