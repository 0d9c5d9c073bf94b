"""The accounts endpoints as declared (vendor_portal/accounts/endpoints.py): documented with an
operationId, summary and description, lists in the one envelope, requests refused as their
types say, and every answer as the document says."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.conftest import PASSWORD, Account
from tests.vendor_portal.conformance import check_answer
from tests.vendor_portal.declared import check_described, served_document
from tests.vendor_portal.helpers import ok
from vendor_portal.accounts.endpoints import ENDPOINTS


async def test_every_accounts_operation_has_an_id_a_summary_and_a_description(client):
    document = await served_document(client)
    assert len(ENDPOINTS) == 21
    check_described(document, ENDPOINTS)
    for endpoint in ENDPOINTS:
        operation = document["paths"][endpoint.path][endpoint.method.lower()]
        assert ("security" in operation) == endpoint.public, endpoint.operation_id


async def _colleagues(client: TestClient, account: Account, count: int) -> list[int]:
    ids = []
    for number in range(count):
        user = await ok(
            await client.post(
                "/v1/users",
                json={"email": f"user{number}.{account.email}", "password": PASSWORD},
                headers=account.headers,
            ),
            201,
        )
        ids.append(user["id"])
    return ids


@pytest.mark.parametrize("path", ["/v1/users", "/v1/colleagues"])
async def test_a_list_of_users_counts_every_match_and_answers_the_page_asked_for(
    client, vendor, other_vendor, path
):
    added = await _colleagues(client, vendor, 4)
    await _colleagues(client, other_vendor, 2)
    company = sorted([vendor.user_id, *added])

    whole = await ok(await client.get(path, headers=vendor.headers))
    assert (whole["total"], whole["limit"], whole["offset"]) == (len(company), 50, 0)
    assert [user["id"] for user in whole["items"]] == company

    part = await ok(await client.get(f"{path}?limit=2&offset=1", headers=vendor.headers))
    assert (part["total"], part["limit"], part["offset"]) == (len(company), 2, 1)
    assert [user["id"] for user in part["items"]] == company[1:3]

    past = await ok(await client.get(f"{path}?offset=100", headers=vendor.headers))
    assert past["items"] == [] and past["total"] == len(company)


async def test_staff_count_every_user_and_company(client, pool, staff, vendor, other_vendor):
    async with pool.acquire() as connection:
        users = await connection.fetchval("SELECT count(*) FROM users")
        vendors = await connection.fetchval("SELECT count(*) FROM vendors")
    listed = await ok(await client.get("/v1/users?limit=1", headers=staff.headers))
    assert listed["total"] == users and len(listed["items"]) == 1
    companies = await ok(await client.get("/v1/vendors?limit=1&offset=1", headers=staff.headers))
    assert companies["total"] == vendors and len(companies["items"]) == 1
    own = await ok(await client.get("/v1/vendors", headers=vendor.headers))
    assert own["total"] == 1 and [v["id"] for v in own["items"]] == [vendor.vendor_id]


async def test_api_keys_are_listed_whole_by_default_and_paged_when_asked(
    client, vendor, other_vendor
):
    made = []
    for name in ("ci", "deploy", "backup"):
        key = await ok(
            await client.post("/v1/api-keys", json={"name": name}, headers=vendor.headers), 201
        )
        made.append(key["id"])
    await ok(await client.post("/v1/api-keys", headers=other_vendor.headers), 201)

    listed = await ok(await client.get("/v1/api-keys", headers=vendor.headers))
    assert [key["id"] for key in listed["items"]] == made
    assert (listed["total"], listed["limit"], listed["offset"]) == (3, 1000, 0)
    page = await ok(await client.get("/v1/api-keys?limit=2&offset=2", headers=vendor.headers))
    assert [key["id"] for key in page["items"]] == made[2:]
    assert page["total"] == 3


async def _refusal(response: Any, status: int = 400) -> str:
    body = await ok(response, status)
    return str(body["error"]["message"])


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/auth/register", {"email": None, "password": PASSWORD, "company": "X"}, "email"),
        (
            "/v1/auth/register",
            {"email": "a@b.example", "password": PASSWORD, "company": None},
            "company",
        ),
        (
            "/v1/auth/register",
            {"email": "a@b.example", "password": PASSWORD, "company": "X", "kind": None},
            "kind",
        ),
        ("/v1/auth/token", {"email": "a@b.example", "password": None}, "password"),
        ("/v1/auth/confirm", {"token": None}, "token"),
        (
            "/v1/auth/password-reset/confirm",
            {"token": "x", "password": PASSWORD, "revoke_api_keys": None},
            "revoke_api_keys",
        ),
    ],
)
async def test_a_null_where_a_value_is_required_is_refused_naming_the_field(
    client, path, body, field
):
    assert f"'{field}'" in await _refusal(await client.post(path, json=body))


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/api-keys", {"name": None}, "name"),
        (
            "/v1/users",
            {"email": "n@vendor-a.example", "password": PASSWORD, "company": None},
            "company",
        ),
        (
            "/v1/users",
            {"email": "n@vendor-a.example", "password": PASSWORD, "vendor_id": None},
            "vendor_id",
        ),
        ("/v1/users", {"email": "n@vendor-a.example", "password": PASSWORD, "role": None}, "role"),
        ("/v1/colleagues", {"email": "n@vendor-a.example", "company_role": None}, "company_role"),
    ],
)
async def test_a_null_for_a_field_left_out_is_refused_too(client, vendor, path, body, field):
    response = await client.post(path, json=body, headers=vendor.headers)
    assert f"'{field}'" in await _refusal(response)


@pytest.mark.parametrize(
    ("path", "body", "words"),
    [
        ("/v1/api-keys", {"name": "   "}, "'name' must not be empty"),
        ("/v1/api-keys", {"name": "x" * 101}, "'name'"),
        ("/v1/users", {"email": "not an address", "password": PASSWORD}, "'email'"),
        ("/v1/users", {"email": "n@vendor-a.example", "password": "short"}, "'password'"),
        (
            "/v1/users",
            {"email": "n@vendor-a.example", "password": PASSWORD, "vendor_id": 0},
            "'vendor_id'",
        ),
        (
            "/v1/users",
            {"email": "n@vendor-a.example", "password": PASSWORD, "vendor_id": True},
            "'vendor_id'",
        ),
        (
            "/v1/users",
            {"email": "n@vendor-a.example", "password": PASSWORD, "vendor_id": 1.0},
            "'vendor_id'",
        ),
        (
            "/v1/users",
            {"email": "n@vendor-a.example", "password": PASSWORD, "role": "root"},
            "'role'",
        ),
    ],
)
async def test_what_the_old_parser_refused_is_still_refused(client, staff, path, body, words):
    response = await client.post(path, json=body, headers=staff.headers)
    assert words in await _refusal(response)


async def test_a_name_that_cannot_be_stored_is_refused(client, vendor):
    raw = b'{"name": "key \\ud800"}'
    response = await client.post("/v1/api-keys", data=raw, headers=vendor.headers)
    assert "lone surrogate" in await _refusal(response)


async def test_registration_refuses_a_company_of_spaces(client):
    body = {"email": "someone@new.example", "password": PASSWORD, "company": "   "}
    refused = await _refusal(await client.post("/v1/auth/register", json=body))
    assert "'company' must not be empty" in refused


@pytest.mark.parametrize(
    "query",
    ["limit=", "offset=", "limit=0", "limit=1001", "limit=%D9%A3", "limit=1.0", "offset=-1"],
)
async def test_an_empty_or_malformed_page_query_is_refused(client, vendor, query):
    for path in ("/v1/users", "/v1/colleagues", "/v1/vendors", "/v1/api-keys"):
        refused = await _refusal(await client.get(f"{path}?{query}", headers=vendor.headers))
        assert "query parameter" in refused and query.split("=")[0] in refused


async def test_an_empty_or_missing_confirmation_token_is_refused(client):
    for query in ("", "?token=", "?token=" + "x" * 201):
        assert "'token'" in await _refusal(await client.get(f"/v1/auth/confirm{query}"))


async def test_access_is_refused_before_the_body_is_read(client, vendor):
    patch = f"/v1/vendors/{vendor.vendor_id}"
    assert (await client.patch(patch, json={})).status == 401
    assert (await client.patch(patch, json={}, headers=vendor.headers)).status == 403
    assert (await client.post("/v1/api-keys", data=b"[")).status == 401


async def test_every_answer_is_as_documented(client, staff, vendor, other_vendor, pool):
    """Each accounts operation called for real (successes and refusals), each answer's body
    checked against the schema the document gives for its status."""
    document = await served_document(client)
    checked: set[str] = set()

    async def call(method: str, template: str, path: str, status: int, **kwargs: Any) -> Any:
        response = await client.request(method, path, **kwargs)
        body = await ok(response, status)
        check_answer(document, method, template, status, body)
        checked.add(f"{method} {template}")
        return body

    signed = {"headers": vendor.headers}
    await call("GET", "/v1/me", "/v1/me", 200, **signed)
    await call("GET", "/v1/me", "/v1/me", 200, headers=staff.headers)
    await call("GET", "/v1/me", "/v1/me", 401)
    key = await call("POST", "/v1/api-keys", "/v1/api-keys", 201, **signed)
    await call("POST", "/v1/api-keys", "/v1/api-keys", 400, json={"name": ""}, **signed)
    await call("GET", "/v1/api-keys", "/v1/api-keys", 200, **signed)
    await call("DELETE", "/v1/api-keys/{key_id}", f"/v1/api-keys/{key['id']}", 200, **signed)
    await call("DELETE", "/v1/api-keys/{key_id}", "/v1/api-keys/999999", 404, **signed)
    user = await call(
        "POST",
        "/v1/users",
        "/v1/users",
        201,
        json={"email": "dora@vendor-a.example", "password": PASSWORD},
        **signed,
    )
    await call(
        "POST",
        "/v1/users",
        "/v1/users",
        409,
        json={"email": "dora@vendor-a.example", "password": PASSWORD},
        **signed,
    )
    await call("GET", "/v1/users", "/v1/users", 200, headers=staff.headers)
    await call("GET", "/v1/users/{user_id}", f"/v1/users/{user['id']}", 200, **signed)
    await call("GET", "/v1/users/{user_id}", "/v1/users/x", 404, **signed)
    disable = "/v1/users/{user_id}/disable"
    await call("POST", disable, disable.format(user_id=user["id"]), 200, **signed)
    await call("POST", disable, disable.format(user_id=vendor.user_id), 403, **signed)
    enable = "/v1/users/{user_id}/enable"
    await call("POST", enable, enable.format(user_id=user["id"]), 200, json={}, **signed)
    await call("GET", "/v1/colleagues", "/v1/colleagues", 200, **signed)
    await call("GET", "/v1/colleagues", "/v1/colleagues", 403, headers=staff.headers)
    await call(
        "POST",
        "/v1/colleagues",
        "/v1/colleagues",
        201,
        json={"email": "erin@vendor-a.example", "company_role": "admin"},
        **signed,
    )
    await call("GET", "/v1/vendors", "/v1/vendors", 200, headers=staff.headers)
    vendor_path = f"/v1/vendors/{other_vendor.vendor_id}"
    await call("GET", "/v1/vendors/{vendor_id}", vendor_path, 200, headers=staff.headers)
    await call("GET", "/v1/vendors/{vendor_id}", vendor_path, 404, **signed)
    await call(
        "PATCH",
        "/v1/vendors/{vendor_id}",
        vendor_path,
        200,
        json={"discount_percent": 15},
        headers=staff.headers,
    )
    await call(
        "PATCH",
        "/v1/vendors/{vendor_id}",
        vendor_path,
        400,
        json={"discount_percent": 101},
        headers=staff.headers,
    )

    email = "frank@new.example"
    registration = {"email": email, "password": PASSWORD, "company": "Frank Ltd"}
    await call("POST", "/v1/auth/register", "/v1/auth/register", 202, json=registration)
    await call("POST", "/v1/auth/register", "/v1/auth/register", 400, json={})
    async with pool.acquire() as connection:
        mail = await connection.fetchval(
            "SELECT body FROM outbox WHERE recipient = $1 ORDER BY id DESC LIMIT 1", email
        )
    token = re.search(r"confirm\?token=(\S+)", mail)[1]  # type: ignore[index]
    await call("GET", "/v1/auth/confirm", "/v1/auth/confirm?token=wrong", 404)
    await call("GET", "/v1/auth/confirm", f"/v1/auth/confirm?token={token}", 200)
    await call("POST", "/v1/auth/confirm", "/v1/auth/confirm", 404, json={"token": token})
    signed_in = {"email": email, "password": PASSWORD}
    fresh = await call("POST", "/v1/auth/token", "/v1/auth/token", 200, json=signed_in)
    wrong = {"email": email, "password": "not the password"}
    await call("POST", "/v1/auth/token", "/v1/auth/token", 401, json=wrong)
    change = {"current_password": PASSWORD, "new_password": "another long password"}
    await call(
        "POST",
        "/v1/auth/password",
        "/v1/auth/password",
        200,
        json=change,
        headers={"Authorization": f"Bearer {fresh['access_token']}"},
    )
    reset = "/v1/auth/password-reset"
    await call("POST", reset, reset, 202, json={"email": email})
    async with pool.acquire() as connection:
        mail = await connection.fetchval(
            "SELECT body FROM outbox WHERE recipient = $1 ORDER BY id DESC LIMIT 1", email
        )
    code = re.search(r"Reset code[^:]*: (\S+)", mail)[1]  # type: ignore[index]
    confirm = "/v1/auth/password-reset/confirm"
    await call("POST", confirm, confirm, 200, json={"token": code, "password": PASSWORD})
    await call("POST", confirm, confirm, 404, json={"token": code, "password": PASSWORD})

    declared = {f"{endpoint.method} {endpoint.path}" for endpoint in ENDPOINTS}
    assert declared - checked == set()
