"""Accounts: registration, confirmation and password reset through a real SMTP server, log-in,
throttling, tokens, API keys."""

from __future__ import annotations

import re
import time

import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from activation_server.settings import Settings
from tests.conftest import PASSWORD
from tests.vendor_portal.helpers import ok


@pytest.fixture
async def mail_client(settings: Settings, smtp_server, aiohttp_client) -> TestClient:
    from activation_server.composition import build_app

    app: web.Application = build_app(settings.with_overrides(smtp_url=smtp_server.url))
    return await aiohttp_client(app)


def _code(text: str) -> str:
    match = re.search(r"code[^:]*: (\S+)", text)
    assert match, text
    return match[1]


async def test_registration_confirmation_and_reset_through_smtp(mail_client, smtp_server):
    client = mail_client
    email = "new@vendor.example"
    registered = await client.post(
        "/v1/auth/register",
        json={
            "email": "New@Vendor.example",
            "password": "a good password",
            "company": "New Co",
            "kind": "individual",
        },
    )
    assert registered.status == 202
    mail = await smtp_server.mailbox.receive(email)
    assert "/v1/auth/confirm?token=" in mail

    refused = await client.post(
        "/v1/auth/token", json={"email": email, "password": "a good password"}
    )
    assert refused.status == 403
    assert (await refused.json())["error"]["code"] == "ACCOUNT_NOT_CONFIRMED"

    link = re.search(r"(/v1/auth/confirm\?token=\S+)", mail)
    assert link
    confirmed = await ok(await client.get(link[1]))
    assert confirmed["user"]["confirmed"] is True and confirmed["user"]["role"] == "vendor"
    used_twice = await client.get(link[1])
    assert used_twice.status == 404

    session = await ok(
        await client.post("/v1/auth/token", json={"email": email, "password": "a good password"})
    )
    assert session["token_type"] == "bearer" and session["expires_in"] > 0
    headers = {"Authorization": f"Bearer {session['access_token']}"}
    me = await ok(await client.get("/v1/me", headers=headers))
    assert me["vendor"]["name"] == "New Co" and me["vendor"]["kind"] == "individual"

    # Registering again with a confirmed address says the same and mails its owner.
    again = await client.post(
        "/v1/auth/register", json={"email": email, "password": "another password", "company": "X"}
    )
    assert again.status == 202
    assert "exists already" in await smtp_server.mailbox.receive(email)

    await client.post("/v1/auth/password-reset", json={"email": email})
    code = _code(await smtp_server.mailbox.receive(email))
    reset = await client.post(
        "/v1/auth/password-reset/confirm", json={"token": code, "password": "brand new secret"}
    )
    assert reset.status == 200
    # Earlier session tokens stop working; the new password signs in, the old does not.
    assert (await client.get("/v1/me", headers=headers)).status == 401
    old = await client.post("/v1/auth/token", json={"email": email, "password": "a good password"})
    assert old.status == 401
    await ok(
        await client.post("/v1/auth/token", json={"email": email, "password": "brand new secret"})
    )
    reuse = await client.post(
        "/v1/auth/password-reset/confirm", json={"token": code, "password": "third password"}
    )
    assert reuse.status == 404

    unknown = await client.post("/v1/auth/password-reset", json={"email": "nobody@x.example"})
    assert unknown.status == 202


async def test_without_smtp_mail_goes_to_the_outbox(client, pool):
    await client.post(
        "/v1/auth/register",
        json={"email": "quiet@vendor.example", "password": "a good password", "company": "Q"},
    )
    async with pool.acquire() as connection:
        row = await connection.fetchrow("SELECT subject, body, sent_at FROM outbox")
    assert "Confirm" in row["subject"] and "/v1/auth/confirm?token=" in row["body"]
    assert row["sent_at"] is None


async def test_login_is_throttled_per_account(client, vendor, settings):
    for _ in range(settings.portal.login_rate_limit):
        wrong = await client.post(
            "/v1/auth/token", json={"email": vendor.email, "password": "wrong password"}
        )
        assert wrong.status == 401
    blocked = await client.post(
        "/v1/auth/token", json={"email": vendor.email, "password": PASSWORD}
    )
    assert blocked.status == 429
    assert int(blocked.headers["Retry-After"]) > 0
    audit = await ok(await client.get("/v1/audit?action=login.failed", headers=vendor.headers))
    assert len(audit["items"]) == settings.portal.login_rate_limit


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
async def test_tokens_are_pinned_to_hs256_audience_and_expiry(client, vendor, settings):
    secret = settings.portal.secret_key
    now = int(time.time())
    claims = {
        "iss": settings.issuer,
        "aud": "vendor-api",
        "sub": str(vendor.user_id),
        "ver": 0,
        "iat": now,
        "exp": now + 60,
    }
    good = jwt.encode(claims, secret, algorithm="HS256")
    assert (await client.get("/v1/me", headers={"Authorization": f"Bearer {good}"})).status == 200
    forged = [
        jwt.encode({**claims, "exp": now - 10}, secret, algorithm="HS256"),
        jwt.encode({**claims, "aud": "ACME"}, secret, algorithm="HS256"),
        jwt.encode(claims, secret + "x", algorithm="HS256"),
        jwt.encode(claims, secret, algorithm="HS512"),
        jwt.encode(claims, None, algorithm="none"),
        jwt.encode({k: v for k, v in claims.items() if k != "exp"}, secret, algorithm="HS256"),
    ]
    for token in forged:
        response = await client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status == 401, token


async def test_password_change_gives_a_fresh_token(client, vendor):
    wrong = await client.post(
        "/v1/auth/password",
        json={"current_password": "not it", "new_password": "new password 1"},
        headers=vendor.headers,
    )
    assert wrong.status == 403
    fresh = await ok(
        await client.post(
            "/v1/auth/password",
            json={"current_password": PASSWORD, "new_password": "new password 1"},
            headers=vendor.headers,
        )
    )
    assert (await client.get("/v1/me", headers=vendor.headers)).status == 401
    headers = {"Authorization": f"Bearer {fresh['access_token']}"}
    assert (await client.get("/v1/me", headers=headers)).status == 200


async def test_api_keys_are_shown_once_work_as_bearer_and_revoke(client, vendor, pool):
    created = await ok(
        await client.post("/v1/api-keys", json={"name": "ci"}, headers=vendor.headers), 201
    )
    key = created["key"]
    assert key.startswith("ak_")
    listed = await ok(await client.get("/v1/api-keys", headers=vendor.headers))
    assert "key" not in listed["items"][0] and listed["items"][0]["prefix"] == key[:10]
    async with pool.acquire() as connection:
        stored = await connection.fetchval("SELECT key_hash FROM api_keys")
    assert key.encode() not in bytes(stored)
    with_key = {"Authorization": f"Bearer {key}"}
    me = await ok(await client.get("/v1/me", headers=with_key))
    assert me["user"]["email"] == vendor.email
    await ok(await client.delete(f"/v1/api-keys/{created['id']}", headers=vendor.headers))
    assert (await client.get("/v1/me", headers=with_key)).status == 401


async def test_vendor_adds_a_colleague_to_its_own_company(client, vendor):
    colleague = await ok(
        await client.post(
            "/v1/users",
            json={"email": "carol@vendor-a.example", "password": "long enough"},
            headers=vendor.headers,
        ),
        201,
    )
    assert colleague["vendor_id"] == vendor.vendor_id
    taken = await client.post(
        "/v1/users", json={"email": vendor.email, "password": "long enough"}, headers=vendor.headers
    )
    assert taken.status == 409


def test_secret_is_generated_once_with_private_mode(tmp_path):
    from vendor_portal.accounts.tokens import load_secret

    settings = Settings(data_dir=tmp_path / "data")
    first = load_secret(settings)
    assert load_secret(settings) == first and len(first) > 40
    assert (tmp_path / "data" / "session-secret").stat().st_mode & 0o777 == 0o600
