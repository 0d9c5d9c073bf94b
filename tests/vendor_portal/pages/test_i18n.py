"""Translations: every string of the pages is in the catalogs, the compiled catalogs are the
.po files, and a Russian reader gets Russian pages."""

from __future__ import annotations

import re
from datetime import UTC
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
from aiohttp.test_utils import TestClient
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from activation_server.settings import Settings
from tests.conftest import PASSWORD, make_account
from tests.vendor_portal.pages.portal import Portal
from vendor_portal.pages import i18n

ROOT = Path(__file__).resolve().parents[3]
LOCALE = ROOT / "vendor_portal" / "locale"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def _extracted() -> set[str]:
    """Every msgid of the page handlers and templates, as ``pybabel extract`` finds them."""
    method_map = [
        ("vendor_portal/**.py", "python"),
        ("vendor_portal/**.html", "jinja2"),
    ]
    options = {"vendor_portal/**.html": {"extensions": "jinja2.ext.i18n"}}
    found: set[str] = set()
    for _filename, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options, keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def _catalog(language: str) -> dict[str, object]:
    with (LOCALE / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    return {str(m.id if isinstance(m.id, str) else m.id[0]): m for m in catalog if m.id}


def test_every_string_of_the_pages_is_translated() -> None:
    extracted = _extracted()
    assert len(extracted) > 300
    for language in i18n.LANGUAGE_CODES - {i18n.DEFAULT_LANGUAGE}:
        messages = _catalog(language)
        missing = sorted(extracted - set(messages))
        assert not missing, f"{language}: not in the catalog (run pybabel update): {missing}"
        untranslated = [
            key
            for key, message in messages.items()
            if not message.string  # type: ignore[attr-defined]
            or not all(message.string)  # type: ignore[attr-defined]
            or message.fuzzy  # type: ignore[attr-defined]
        ]
        assert not untranslated, f"{language}: untranslated or fuzzy: {untranslated}"


def test_translations_keep_their_placeholders() -> None:
    with (LOCALE / "ru" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    problems = [(message.id, errors) for message, errors in catalog.check() if errors]
    assert not problems
    placeholder = re.compile(r"%\((\w+)\)s")
    for message in catalog:
        if not message.id or isinstance(message.id, tuple):
            continue
        assert set(placeholder.findall(message.id)) == set(
            placeholder.findall(str(message.string))
        ), message.id


def _key(value: object) -> object:
    # Plural messages read from a .mo file are lists, from a .po file tuples.
    return tuple(value) if isinstance(value, list | tuple) else value


def test_compiled_catalogs_match_the_po_files() -> None:
    for language in i18n.LANGUAGE_CODES - {i18n.DEFAULT_LANGUAGE}:
        directory = LOCALE / language / "LC_MESSAGES"
        with (directory / "messages.po").open("rb") as handle:
            source = read_po(handle)
        with (directory / "messages.mo").open("rb") as handle:
            compiled = read_mo(handle)
        expected = {_key(m.id): _key(m.string) for m in source if m.id}
        actual = {_key(m.id): _key(m.string) for m in compiled if m.id}
        assert actual == expected, (
            f"{directory}/messages.mo is stale: run pybabel compile -d vendor_portal/locale"
        )


async def test_the_language_is_chosen_and_kept(client: TestClient) -> None:
    portal = Portal(client)
    text = await portal.get("/portal/login", headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    assert '<html lang="ru">' in text and "Войти" in text
    await portal.post("/portal/language", {"language": "en", "next": "/portal/login"})
    text = await portal.get("/portal/login", headers={"Accept-Language": "ru"})
    assert '<html lang="en">' in text
    assert re.search(r"<h1[^>]*>Sign in</h1>", text)


async def test_russian_pages_write_money_dates_and_statuses_the_russian_way(
    client: TestClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    await make_account(client, pool, settings, "alice@vendor-a.example", company="Vendor A")
    portal = Portal(client)
    await portal.get("/portal/login")
    await portal.post("/portal/language", {"language": "ru", "next": "/portal/login"})
    await portal.login("alice@vendor-a.example", PASSWORD)
    await portal.get("/portal/products/new")
    await portal.post(
        "/portal/products/new", {"code": "ACME", "name": "Acme", "features": "export"}
    )
    await portal.get("/portal/orders/new")
    card = await portal.post(
        "/portal/orders/new",
        {"product": "ACME", "qty_SP1": "50", "feature:ACME:export": "on", "action": "submit"},
    )
    assert "Заказ №1 размещён." in card
    # Seed 004's cabinet: "11 000,00 руб." and orders dated 01.04.2015.
    assert "11 000,00 руб." in card and "Размещен" in card
    listing = await portal.get("/portal/orders")
    assert "Дата размещения" in listing and "Количество номеров" in listing
    async with pool.acquire() as connection:
        placed = await connection.fetchval("SELECT created_at FROM orders")
    assert f'data-label="Дата размещения">{placed:%d.%m.%Y}<' in listing
    refused = await portal.post("/portal/products/new", {"code": "", "name": ""}, status=422)
    assert "Заполните это поле." in refused


def test_negotiation_picks_a_spoken_language() -> None:
    assert i18n.negotiate("ru-RU,ru;q=0.9,en;q=0.8") == "ru"
    assert i18n.negotiate("de-DE,de;q=0.9,ru;q=0.5") == "ru"
    assert i18n.negotiate("de, fr;q=0.5") == "en"
    assert i18n.negotiate("en;q=0.1, ru;q=0.9") == "ru"
    assert i18n.negotiate("ru;q=0") == "en"
    assert i18n.negotiate(None) == "en"


async def test_the_language_follows_the_user_to_another_browser(
    client: TestClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    import aiohttp

    await make_account(client, pool, settings, "alice@vendor-a.example", company="Vendor A")
    first = Portal(client)
    await first.login("alice@vendor-a.example", PASSWORD)
    await first.post("/portal/language", {"language": "ru", "next": "/portal/dashboard"})
    assert "Обзор" in first.last

    other_browser = aiohttp.ClientSession(
        base_url=str(client.make_url("/")), cookie_jar=aiohttp.CookieJar(unsafe=True)
    )
    try:
        second = Portal(other_browser)
        text = await second.get("/portal/login", headers={"Accept-Language": "en"})
        assert '<html lang="en">' in text
        await second.post(
            "/portal/login", {"email": "alice@vendor-a.example", "password": PASSWORD}
        )
        assert '<html lang="ru">' in second.last and "Обзор" in second.last
    finally:
        await other_browser.close()


async def test_times_follow_the_time_zone_guessed_at_sign_up_and_set_in_the_profile(
    client: TestClient, pool: asyncpg.Pool
) -> None:
    portal = Portal(client)
    await portal.get("/portal/signup")
    await portal.post(
        "/portal/signup",
        {
            "company": "Far East Soft",
            "kind": "individual",
            "email": "owner@far-east.example",
            "password": "long enough secret",
            "password_repeat": "long enough secret",
            "time_zone": "Asia/Vladivostok",
        },
    )
    async with pool.acquire() as connection:
        zone = await connection.fetchval(
            "SELECT time_zone FROM users WHERE email = 'owner@far-east.example'"
        )
        await connection.execute(
            "UPDATE users SET confirmed_at = now() WHERE email = 'owner@far-east.example'"
        )
        created = await connection.fetchval(
            "SELECT at FROM audit_log WHERE action = 'account.registered'"
        )
    assert zone == "Asia/Vladivostok"
    await portal.login("owner@far-east.example", "long enough secret")
    local = created.astimezone(ZoneInfo("Asia/Vladivostok"))
    log = await portal.get("/portal/audit")
    assert f"{local:%H:%M}" in log and "Times: Asia/Vladivostok" in log
    # An unknown zone is refused; a known one is kept and shown.
    text = await portal.post("/portal/profile/time-zone", {"time_zone": "Mars/Olympus"})
    assert "Choose a time zone from the list." in text
    text = await portal.post("/portal/profile/time-zone", {"time_zone": "UTC"})
    assert "Times are now shown in UTC." in text
    log = await portal.get("/portal/audit")
    assert f"{created.astimezone(UTC):%H:%M}" in log
