"""The order state machine and the amount due, as the service, the API and the pages read them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from vendor_portal.orders.queries import Order
from vendor_portal.pages.app import template_folders

NOW = datetime(2026, 1, 1, tzinfo=UTC)
BASE = Order(
    id=1,
    number=1,
    vendor_id=1,
    status="placed",
    currency="RUB",
    discount_percent=0,
    subtotal=1000,
    discount=0,
    total=1000,
    paid=0,
    invoice_number=None,
    created_by=None,
    created_at=NOW,
    updated_at=NOW,
    invoiced_at=None,
    fulfilled_at=None,
    cancelled_at=None,
)
ACTIONS = ("change", "invoice", "pay", "pay_from_balance", "cancel", "download")


def allowed(order: Order, staff: bool) -> set[str]:
    return {action for action in ACTIONS if order.may(action, staff=staff)}


@pytest.mark.parametrize(
    ("status", "kind", "paid", "vendor", "staff"),
    [
        ("placed", "serials", 0, {"change", "invoice", "pay_from_balance", "cancel"}, None),
        ("invoiced", "serials", 0, {"pay", "pay_from_balance"}, {"cancel"}),
        ("invoiced", "serials", 400, {"pay", "pay_from_balance"}, {"cancel"}),
        ("fulfilled", "serials", 1000, {"download"}, set()),
        ("cancelled", "serials", 0, set(), set()),
        ("placed", "renewal", 0, {"invoice", "pay_from_balance", "cancel"}, None),
        ("invoiced", "renewal", 0, {"pay", "pay_from_balance", "cancel"}, set()),
        ("invoiced", "renewal", 400, {"pay", "pay_from_balance"}, {"cancel"}),
        ("fulfilled", "renewal", 1000, set(), set()),
    ],
)
def test_each_state_allows_its_actions(
    status: str, kind: str, paid: int, vendor: set[str], staff: set[str] | None
) -> None:
    order = replace(BASE, status=status, kind=kind, paid=paid)
    assert allowed(order, staff=False) == vendor
    # Staff may do what the vendor may, and the listed extra.
    assert allowed(order, staff=True) == vendor | (staff or set())


@pytest.mark.parametrize(
    ("status", "paid", "due"),
    [
        ("placed", 0, 1000),
        ("invoiced", 0, 1000),
        ("invoiced", 400, 600),
        ("fulfilled", 1000, 0),
        ("cancelled", 400, 0),
    ],
)
def test_the_amount_due(status: str, paid: int, due: int) -> None:
    assert replace(BASE, status=status, paid=paid).due == due


def test_an_unknown_action_is_a_mistake() -> None:
    with pytest.raises(ValueError):
        BASE.may("refund")


def test_no_order_template_restates_the_state_machine() -> None:
    pages = [page for folder in template_folders() for page in folder.rglob("*.html")]
    assert any(page.name == "card.html" and page.parent.name == "orders" for page in pages)
    for page in pages:
        text = page.read_text()
        for restated in ("order.total - order.paid", "order.status in ("):
            assert restated not in text, (page.name, restated)
        assert '{% if order.status == "placed" or' not in text, page.name
