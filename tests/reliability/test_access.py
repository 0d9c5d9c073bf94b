"""Access: bearer tokens are pinned to their algorithm, key, audience, issuer and lifetime, and a
matrix over every /v1 route proves what each identity reaches: no token 401, a vendor on staff
actions 403, a vendor on another vendor's ids 404, staff everywhere."""

from __future__ import annotations

import time
from typing import Any

import jwt
from aiohttp import web
from aiohttp.test_utils import TestClient

from tests.conftest import Account, Factory, fingerprint
from tests.vendor_portal.helpers import invoice, ok, pay, place, product
from vendor_portal.accounts.tokens import ALGORITHM, AUDIENCE

SECRET = "test-secret-key-" + "x" * 32


def _claims(account: Account, **changes: Any) -> dict[str, Any]:
    claims = jwt.decode(account.token, options={"verify_signature": False})
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


async def test_session_tokens_refuse_algorithm_key_audience_issuer_and_expiry_tricks(
    client: TestClient, vendor: Account, factory: Factory
) -> None:
    assert ALGORITHM == "HS256"
    now = int(time.time())
    jwks = await ok(await client.get("/v1/keys"))
    public_x = jwks["keys"][0]["x"]
    license_token = (
        await ok(
            await client.post(
                "/v1/activations",
                json={"serial": await factory.serial("SP1"), "fingerprint": fingerprint(1)},
            ),
            201,
        )
    )["license"]
    forged = {
        "genuine": jwt.encode(_claims(vendor), SECRET, algorithm="HS256"),
        "alg none": jwt.encode(_claims(vendor), None, algorithm="none"),
        "wrong secret": jwt.encode(_claims(vendor), "another-secret-" + "y" * 32, "HS256"),
        "public key as HMAC secret": jwt.encode(_claims(vendor), public_x, algorithm="HS256"),
        "HS512 with the secret": jwt.encode(_claims(vendor), SECRET, algorithm="HS512"),
        "wrong audience": jwt.encode(_claims(vendor, aud="licenses"), SECRET, "HS256"),
        "no audience": jwt.encode(_claims(vendor, aud=None), SECRET, "HS256"),
        "wrong issuer": jwt.encode(_claims(vendor, iss="evil"), SECRET, "HS256"),
        "expired": jwt.encode(_claims(vendor, iat=now - 7200, exp=now - 3600), SECRET, "HS256"),
        "no expiry": jwt.encode(_claims(vendor, exp=None), SECRET, "HS256"),
        "staff role claimed": jwt.encode(_claims(vendor, role="staff", vid=None), SECRET, "HS256"),
        "a license as a token": license_token,
    }
    answers = {}
    for name, token in forged.items():
        response = await client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
        answers[name] = response.status
        if name == "staff role claimed" and response.status == 200:
            # The role comes from the user row, never from the token's claims.
            assert (await response.json())["user"]["role"] == "vendor"
            answers[name] = "vendor"
    assert answers.pop("genuine") == 200
    assert answers.pop("staff role claimed") in (401, "vendor")
    assert set(answers.values()) == {401}, answers
    assert AUDIENCE != "licenses"


def _routes(app: web.Application) -> set[tuple[str, str]]:
    found = set()
    for resource in app.router.resources():
        info = resource.get_info()
        path = info.get("path") or info.get("formatter", "")
        if path.startswith("/v1/"):
            found.update((route.method, path) for route in resource if route.method != "HEAD")
    return found


PUBLIC = {
    ("POST", "/v1/activations"),
    ("POST", "/v1/validations"),
    ("POST", "/v1/deactivations"),
    ("POST", "/v1/check-ins"),
    ("POST", "/v1/offline-activations"),
    ("GET", "/v1/keys"),
    ("GET", "/v1/vendors/{public_id}/keys"),
    ("GET", "/v1/openapi.json"),
    ("POST", "/v1/auth/register"),
    ("GET", "/v1/auth/confirm"),
    ("POST", "/v1/auth/confirm"),
    ("POST", "/v1/auth/token"),
    ("POST", "/v1/auth/password-reset"),
    ("POST", "/v1/auth/password-reset/confirm"),
}
STAFF_ONLY = {
    ("POST", "/v1/serials/{serial}/transfer-grants"),
    ("POST", "/v1/orders/{order_id}/invoice"),
    ("PATCH", "/v1/vendors/{vendor_id}"),
    ("POST", "/v1/vendors/{vendor_id}/top-ups"),
    ("PUT", "/v1/price-list/{license_type}"),
    ("PUT", "/v1/price-list/subscriptions/{license_type}"),
    ("PUT", "/v1/partner-tiers/{code}"),
    ("PUT", "/v1/vendors/{vendor_id}/partner-tier"),
    ("POST", "/v1/prepayment-invoices/{number}/payments"),
}
# Bodies that pass validation, so that what answers is the access rule, not the body check.
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("PATCH", "/v1/products/{code}"): {"name": "mine now"},
    ("POST", "/v1/serials/{serial}/transfer-grants"): {"extra": 1},
    ("POST", "/v1/serials/{serial}/features"): {"features": []},
    ("PUT", "/v1/serials/{serial}/licensee"): {"email": "customer@example.com"},
    ("POST", "/v1/orders/{order_id}/features"): {"features": []},
    ("PUT", "/v1/orders/{order_id}"): {
        "lines": [{"product": "BEE", "license_type": "SP1", "quantity": 2}]
    },
    ("POST", "/v1/users"): {
        "email": "new-staff@example.com",
        "password": "a long enough password",
        "role": "staff",
    },
}
# Routes that name one vendor's resource: vendor A on vendor B's id must answer 404.
OWNED = {
    ("POST", "/v1/serials/{serial}/features"),
    ("POST", "/v1/orders/{order_id}/features"),
    ("POST", "/v1/activations/{activation_id}/release"),
    ("GET", "/v1/products/{code}"),
    ("PATCH", "/v1/products/{code}"),
    ("GET", "/v1/orders/{order_id}"),
    ("PUT", "/v1/orders/{order_id}"),
    ("POST", "/v1/orders/{order_id}/cancel"),
    ("POST", "/v1/orders/{order_id}/payments"),
    ("GET", "/v1/orders/{order_id}/serials"),
    ("GET", "/v1/serials/{serial}"),
    ("POST", "/v1/serials/{serial}/block"),
    ("POST", "/v1/serials/{serial}/unblock"),
    ("GET", "/v1/serials/{serial}/licensee"),
    ("PUT", "/v1/serials/{serial}/licensee"),
    ("GET", "/v1/vendors/{vendor_id}"),
    ("GET", "/v1/vendors/{vendor_id}/balance"),
    ("GET", "/v1/users/{user_id}"),
    ("POST", "/v1/users/{user_id}/disable"),
    ("POST", "/v1/users/{user_id}/enable"),
    ("DELETE", "/v1/api-keys/{key_id}"),
}
# Signed-in routes about oneself or one's own lists: every role reaches them.
OWN = {
    ("GET", "/v1/me"),
    ("POST", "/v1/auth/password"),
    ("GET", "/v1/api-keys"),
    ("POST", "/v1/api-keys"),
    ("GET", "/v1/users"),
    ("POST", "/v1/users"),
    ("GET", "/v1/colleagues"),
    ("POST", "/v1/colleagues"),
    ("GET", "/v1/vendors"),
    ("GET", "/v1/balance"),
    ("GET", "/v1/price-list"),
    ("GET", "/v1/products"),
    ("POST", "/v1/products"),
    ("GET", "/v1/orders"),
    ("POST", "/v1/orders"),
    ("GET", "/v1/serials"),
    ("POST", "/v1/serials/bulk"),
    ("GET", "/v1/audit"),
    ("GET", "/v1/signing-keys"),
    ("POST", "/v1/signing-keys"),
    ("POST", "/v1/signing-keys/promote"),
    ("POST", "/v1/revocation-lists"),
    ("GET", "/v1/company"),
    ("PUT", "/v1/company"),
    ("GET", "/v1/balance/prepayment-invoices"),
    ("POST", "/v1/balance/prepayment-invoices"),
    ("POST", "/v1/renewals/quote"),
    ("POST", "/v1/renewals"),
}


async def _vendor_b_world(client: TestClient, staff: Account, b: Account) -> dict[str, str]:
    await product(client, b, "BEE")
    lines = [{"product": "BEE", "license_type": "SP1", "quantity": 1}]
    order = await place(client, b, lines)
    await invoice(client, staff, order["id"])
    await ok(await pay(client, staff, order["id"], "B-PAY-1"), 201)
    serials = await ok(await client.get(f"/v1/orders/{order['id']}/serials", headers=b.headers))
    placed = await place(client, b, lines)
    key = await ok(await client.post("/v1/api-keys", json={"name": "b"}, headers=b.headers), 201)
    machine = await ok(
        await client.post(
            "/v1/activations",
            json={"serial": serials["serials"][0]["serial"], "fingerprint": "b" * 64},
        ),
        201,
    )
    prepayment = await ok(
        await client.post(
            "/v1/balance/prepayment-invoices", json={"amount": 100}, headers=b.headers
        ),
        201,
    )
    assert b.vendor_id is not None
    return {
        "{order_id}": str(placed["id"]),
        "{serial}": serials["serials"][0]["serial"],
        "{vendor_id}": str(b.vendor_id),
        "{user_id}": str(b.user_id),
        "{key_id}": str(key["id"]),
        "{code}": "BEE",
        "{activation_id}": machine["activation_id"],
        "{license_type}": "SP1",
        "{number}": str(prepayment["number"]),
    }


def _concrete(path: str, ids: dict[str, str]) -> str:
    for name, value in ids.items():
        path = path.replace(name, value)
    return path


async def test_every_route_answers_each_identity_as_its_role_allows(
    client: TestClient, app: web.Application, staff: Account, vendor: Account, other_vendor: Account
) -> None:
    routes = _routes(app)
    unclassified = routes - PUBLIC - STAFF_ONLY - OWNED - OWN
    assert unclassified == set(), f"classify the new routes in this matrix: {unclassified}"
    b_ids = await _vendor_b_world(client, staff, other_vendor)
    body_of = {"POST", "PUT", "PATCH"}
    wrong: list[str] = []

    identities = {
        "nobody": {},
        "a forged token": {"Authorization": "Bearer " + "e30." * 2},
        "vendor A": vendor.headers,
        "staff": staff.headers,
    }
    tried = 0

    async def expect(method: str, template: str, path: str, who: str, allowed: set[int]) -> None:
        nonlocal tried
        body = BODIES.get((method, template), {}) if method in body_of else None
        response = await client.request(method, path, json=body, headers=identities[who])
        tried += 1
        if response.status not in allowed:
            wrong.append(f"{method} {path} as {who}: {response.status} {await response.text()}")

    for method, template in sorted(routes - PUBLIC):
        path = _concrete(template, b_ids)
        await expect(method, template, path, "nobody", {401})
        await expect(method, template, path, "a forged token", {401})
        if (method, template) in STAFF_ONLY:
            await expect(method, template, path, "vendor A", {403})
            # Staff pass the role check: whatever comes next (a 400 for the body, a 409 for the
            # state) is not an access refusal.
            await expect(method, template, path, "staff", {200, 201, 400, 409})
        elif (method, template) in OWNED:
            await expect(method, template, path, "vendor A", {404})
            await expect(method, template, path, "staff", {200, 201, 400, 409})
        else:
            await expect(method, template, path, "vendor A", {200, 201, 400, 403, 409})
    # Staff-only routes stay 403 for a vendor on its own ids too.
    assert vendor.vendor_id is not None
    own_ids = {**b_ids, "{vendor_id}": str(vendor.vendor_id), "{user_id}": str(vendor.user_id)}
    for method, template in sorted(STAFF_ONLY):
        await expect(method, template, _concrete(template, own_ids), "vendor A", {403})
    # A vendor may manage its own company's users, never create staff.
    await expect("POST", "/v1/users", "/v1/users", "vendor A", {403})
    print(f"\naccess matrix: {len(routes)} routes, {tried} requests")
    assert wrong == [], "\n".join(wrong)
