"""Licensee self-service end to end: the vendor records the customer's address, the customer
signs in with a mailed code (through a real SMTP server) or with the license file the SDK wrote,
sees the serial's machines and frees one within the transfer budget; the vendor can turn it off.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from activation_server.appkeys import DB_POOL
from activation_server.settings import Settings
from client_sdk.store import Store
from tests.conftest import PASSWORD, Account, Factory, SmtpServer, fingerprint, make_account
from tests.vendor_portal.helpers import ok
from tests.vendor_portal.pages.portal import Portal
from vendor_portal.licensee.service import (
    CODE_DIGITS,
    CODE_REQUESTS_PER_SERIAL,
    MAX_WRONG_TRIES,
)

CUSTOMER = "customer@buyer.example"
CODE = re.compile(rf"\b(\d{{{CODE_DIGITS}}})\b")


@pytest.fixture
async def mail_client(settings: Settings, smtp_server: SmtpServer, aiohttp_client: Any) -> Any:
    from activation_server.composition import build_app

    app: web.Application = build_app(settings.with_overrides(smtp_url=smtp_server.url))
    return await aiohttp_client(app)


@pytest.fixture
def mail_pool(mail_client: TestClient) -> asyncpg.Pool:
    return mail_client.app[DB_POOL]


@pytest.fixture
async def seller(mail_client: TestClient, mail_pool: asyncpg.Pool, settings: Settings) -> Account:
    return await make_account(
        mail_client, mail_pool, settings, "alice@vendor-a.example", company="Vendor A"
    )


@pytest.fixture
async def rival(mail_client: TestClient, mail_pool: asyncpg.Pool, settings: Settings) -> Account:
    return await make_account(
        mail_client, mail_pool, settings, "bob@vendor-b.example", company="Vendor B"
    )


async def _product(client: TestClient, account: Account, code: str, **policy: Any) -> None:
    await ok(
        await client.post(
            "/v1/products", json={"code": code, "name": f"{code} CAD"}, headers=account.headers
        ),
        201,
    )
    if policy:
        await ok(await client.patch(f"/v1/products/{code}", json=policy, headers=account.headers))


async def _machines(client: TestClient, serial: str, hosts: list[str]) -> list[dict[str, Any]]:
    found = []
    for host in hosts:
        body = {"serial": serial, "fingerprint": fingerprint(host), "client": {"hostname": host}}
        found.append(await ok(await client.post("/v1/activations", json=body), 201))
    return found


async def _record(client: TestClient, account: Account, serial: str, email: str | None) -> Any:
    return await ok(
        await client.put(
            f"/v1/serials/{serial}/licensee", json={"email": email}, headers=account.headers
        )
    )


async def _ask_code(portal: Portal, serial: str, status: int = 200) -> str:
    await portal.get("/portal/licensee/")
    return await portal.post("/portal/licensee/code", {"serial": serial}, status=status)


def _code_in(mail: str) -> str:
    found = CODE.search(mail)
    assert found, mail
    return found[1]


async def _signed_in_by_code(
    client: TestClient, smtp: SmtpServer, serial: str, typed: str | None = None
) -> Portal:
    portal = Portal(client)
    page = await _ask_code(portal, typed or serial)
    assert 'data-test="code-sent"' in page
    code = _code_in(await smtp.mailbox.receive(CUSTOMER))
    await portal.post("/portal/licensee/sign-in", {"serial": serial, "code": code})
    assert f'data-test="serial">{serial}<' in portal.last
    return portal


def _budget(page: str) -> str:
    found = re.search(r'data-test="budget">([^<]*)<', page)
    assert found, page[:3000]
    return found[1].strip()


async def test_code_sign_in_lists_the_machines_and_frees_one_within_the_budget(
    mail_client: TestClient,
    mail_pool: asyncpg.Pool,
    smtp_server: SmtpServer,
    seller: Account,
    rival: Account,
) -> None:
    client = mail_client
    factory = Factory(mail_pool)
    await _product(client, seller, "SELF", transfer_budget=1)
    serial = await factory.serial("SP3", product="SELF", vendor_id=seller.vendor_id)
    neighbour = await factory.serial("SP3", product="SELF", vendor_id=seller.vendor_id)
    foreign = await factory.serial("SP3", product="ACME", vendor_id=rival.vendor_id)
    machines = await _machines(client, serial, ["CAD-01", "CAD-02", "LAPTOP"])
    (next_door,) = await _machines(client, neighbour, ["NEIGHBOUR-PC"])
    (abroad,) = await _machines(client, foreign, ["FOREIGN-PC"])
    await ok(await client.post("/v1/check-ins", json={"license": machines[0]["license"]}))

    recorded = await _record(client, seller, serial, "Customer@Buyer.example")
    assert recorded == {"serial": serial, "email": CUSTOMER}
    shown = await ok(await client.get(f"/v1/serials/{serial}/licensee", headers=seller.headers))
    assert shown["email"] == CUSTOMER

    # The serial as a person types it: lower case, no dashes.
    portal = await _signed_in_by_code(client, smtp_server, serial, serial.replace("-", "").lower())
    page = portal.last
    for host in ("CAD-01", "CAD-02", "LAPTOP"):
        assert host in page
    assert "NEIGHBOUR-PC" not in page and "FOREIGN-PC" not in page
    assert _budget(page) == "1"
    rows = re.findall(r'<tr data-activation="([^"]+)">(.*?)</tr>', page, re.S)
    checked = dict(rows)[machines[0]["activation_id"]]
    assert "—" not in checked  # its last check-in is shown
    assert "—" in dict(rows)[machines[1]["activation_id"]]

    # Another serial's machine, another vendor's, an unknown one: as if absent.
    unknown = "00000000-0000-0000-0000-000000000000"
    for other in (next_door["activation_id"], abroad["activation_id"], unknown):
        await portal.post(f"/portal/licensee/machines/{other}/release", status=404)
    await portal.post("/portal/licensee/machines/not-a-uuid/release", status=404)
    neighbour_card = await ok(await client.get(f"/v1/serials/{neighbour}", headers=seller.headers))
    assert neighbour_card["activations"]["used"] == 1

    freed = machines[1]["activation_id"]
    await portal.post(f"/portal/licensee/machines/{freed}/release")
    assert f'data-activation="{freed}"' not in portal.last
    assert _budget(portal.last) == "0"
    card = await ok(await client.get(f"/v1/serials/{serial}", headers=seller.headers))
    assert card["activations"]["used"] == 2
    by_id = {item["activation_id"]: item for item in card["activation_list"]}
    assert by_id[freed]["released_by"] == "licensee"
    # The machine learns it at its next check-in.
    gone = await ok(await client.post("/v1/check-ins", json={"license": machines[1]["license"]}))
    assert gone["code"] == "DEACTIVATED"

    # Over the budget: a clear refusal, and nothing freed.
    kept = machines[2]["activation_id"]
    refused = await portal.post(f"/portal/licensee/machines/{kept}/release", status=409)
    assert "365" in refused and "ask the vendor" in refused
    assert f'data-activation="{kept}"' in refused
    card = await ok(await client.get(f"/v1/serials/{serial}", headers=seller.headers))
    assert card["activations"]["used"] == 2

    # Signing out ends the session on the server too.
    cookie = portal.cookie("portal_licensee")
    assert cookie
    await portal.post("/portal/licensee/sign-out")
    assert 'action="/portal/licensee/code"' in portal.last
    answer = await client.get(
        "/portal/licensee/machines",
        cookies={"portal_licensee": cookie},
        allow_redirects=False,
    )
    assert answer.status == 303 and answer.headers["Location"] == "/portal/licensee/"


async def test_wrong_expired_reused_and_superseded_codes_are_refused(
    mail_client: TestClient, mail_pool: asyncpg.Pool, smtp_server: SmtpServer, seller: Account
) -> None:
    client = mail_client
    factory = Factory(mail_pool)
    await _product(client, seller, "SELF")
    serial = await factory.serial("SP1", product="SELF", vendor_id=seller.vendor_id)
    await _record(client, seller, serial, CUSTOMER)
    portal = Portal(client)

    async def code() -> str:
        await _ask_code(portal, serial)
        return _code_in(await smtp_server.mailbox.receive(CUSTOMER))

    def attempt(value: str, status: int = 422) -> Any:
        return portal.post(
            "/portal/licensee/sign-in", {"serial": serial, "code": value}, status=status
        )

    # A newer code voids the older one.
    first = await code()
    second = await code()
    assert first != second
    assert "wrong" in await attempt(first)
    # Wrong tries kill the code: after them even the right one fails.
    wrong = f"{(int(second) + 1) % 10**CODE_DIGITS:0{CODE_DIGITS}d}"
    for _ in range(MAX_WRONG_TRIES):
        await attempt(wrong)
    await attempt(second)

    # An expired code.
    third = await code()
    async with mail_pool.acquire() as connection:
        await connection.execute(
            "UPDATE licensee_codes SET expires_at = now() - interval '1 second' "
            "WHERE serial = $1 AND used_at IS NULL AND voided_at IS NULL",
            serial,
        )
    await attempt(third)

    # A good code works once.
    fourth = await code()
    await attempt(fourth, status=200)
    assert f'data-test="serial">{serial}<' in portal.last
    again = Portal(client)
    await again.get("/portal/licensee/sign-in")
    page = await again.post(
        "/portal/licensee/sign-in", {"serial": serial, "code": fourth}, status=422
    )
    assert "used already" in page


def _neutral(page: str, *serials: str) -> str:
    """The page without what differs between any two requests (tokens, the serial typed)."""
    page = re.sub(r'value="[A-Za-z0-9_\-]{20,}"', 'value=""', page)
    for serial in serials:
        page = page.replace(serial, "SERIAL")
    return page


async def test_code_requests_and_wrong_codes_answer_alike_for_any_serial(
    mail_client: TestClient, mail_pool: asyncpg.Pool, smtp_server: SmtpServer, seller: Account
) -> None:
    client = mail_client
    factory = Factory(mail_pool)
    await _product(client, seller, "SELF")
    with_address = await factory.serial("SP1", product="SELF", vendor_id=seller.vendor_id)
    without_address = await factory.serial("SP1", product="SELF", vendor_id=seller.vendor_id)
    await _record(client, seller, with_address, CUSTOMER)
    # Well-formed (its check symbol is right) but issued to nobody.
    unknown = "7KQ2M-4X9PR-T3VW8-ANC5J"

    pages = []
    for serial in (with_address, without_address, unknown):
        portal = Portal(client)
        pages.append(_neutral(await _ask_code(portal, serial), serial))
    assert pages[0] == pages[1] == pages[2]
    assert len(smtp_server.mailbox.bodies_to(CUSTOMER)) <= 1
    await smtp_server.mailbox.receive(CUSTOMER)
    assert len(smtp_server.mailbox.messages) == 1

    refusals = []
    for serial in (with_address, without_address, unknown):
        portal = Portal(client)
        await portal.get("/portal/licensee/sign-in")
        page = await portal.post(
            "/portal/licensee/sign-in", {"serial": serial, "code": "12345678"}, status=422
        )
        refusals.append(_neutral(page, serial))
    assert refusals[0] == refusals[1] == refusals[2]

    # Code requests are limited per serial, whether or not it exists, and alike.
    for serial in (with_address, unknown):
        portal = Portal(client)
        for _ in range(CODE_REQUESTS_PER_SERIAL - 1):
            await _ask_code(portal, serial)
        limited = await _ask_code(portal, serial, status=422)
        assert "Too many code requests" in limited


async def test_code_requests_are_limited_per_address(
    mail_client: TestClient, mail_pool: asyncpg.Pool, seller: Account
) -> None:
    from vendor_portal.licensee.service import CODE_REQUESTS_PER_ADDRESS

    factory = Factory(mail_pool)
    await _product(mail_client, seller, "SELF")
    serials = await factory.serials(
        "SP1", CODE_REQUESTS_PER_ADDRESS + 1, product="SELF", vendor_id=seller.vendor_id
    )
    portal = Portal(mail_client)
    for serial in serials[:-1]:
        await _ask_code(portal, serial)
    limited = await _ask_code(portal, serials[-1], status=422)
    assert "Too many code requests" in limited


def _license_file(tmp_path: Path, token: str) -> bytes:
    """The license file as the SDK stores it on the machine."""
    store = Store(tmp_path / "store")
    store.directory.mkdir(parents=True, exist_ok=True)
    store.write_license({"license": token, "last_seen": 0})
    return store.license_path.read_bytes()


async def _present(portal: Portal, client: TestClient, content: bytes, status: int = 200) -> str:
    await portal.get("/portal/licensee/")
    form = aiohttp.FormData()
    form.add_field("csrf_token", portal.token or "")
    form.add_field("license", "")
    form.add_field(
        "license_file", content, filename="license.json", content_type="application/json"
    )
    response = await client.post("/portal/licensee/license", data=form)
    text = html.unescape(await response.text())
    assert response.status == status, (response.status, text[:3000])
    portal._remember(text)
    return text


async def test_license_file_sign_in_takes_only_a_current_license_and_scopes_to_its_serial(
    mail_client: TestClient,
    mail_pool: asyncpg.Pool,
    seller: Account,
    rival: Account,
    tmp_path: Path,
) -> None:
    client = mail_client
    factory = Factory(mail_pool)
    await _product(client, seller, "SELF")
    serial = await factory.serial("SP3", product="SELF", vendor_id=seller.vendor_id)
    foreign = await factory.serial("SP3", product="SELF", vendor_id=rival.vendor_id)
    here, there = await _machines(client, serial, ["OFFICE", "HOME"])
    (abroad,) = await _machines(client, foreign, ["FOREIGN-PC"])

    portal = Portal(client)
    page = await _present(portal, client, _license_file(tmp_path / "a", here["license"]))
    assert f'data-test="serial">{serial}<' in page
    assert "OFFICE" in page and "HOME" in page and "FOREIGN-PC" not in page
    await portal.post(f"/portal/licensee/machines/{abroad['activation_id']}/release", status=404)

    # The licensee frees the other machine; its license no longer signs anybody in.
    await portal.post(f"/portal/licensee/machines/{there['activation_id']}/release")
    stale = await _present(
        Portal(client), client, _license_file(tmp_path / "b", there["license"]), status=422
    )
    assert "not a current license" in stale
    # Pasted, the license itself works as well as the file.
    pasted = Portal(client)
    await pasted.get("/portal/licensee/")
    await pasted.post("/portal/licensee/license", {"license": here["license"]})
    assert f'data-test="serial">{serial}<' in pasted.last

    # Altered, garbage, or of a blocked serial: refused alike.
    token = here["license"]
    altered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    for content in (altered.encode(), b"not a license", b'{"license": 5}'):
        refused = await _present(Portal(client), client, content, status=422)
        assert "not a current license" in refused
    await ok(await client.post(f"/v1/serials/{serial}/block", headers=seller.headers))
    blocked = await _present(
        Portal(client), client, _license_file(tmp_path / "c", token), status=422
    )
    assert "not a current license" in blocked


async def test_a_product_with_self_service_off_refuses_clearly(
    mail_client: TestClient,
    mail_pool: asyncpg.Pool,
    smtp_server: SmtpServer,
    seller: Account,
    tmp_path: Path,
) -> None:
    client = mail_client
    factory = Factory(mail_pool)
    await _product(client, seller, "SELF")
    product = await ok(await client.get("/v1/products/SELF", headers=seller.headers))
    assert product["self_service"] is True  # on unless the vendor turns it off
    serial = await factory.serial("SP3", product="SELF", vendor_id=seller.vendor_id)
    (machine,) = await _machines(client, serial, ["OFFICE"])
    await _record(client, seller, serial, CUSTOMER)
    signed_in = await _signed_in_by_code(client, smtp_server, serial)

    changed = await ok(
        await client.patch(
            "/v1/products/SELF", json={"self_service": False}, headers=seller.headers
        )
    )
    assert changed["self_service"] is False
    # A session opened before is refused from the next page on.
    page = await signed_in.get("/portal/licensee/machines", status=403)
    assert "does not offer self-service" in page
    await signed_in.post(
        f"/portal/licensee/machines/{machine['activation_id']}/release", status=403
    )

    # The license file: refused with the reason. A code request: the page says what it says for
    # any serial; the mail tells the owner of the address why no code comes.
    refused = await _present(
        Portal(client), client, _license_file(tmp_path, machine["license"]), status=422
    )
    assert "does not offer self-service" in refused
    portal = Portal(client)
    assert 'data-test="code-sent"' in await _ask_code(portal, serial)
    mail = await smtp_server.mailbox.receive(CUSTOMER)
    assert "does not offer self-service" in mail and not CODE.search(mail)
    card = await ok(await client.get(f"/v1/serials/{serial}", headers=seller.headers))
    assert card["activations"]["used"] == 1


async def test_the_vendor_records_and_removes_the_address_of_its_own_serials_only(
    mail_client: TestClient, mail_pool: asyncpg.Pool, seller: Account, rival: Account
) -> None:
    client = mail_client
    factory = Factory(mail_pool)
    serial = await factory.serial("SP1", product="SELF", vendor_id=seller.vendor_id)
    path = f"/v1/serials/{serial}/licensee"
    for body in ({"email": "not an address"}, {"email": 5}, {}):
        answer = await client.put(path, json=body, headers=seller.headers)
        assert answer.status == 400, body
    hidden = await client.put(path, json={"email": CUSTOMER}, headers=rival.headers)
    assert hidden.status == 404
    assert (await client.get(path, headers=rival.headers)).status == 404
    await _record(client, seller, serial, CUSTOMER)
    assert (await _record(client, seller, serial, None))["email"] is None
    assert (await ok(await client.get(path, headers=seller.headers)))["email"] is None


async def test_the_portal_records_the_address_and_turns_self_service_off_and_on(
    mail_client: TestClient, mail_pool: asyncpg.Pool, seller: Account, rival: Account
) -> None:
    client = mail_client
    factory = Factory(mail_pool)
    await _product(client, seller, "SELF")
    serial = await factory.serial("SP1", product="SELF", vendor_id=seller.vendor_id)
    foreign = await factory.serial("SP1", product="SELF", vendor_id=rival.vendor_id)
    portal = Portal(client)
    await portal.login(seller.email, PASSWORD)
    card = await portal.get(f"/portal/serials/{serial}")
    assert 'name="licensee_email"' in card and 'value=""' in card

    await portal.post(f"/portal/serials/{serial}/licensee", {"licensee_email": "not an address"})
    assert "Enter an e-mail address" in portal.last
    path = f"/v1/serials/{serial}/licensee"
    assert (await ok(await client.get(path, headers=seller.headers)))["email"] is None
    await portal.post(f"/portal/serials/{serial}/licensee", {"licensee_email": CUSTOMER})
    assert f'value="{CUSTOMER}"' in portal.last
    assert (await ok(await client.get(path, headers=seller.headers)))["email"] == CUSTOMER
    await portal.post(f"/portal/serials/{serial}/licensee", {"licensee_email": ""})
    assert (await ok(await client.get(path, headers=seller.headers)))["email"] is None
    await portal.post(
        f"/portal/serials/{foreign}/licensee", {"licensee_email": CUSTOMER}, status=404
    )

    edit = await portal.get("/portal/products/SELF/edit")
    assert 'name="self_service" value="on" checked' in edit
    await portal.post(
        "/portal/products/SELF/edit",
        {"name": "Self CAD", "features": "", "self_service_shown": "1"},
    )
    product = await ok(await client.get("/v1/products/SELF", headers=seller.headers))
    assert product["self_service"] is False
    # A form without the box (a page opened before it existed) leaves the setting as it is.
    await portal.post("/portal/products/SELF/edit", {"name": "Self CAD", "features": ""})
    product = await ok(await client.get("/v1/products/SELF", headers=seller.headers))
    assert product["self_service"] is False
    await portal.post(
        "/portal/products/SELF/edit",
        {"name": "Self CAD", "features": "", "self_service": "on", "self_service_shown": "1"},
    )
    product = await ok(await client.get("/v1/products/SELF", headers=seller.headers))
    assert product["self_service"] is True
