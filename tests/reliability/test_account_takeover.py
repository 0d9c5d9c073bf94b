"""Taking over an account, and keeping its owner out: the client address behind proxies, locks a
stranger could set off against the owner, registrations squatted before the owner, and sessions,
codes, users and keys that must end when the owner says so."""

from __future__ import annotations

import re
from typing import Any

import asyncpg
from aiohttp import web
from aiohttp.test_utils import TestClient

from activation_server.appkeys import SETTINGS
from activation_server.composition import build_app
from activation_server.http import client_address
from activation_server.settings import Settings
from tests.conftest import PASSWORD, Account, fingerprint
from tests.reliability.test_abuse import guessed_serial
from tests.vendor_portal.helpers import ok
from tests.vendor_portal.pages.portal import Portal, last_mail, link_in

# --- the client address ----------------------------------------------------------------------


async def _address_seen(aiohttp_client: Any, settings: Settings, header: str | None) -> str | None:
    async def echo(request: web.Request) -> web.Response:
        return web.json_response({"address": client_address(request)})

    app = web.Application()
    app[SETTINGS] = settings
    app.router.add_get("/", echo)
    client = await aiohttp_client(app)
    headers = {"X-Forwarded-For": header} if header is not None else {}
    answer = await client.get("/", headers=headers)
    return str((await answer.json())["address"])


async def test_the_client_address_is_read_from_the_right_of_x_forwarded_for(
    aiohttp_client: Any, settings: Settings
) -> None:
    one_hop = settings.with_overrides(trusted_proxy_hops=1)
    two_hops = settings.with_overrides(trusted_proxy_hops=2)
    # The client wrote the first entry itself; the proxy appended the address it saw.
    forged = "6.6.6.6, 198.51.100.9"
    assert await _address_seen(aiohttp_client, one_hop, forged) == "198.51.100.9"
    assert await _address_seen(aiohttp_client, two_hops, "6.6.6.6, 198.51.100.9, 10.0.0.2") == (
        "198.51.100.9"
    )
    # Junk, or fewer entries than trusted hops: the peer's own address, never none.
    for junk in ("not-an-address", "198.51.100.9, junk", ""):
        assert await _address_seen(aiohttp_client, one_hop, junk) == "127.0.0.1", junk
    assert await _address_seen(aiohttp_client, two_hops, "198.51.100.9") == "127.0.0.1"
    # Trusted networks: entries of our own proxies are skipped from the right.
    networks = settings.with_overrides(trusted_proxies="127.0.0.0/8, 10.0.0.0/8")
    assert await _address_seen(aiohttp_client, networks, "6.6.6.6, 203.0.113.5, 10.1.2.3") == (
        "203.0.113.5"
    )
    # A peer that is not one of the trusted proxies is believed about nothing.
    elsewhere = settings.with_overrides(trusted_proxies="10.0.0.0/8")
    assert await _address_seen(aiohttp_client, elsewhere, "203.0.113.5") == "127.0.0.1"


async def test_a_junk_forwarded_header_does_not_skip_the_limiter(
    settings: Settings, aiohttp_client: Any
) -> None:
    client = await aiohttp_client(build_app(settings.with_overrides(trusted_proxy_hops=1)))
    statuses = []
    for n in range(settings.rate_limit_failures + 5):
        answer = await client.post(
            "/v1/activations",
            json={"serial": guessed_serial(n), "fingerprint": fingerprint(n)},
            headers={"X-Forwarded-For": f"junk-{n}"},
        )
        statuses.append(answer.status)
    assert statuses.count(404) == settings.rate_limit_failures, statuses
    assert statuses[-5:] == [429] * 5


# --- locks a stranger cannot set off ---------------------------------------------------------


async def _token(client: TestClient, email: str, password: str, address: str) -> Any:
    return await client.post(
        "/v1/auth/token",
        json={"email": email, "password": password},
        headers={"X-Forwarded-For": address},
    )


async def test_a_stranger_cannot_lock_the_owner_out(
    settings: Settings, aiohttp_client: Any, vendor: Account
) -> None:
    tuned = settings.with_overrides(trusted_proxy_hops=1, login_account_rate_limit=25)
    client = await aiohttp_client(build_app(tuned))
    # The owner's browser has signed in before.
    owner = Portal(client)
    await owner.login(vendor.email, PASSWORD)
    assert owner.cookie("portal_device")
    await owner.post("/portal/logout")
    # One stranger: locked out alone; the owner, elsewhere, is not.
    for _ in range(tuned.portal.login_rate_limit + 3):
        await _token(client, vendor.email, "wrong", "198.51.100.66")
    assert (await _token(client, vendor.email, PASSWORD, "198.51.100.66")).status == 429
    assert (await _token(client, vendor.email, PASSWORD, "203.0.113.10")).status == 200
    # Many strangers: past the account-wide limit, an unknown browser is held too ...
    for n in range(tuned.portal.login_account_rate_limit):
        await _token(client, vendor.email, "wrong", f"2001:db8::{n + 1:x}")
    assert (await _token(client, vendor.email, PASSWORD, "203.0.113.11")).status == 429
    # ... but the owner's own browser, with the right password, gets in.
    text = await owner.post("/portal/login", {"email": vendor.email, "password": PASSWORD})
    assert vendor.email in text and 'name="password"' not in text


# --- registrations squatted before the owner -------------------------------------------------


async def _register(client: TestClient, email: str, password: str, company: str) -> None:
    answer = await client.post(
        "/v1/auth/register", json={"email": email, "password": password, "company": company}
    )
    assert answer.status == 202


async def _confirm_links(pool: asyncpg.Pool, email: str) -> list[str]:
    async with pool.acquire() as connection:
        bodies = await connection.fetch(
            "SELECT body FROM outbox WHERE recipient = $1 ORDER BY id", email
        )
    return [link_in(row["body"], "/v1/auth/confirm?token=") for row in bodies]


async def test_an_unconfirmed_registration_owns_nothing(
    client: TestClient, pool: asyncpg.Pool
) -> None:
    victim = "victim@studio.example"
    await _register(client, victim, "squatters password", "Squatter Ltd")
    await _register(client, victim, "victims own password", "Victim Studio")
    squatters_link, victims_link = await _confirm_links(pool, victim)
    path = victims_link.split("://", 1)[1].split("/", 1)[1]
    confirmed = await ok(await client.get("/" + path))
    assert confirmed["user"]["confirmed"] is True
    # The confirmed registration is the one that counts: its password, its company.
    assert (await _token(client, victim, "squatters password", "192.0.2.1")).status == 401
    session = await ok(await _token(client, victim, "victims own password", "192.0.2.1"))
    me = await ok(
        await client.get("/v1/me", headers={"Authorization": f"Bearer {session['access_token']}"})
    )
    assert me["vendor"]["name"] == "Victim Studio"
    # The squatter's link is void now.
    squatter_path = squatters_link.split("://", 1)[1].split("/", 1)[1]
    assert (await client.get("/" + squatter_path)).status == 404


# --- sessions, codes, disabled users, keys ---------------------------------------------------


async def test_sign_out_ends_the_session_on_the_server(client: TestClient, vendor: Account) -> None:
    portal = Portal(client)
    await portal.login(vendor.email, PASSWORD)
    stolen = portal.cookie("portal_session")
    assert stolen
    await portal.post("/portal/logout")
    thief = Portal(client)
    client.session.cookie_jar.update_cookies({"portal_session": stolen})
    text = await thief.get("/portal/profile")
    assert vendor.email not in text and 'name="password"' in text


async def test_a_user_sees_and_ends_their_sessions(
    settings: Settings, aiohttp_client: Any, vendor: Account
) -> None:
    app = build_app(settings)
    first = Portal(await aiohttp_client(app))
    second = Portal(await aiohttp_client(app))
    await first.login(vendor.email, PASSWORD)
    await second.login(vendor.email, PASSWORD)
    page = await first.get("/portal/sessions")
    ended = re.findall(r'action="/portal/sessions/(\d+)/end"', page)
    assert len(ended) == 1 and "This browser" in page
    await first.post(f"/portal/sessions/{ended[0]}/end")
    text = await second.get("/portal/profile")
    assert vendor.email not in text and 'name="password"' in text
    assert vendor.email in await first.get("/portal/profile")


async def test_a_password_change_ends_every_portal_session(
    client: TestClient, vendor: Account
) -> None:
    portal = Portal(client)
    await portal.login(vendor.email, PASSWORD)
    stolen = portal.cookie("portal_session")
    changed = await client.post(
        "/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": "another long password"},
        headers=vendor.headers,
    )
    assert changed.status == 200
    client.session.cookie_jar.update_cookies({"portal_session": stolen or ""})
    text = await Portal(client).get("/portal/profile")
    assert vendor.email not in text


async def test_a_stolen_session_cannot_guess_the_current_password(
    client: TestClient, vendor: Account, settings: Settings
) -> None:
    statuses = []
    for n in range(settings.portal.login_rate_limit + 3):
        answer = await client.post(
            "/v1/auth/password",
            json={"current_password": f"guess {n}", "new_password": "a stolen new password"},
            headers=vendor.headers,
        )
        statuses.append(answer.status)
    assert statuses == [403] * settings.portal.login_rate_limit + [429] * 3, statuses
    right = await client.post(
        "/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": "a stolen new password"},
        headers=vendor.headers,
    )
    assert right.status == 429


async def test_reset_codes_are_single_use_and_superseded_and_the_mail_lists_api_keys(
    client: TestClient, vendor: Account, pool: asyncpg.Pool
) -> None:
    key = await ok(
        await client.post("/v1/api-keys", json={"name": "build server"}, headers=vendor.headers),
        201,
    )
    codes = []
    for _ in range(2):
        await client.post("/v1/auth/password-reset", json={"email": vendor.email})
        body = await last_mail(pool, vendor.email)
        codes.append(re.search(r"Reset code[^:]*: (\S+)", body)[1])  # type: ignore[index]
    assert "build server" in body and key["prefix"] in body
    older, newer = codes
    refused = await client.post(
        "/v1/auth/password-reset/confirm", json={"token": older, "password": "a new password 1"}
    )
    assert refused.status == 404
    # The reset page lists the keys; the new password goes with revoking the key.
    portal = Portal(client)
    page = await portal.get(f"/portal/password-reset?token={newer}")
    assert "build server" in page
    await portal.post(
        "/portal/password-reset",
        {
            "token": newer,
            "password": "a new password 2",
            "password_repeat": "a new password 2",
            "revoke_key": str(key["id"]),
        },
    )
    assert (
        await client.get("/v1/me", headers={"Authorization": f"Bearer {key['key']}"})
    ).status == 401
    again = await client.post(
        "/v1/auth/password-reset/confirm", json={"token": newer, "password": "a new password 3"}
    )
    assert again.status == 404


async def test_staff_disable_a_user_and_everything_of_theirs_stops_at_once(
    client: TestClient, vendor: Account, staff: Account
) -> None:
    key = await ok(await client.post("/v1/api-keys", json={}, headers=vendor.headers), 201)
    portal = Portal(client)
    await portal.login(vendor.email, PASSWORD)
    disabled = await ok(
        await client.post(f"/v1/users/{vendor.user_id}/disable", headers=staff.headers)
    )
    assert disabled["disabled"] is True
    assert (await client.get("/v1/me", headers=vendor.headers)).status == 401
    bearer = {"Authorization": f"Bearer {key['key']}"}
    assert (await client.get("/v1/me", headers=bearer)).status == 401
    assert vendor.email not in await portal.get("/portal/profile")
    refused = await client.post(
        "/v1/auth/token", json={"email": vendor.email, "password": PASSWORD}
    )
    assert refused.status == 403
    assert (await refused.json())["error"]["code"] == "ACCOUNT_DISABLED"
    await ok(await client.post(f"/v1/users/{vendor.user_id}/enable", headers=staff.headers))
    assert (await client.get("/v1/me", headers=bearer)).status == 200
    # The same from the staff's vendor card in the portal.
    operator = Portal(client)
    await operator.login(staff.email, PASSWORD)
    card = await operator.get(f"/portal/staff/vendors/{vendor.vendor_id}")
    assert f"/portal/colleagues/{vendor.user_id}/disable" in card
    card = await operator.post(f"/portal/colleagues/{vendor.user_id}/disable")
    assert "is disabled" in card
    assert (await client.get("/v1/me", headers=bearer)).status == 401


async def test_a_company_admin_invites_and_disables_colleagues(
    client: TestClient,
    vendor: Account,
    other_vendor: Account,
    pool: asyncpg.Pool,
) -> None:
    invited = await ok(
        await client.post(
            "/v1/colleagues",
            json={"email": "colleague@vendor-a.example", "company_role": "member"},
            headers=vendor.headers,
        ),
        201,
    )
    assert invited["vendor_id"] == vendor.vendor_id and invited["company_role"] == "member"
    link = link_in(await last_mail(pool, "colleague@vendor-a.example"), "password-reset?token=")
    token = link.split("token=", 1)[1]
    await ok(
        await client.post(
            "/v1/auth/password-reset/confirm",
            json={"token": token, "password": "colleague password"},
        )
    )
    session = await ok(
        await client.post(
            "/v1/auth/token",
            json={"email": "colleague@vendor-a.example", "password": "colleague password"},
        )
    )
    member = {"Authorization": f"Bearer {session['access_token']}"}
    listed = await ok(await client.get("/v1/colleagues", headers=member))
    assert {user["email"] for user in listed["items"]} == {
        vendor.email,
        "colleague@vendor-a.example",
    }
    # A member may not disable anyone; another company's admin does not see the user at all.
    assert (await client.post(f"/v1/users/{vendor.user_id}/disable", headers=member)).status == 403
    assert (
        await client.post(f"/v1/users/{invited['id']}/disable", headers=other_vendor.headers)
    ).status == 404
    await ok(await client.post(f"/v1/users/{invited['id']}/disable", headers=vendor.headers))
    assert (await client.get("/v1/me", headers=member)).status == 401
    # The portal's colleagues page shows the same.
    portal = Portal(client)
    await portal.login(vendor.email, PASSWORD)
    page = await portal.get("/portal/colleagues")
    assert "colleague@vendor-a.example" in page and "Disabled" in page
    await portal.post(f"/portal/colleagues/{invited['id']}/enable")
    assert (await client.get("/v1/me", headers=member)).status == 401  # the old token stays void
    await ok(
        await client.post(
            "/v1/auth/token",
            json={"email": "colleague@vendor-a.example", "password": "colleague password"},
        )
    )
