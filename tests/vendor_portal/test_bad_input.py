"""Bad input on every endpoint of the vendor API answers a clear 4xx, never a 500."""

from __future__ import annotations

import pytest

from tests.vendor_portal.helpers import product

BODIES = [
    b"",
    b"not json",
    b"[]",
    b"null",
    b'{"email": 5, "password": []}',
    b'{"lines": "x", "features": {}, "amount": -1, "quantity": 1e400}',
    b'{"lines": [{"product": "\\u0000", "license_type": 7, "quantity": "1"}]}',
    b'{"code": "\\ud800", "name": "' + b"x" * 300 + b'", "features": [1]}',
    b'{"reference": "", "amount": 99999999999999999999999, "method": "card"}',
    b'{"discount_percent": 101, "unit_price": -5, "token": 12, "action": "burn"}',
]
PATH_VALUES = {
    "{order_id}": ["0", "abc", "99999999999999999999", "-1"],
    "{vendor_id}": ["0", "x", "1e5"],
    "{user_id}": ["0", "x"],
    "{key_id}": ["x"],
    "{code}": ["%20", "..", "a" * 100],
    "{license_type}": ["NOPE"],
    "{serial}": ["nope", "0" * 200],
}


@pytest.mark.timeout(600)
async def test_no_input_makes_a_500(client, app, staff, vendor):
    await product(client, vendor)
    checked = 0
    for resource in app.router.resources():
        info = resource.get_info()
        template = info.get("path") or info.get("formatter")
        if not template or not template.startswith("/v1/"):
            continue
        paths = [template]
        for placeholder, values in PATH_VALUES.items():
            if placeholder in template:
                paths = [p.replace(placeholder, v) for p in paths for v in values]
        for route in resource:
            if route.method == "HEAD":
                continue
            for account in (vendor, staff):
                for path in paths:
                    for body in BODIES if route.method != "GET" else [b""]:
                        response = await client.request(
                            route.method,
                            path + "?limit=-3&offset=x&status=weird&usage=?&q=%00",
                            data=body,
                            headers={**account.headers, "Content-Type": "application/json"},
                        )
                        checked += 1
                        assert response.status < 500, (
                            route.method,
                            path,
                            body,
                            response.status,
                            await response.text(),
                        )
                        if response.status >= 400:
                            error = (await response.json())["error"]
                            assert error["code"] and error["message"]
    assert checked > 500
