"""Hostile input on every route of the API and the portal answers 4xx, never 5xx.

The classes: numbers in paths and queries that are not ASCII digits (``str.isdigit`` takes
"²", which ``int`` refuses; ``int`` reads Arabic-Indic "٣" as 3), NUL and lone surrogates in
any string (PostgreSQL and UTF-8 cannot hold them), non-finite numbers and deep nesting in
bodies, empty query values, and the same in the portal's forms.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from tests.conftest import PASSWORD
from tests.vendor_portal.helpers import place, product
from tests.vendor_portal.pages.portal import Portal

# Path values that are not ids: superscript two, Arabic-Indic three, fullwidth one, a NUL, an
# encoded lone surrogate, over-long, signed, with an underscore (int() takes "1_0").
PATH_VALUES = ["%C2%B2", "%D9%A3", "%EF%BC%91", "%00", "%ED%A0%80", "1" * 40, "-1", "1_0"]
QUERIES = [
    "limit=%C2%B2&offset=%D9%A3&page=%EF%BC%91",
    "vendor_id=%EF%BC%91&order_id=%D9%A3&limit=1_0&offset=+1",
    "q=%00&status=%00&product=%00&token=%00&next=%00&action=%00",
    "q=%ED%A0%80&email=%ED%A0%80&token=%ED%A0%80",
    "limit=&offset=&vendor_id=&order_id=&status=&license_type=&usage=",
]
STRINGS = ['"\\ud800"', '"\\udfff x"', '"a\\u0000b"', "NaN", "-Infinity", "1e999", "[" * 3000]
FIELDS = [
    "serial", "fingerprint", "product", "license", "request", "client", "email", "password",
    "new_password", "current_password", "token", "code", "name", "features", "lines",
    "reference", "amount", "method", "discount_percent", "unit_price", "company", "role",
    "action", "serials", "text", "reason", "language", "quantity", "license_type",
]  # fmt: skip


def _bodies() -> list[bytes]:
    bodies = [b"[" * 5000 + b"]" * 5000, b'{"a":' * 3000 + b"1" + b"}" * 3000, b"NaN"]
    for value in STRINGS:
        bodies.append(("{" + ",".join(f'"{name}": {value}' for name in FIELDS) + "}").encode())
    return bodies


def routes_of(app: web.Application) -> list[tuple[str, str]]:
    """(method, path template) of every route, the portal's sub-application's too."""
    found = []
    for resource in app.router.resources():
        info = resource.get_info()
        inner = info.get("app")
        if inner is not None:
            found += routes_of(inner)
            continue
        template = info.get("path") or info.get("formatter")
        if template:
            found += [(route.method, template) for route in resource if route.method != "HEAD"]
    return found


def _fill(template: str) -> list[str]:
    if "{" not in template:
        return [template]
    return [re.sub(r"\{[^}]*\}", value, template) for value in PATH_VALUES]


@pytest.mark.timeout(600)
async def test_hostile_input_on_every_api_route_never_answers_5xx(
    client: TestClient, app: web.Application, staff: Any, vendor: Any
) -> None:
    await product(client, vendor)
    await place(client, vendor)
    routes = [(m, t) for m, t in routes_of(app) if not t.startswith("/portal")]
    statuses: Counter[int] = Counter()
    failures: set[str] = set()
    for method, template in routes:
        for path in _fill(template):
            for query in QUERIES:
                for account in (vendor, staff):
                    for body in _bodies() if method not in ("GET", "DELETE") else [b""]:
                        response = await client.request(
                            method,
                            f"{path}?{query}",
                            data=body,
                            headers={**account.headers, "Content-Type": "application/json"},
                        )
                        statuses[response.status] += 1
                        if response.status >= 500:
                            failures.add(f"{method} {path}?{query} {body[:50]!r}")
    print(f"\nAPI: {sum(statuses.values())} hostile requests, statuses {dict(statuses)}")
    assert not failures, "\n".join(sorted(failures)[:100])


FORM_VALUES = ["%00", "%ED%A0%80", "%C2%B2", "%D9%A3", "%FF%FE", "a" * 5000, "-1", "1e999"]
FORM_FIELDS = [
    *FIELDS, "password2", "next", "q", "note", "status", "usage", "order", "type", "page",
    "file",
]  # fmt: skip


@pytest.mark.timeout(600)
async def test_hostile_forms_and_addresses_of_the_portal_never_answer_5xx(
    client: TestClient, app: web.Application, staff: Any, vendor: Any
) -> None:
    await product(client, vendor)
    await place(client, vendor)
    routes = [(m, t) for m, t in routes_of(app) if t.startswith("/portal")]
    statuses: Counter[int] = Counter()
    failures: set[str] = set()
    for account in (vendor, staff):
        client.session.cookie_jar.clear()
        portal = Portal(client)
        await portal.login(account.email, PASSWORD)
        assert portal.token is not None
        bodies = [
            "&".join(
                [f"csrf_token={portal.token}", *(f"{name}={value}" for name in FORM_FIELDS)]
            ).encode()
            for value in FORM_VALUES
        ]
        for method, template in routes:
            for path in _fill(template):
                for query in QUERIES:
                    for body in bodies if method == "POST" else [b""]:
                        response = await client.request(
                            method,
                            f"{path}?{query}",
                            data=body,
                            allow_redirects=False,
                            headers={"Content-Type": "application/x-www-form-urlencoded"},
                        )
                        statuses[response.status] += 1
                        if response.status >= 500:
                            failures.add(f"{method} {path}?{query} {body[60:120]!r}")
                        if path.endswith("/logout"):
                            await portal.login(account.email, PASSWORD)
    print(f"\nportal: {sum(statuses.values())} hostile requests, statuses {dict(statuses)}")
    assert not failures, "\n".join(sorted(failures)[:100])


async def test_unicode_digits_in_paths_and_queries_are_not_numbers(
    client: TestClient, staff: Any, vendor: Any
) -> None:
    await product(client, vendor)
    orders = [await place(client, vendor) for _ in range(3)]
    third = orders[2]["id"]
    assert str(third).isascii() and len(str(third)) == 1
    arabic = chr(0x0660 + third)  # the same digit in Arabic-Indic script
    answer = await client.get(f"/v1/orders/{arabic}", headers=vendor.headers)
    assert answer.status == 404, await answer.text()
    answer = await client.get("/v1/orders/%C2%B2", headers=vendor.headers)
    assert answer.status == 404
    page = await client.get(f"/portal/orders/{arabic}")
    assert page.status == 404
    for query in (f"limit={arabic}", "limit=%C2%B2", "limit=1_0", "limit=+1", "limit= 1"):
        answer = await client.get(f"/v1/orders?{query}", headers=vendor.headers)
        assert answer.status == 400, query
        assert (await answer.json())["error"]["code"] == "INVALID_REQUEST"


async def test_an_empty_query_value_is_refused_not_ignored(client: TestClient, staff: Any) -> None:
    """The document says these are integers or one of a list: an empty value is neither."""
    for path in ("/v1/orders?limit=", "/v1/orders?status=", "/v1/serials?vendor_id=",
                 "/v1/serials?usage=", "/v1/audit?offset="):  # fmt: skip
        answer = await client.get(path, headers=staff.headers)
        assert answer.status == 400, path


async def test_lone_surrogates_and_nul_in_credentials_and_codes_answer_400(
    client: TestClient, vendor: Any
) -> None:
    bodies = [
        b'{"email": "alice@vendor-a.example", "password": "\\ud800"}',
        b'{"email": "alice@vendor-a.example", "password": "a\\u0000b"}',
        b'{"email": "\\udfff@x.example", "password": "p"}',
    ]
    for body in bodies:
        answer = await client.post("/v1/auth/token", data=body)
        assert answer.status == 400, body
    for path, body in (
        ("/v1/auth/confirm", b'{"token": "\\ud800"}'),
        ("/v1/auth/password-reset/confirm", b'{"token": "\\ud800", "password": "\\ud800"}'),
        ("/v1/offline-activations", b'{"request": "\\ud800"}'),
        ("/v1/validations", b'{"license": "a.b.\\ud800"}'),
    ):
        answer = await client.post(path, data=body)
        assert answer.status == 400, path


async def test_a_405_says_which_methods_the_address_takes(client: TestClient) -> None:
    answer = await client.get("/v1/activations")
    assert answer.status == 405
    assert answer.headers["Allow"] == "POST"
    assert (await answer.json())["error"]["code"] == "METHOD_NOT_ALLOWED"
    answer = await client.delete("/v1/orders")
    assert answer.status == 405
    assert set(answer.headers["Allow"].replace(" ", "").split(",")) == {"GET", "POST"}


async def test_a_null_where_the_document_says_string_is_refused(
    client: TestClient, vendor: Any
) -> None:
    for path, body in (
        ("/v1/api-keys", {"name": None}),
        ("/v1/products", {"code": "NUL1", "name": "x", "features": [], "vendor_id": None}),
        ("/v1/orders", {"lines": [{"product": "ACME", "license_type": "SP1", "quantity": 1}],
                        "vendor_id": None}),
    ):  # fmt: skip
        answer = await client.post(path, json=body, headers=vendor.headers)
        assert answer.status == 400, (path, await answer.text())


async def test_a_list_that_is_not_csv_is_refused_not_a_500(client: TestClient, vendor: Any) -> None:
    for text in ('a"b\rc\x00', '"unterminated\r', "x\ry\r\nz"):
        answer = await client.post(
            "/v1/serials/bulk?action=check",
            data=text.encode(),
            headers={**vendor.headers, "Content-Type": "text/csv"},
        )
        assert answer.status in (200, 400), (text, answer.status)
