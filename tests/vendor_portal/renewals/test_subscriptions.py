"""Term licenses and update subscriptions on serials: ordered with new serials, carried by the
license's claims, refused after the term (activation and check-in)."""

from __future__ import annotations

from typing import Any

import jwt

from tests.conftest import fingerprint
from tests.vendor_portal.helpers import ok, product


async def price_list(client: Any, account: Any) -> dict[str, Any]:
    return await ok(await client.get("/v1/price-list", headers=account.headers))


def subscription_price(prices: dict[str, Any], license_type: str) -> dict[str, Any]:
    return next(
        item
        for item in prices["subscriptions"]
        if item["license_type"] == license_type and item["product"] is None
    )


async def top_up(client: Any, staff: Any, vendor: Any, amount: int, reference: str) -> None:
    await ok(
        await client.post(
            f"/v1/vendors/{vendor.vendor_id}/top-ups",
            json={"amount": amount, "reference": reference},
            headers=staff.headers,
        ),
        201,
    )


async def test_term_and_update_subscription_lines_reach_serials_and_license_claims(
    client, pool, staff, vendor
):
    await product(client, vendor)
    prices = await price_list(client, vendor)
    sub = subscription_price(prices, "SP1")
    base = next(item for item in prices["items"] if item["license_type"] == "SP1")
    placed = await ok(
        await client.post(
            "/v1/orders",
            json={
                "lines": [
                    {"product": "ACME", "license_type": "SP1", "quantity": 2, "term_months": 6},
                    {
                        "product": "ACME",
                        "license_type": "SP1",
                        "quantity": 1,
                        "updates_months": 12,
                    },
                ]
            },
            headers=vendor.headers,
        ),
        201,
    )
    term_line, updates_line = placed["lines"]
    assert term_line["unit_price"] == sub["term_month"] * 6
    assert updates_line["unit_price"] == base["unit_price"] + sub["update_first"]
    assert (term_line["term_months"], updates_line["updates_months"]) == (6, 12)

    # Paid from the balance by the vendor at once: invoiced, paid and fulfilled together.
    await top_up(client, staff, vendor, placed["total"], "TOPUP-TERMS")
    paid = await ok(
        await client.post(
            f"/v1/orders/{placed['id']}/payments",
            json={"method": "balance"},
            headers=vendor.headers,
        ),
        201,
    )
    assert paid["status"] == "fulfilled" and paid["invoice_number"] is not None
    balance = await ok(await client.get("/v1/balance", headers=vendor.headers))
    assert balance["balance"] == 0
    latest = balance["ledger"][0]
    assert (latest["kind"], latest["amount"]) == ("order_payment", -placed["total"])

    async with pool.acquire() as connection:
        rows = await connection.fetch(
            "SELECT s.serial, s.valid_until, s.updates_until, o.fulfilled_at FROM serials s "
            "JOIN order_lines l ON l.id = s.order_line_id JOIN orders o ON o.id = l.order_id "
            "WHERE o.id = $1 ORDER BY l.position",
            placed["id"],
        )
    term_rows = [row for row in rows if row["valid_until"] is not None]
    updates_rows = [row for row in rows if row["updates_until"] is not None]
    assert len(term_rows) == 2 and len(updates_rows) == 1
    fulfilled_at = term_rows[0]["fulfilled_at"]
    assert all(row["updates_until"] is None for row in term_rows)
    assert 181 <= (term_rows[0]["valid_until"] - fulfilled_at).days <= 184
    assert 365 <= (updates_rows[0]["updates_until"] - fulfilled_at).days <= 366

    # The activation object and the license carry both terms.
    term_serial = term_rows[0]["serial"]
    activated = await ok(
        await client.post(
            "/v1/activations", json={"serial": term_serial, "fingerprint": fingerprint(1)}
        ),
        201,
    )
    claims = jwt.decode(activated["license"], options={"verify_signature": False})
    assert claims["exp"] == int(term_rows[0]["valid_until"].timestamp())
    assert "upd" not in claims
    assert activated["expires_at"] is not None
    updates_serial = updates_rows[0]["serial"]
    activated = await ok(
        await client.post(
            "/v1/activations", json={"serial": updates_serial, "fingerprint": fingerprint(2)}
        ),
        201,
    )
    claims = jwt.decode(activated["license"], options={"verify_signature": False})
    assert claims["upd"] == int(updates_rows[0]["updates_until"].timestamp())
    assert "exp" not in claims and activated["expires_at"] is None
    assert activated["updates_until"] is not None

    # After the term: activation and check-in refused with SERIAL_EXPIRED.
    async with pool.acquire() as connection:
        await connection.execute(
            "UPDATE serials SET valid_until = now() - interval '1 minute' WHERE serial = $1",
            term_serial,
        )
    refused = await client.post(
        "/v1/activations", json={"serial": term_serial, "fingerprint": fingerprint(3)}
    )
    assert refused.status == 403
    assert (await refused.json())["error"]["code"] == "SERIAL_EXPIRED"
    check_in = await ok(
        await client.post(
            "/v1/validations", json={"serial": term_serial, "fingerprint": fingerprint(1)}
        )
    )
    assert (check_in["valid"], check_in["code"]) == (False, "SERIAL_EXPIRED")


async def test_terms_refused_when_negative_not_integer_or_on_trials(client, vendor):
    await product(client, vendor)
    for line, field in (
        ({"term_months": -1}, "term_months"),
        ({"term_months": 1.5}, "term_months"),
        ({"updates_months": "12"}, "updates_months"),
        ({"updates_months": 0}, "updates_months"),
    ):
        answer = await client.post(
            "/v1/orders",
            json={"lines": [{"product": "ACME", "license_type": "SP1", "quantity": 1, **line}]},
            headers=vendor.headers,
        )
        body = await answer.json()
        assert answer.status == 400, body
        assert field in body["error"]["message"]
    trial = await client.post(
        "/v1/orders",
        json={
            "lines": [
                {"product": "ACME", "license_type": "TRIAL30K", "quantity": 1, "term_months": 1}
            ]
        },
        headers=vendor.headers,
    )
    assert trial.status == 400


async def test_staff_set_subscription_prices_and_refuse_negative_ones(client, staff, vendor):
    await product(client, vendor)
    answer = await ok(
        await client.put(
            "/v1/price-list/subscriptions/SP3",
            json={
                "update_first": 1234,
                "update_renewal": 1000,
                "term_month": 99,
                "product": "ACME",
            },
            headers=staff.headers,
        )
    )
    own = [s for s in answer["subscriptions"] if s["product"] == "ACME"]
    assert own == [
        {
            "license_type": "SP3",
            "product": "ACME",
            "update_first": 1234,
            "update_renewal": 1000,
            "term_month": 99,
        }
    ]
    # The product's own price wins over its type's.
    placed = await ok(
        await client.post(
            "/v1/orders",
            json={
                "lines": [
                    {"product": "ACME", "license_type": "SP3", "quantity": 1, "term_months": 2}
                ]
            },
            headers=vendor.headers,
        ),
        201,
    )
    assert placed["lines"][0]["unit_price"] == 99 * 2
    for bad in (-1, 1.5, "10", None):
        refused = await client.put(
            "/v1/price-list/subscriptions/SP3",
            json={"update_first": bad, "update_renewal": 1, "term_month": 1},
            headers=staff.headers,
        )
        assert refused.status == 400
    forbidden = await client.put(
        "/v1/price-list/subscriptions/SP3",
        json={"update_first": 1, "update_renewal": 1, "term_month": 1},
        headers=vendor.headers,
    )
    assert forbidden.status == 403
    unknown = await client.put(
        "/v1/price-list/subscriptions/TRIAL30K",
        json={"update_first": 1, "update_renewal": 1, "term_month": 1},
        headers=staff.headers,
    )
    assert unknown.status == 404
