"""The offline activation page: the SDK's request code in, the license text out, and every
refusal explained, through the very rules of the activation API."""

from __future__ import annotations

import json

from aiohttp.test_utils import TestClient

from client_sdk.offline import encode_request
from tests.conftest import Factory, fingerprint
from tests.vendor_portal.pages.portal import Portal, field_value


async def _submit(portal: Portal, code: str, status: int = 200) -> str:
    await portal.get("/portal/activate")
    return await portal.post("/portal/activate", {"request": code}, status=status)


def _license(text: str) -> dict[str, object]:
    start = text.index('data-test="license-text">') + len('data-test="license-text">')
    import html

    return json.loads(html.unescape(text[start : text.index("</textarea>", start)]))


async def test_a_request_code_gives_the_license_and_again_the_same(
    client: TestClient, factory: Factory
) -> None:
    serial = await factory.serial("SP3", product="ACME", features=["export", "print"])
    code = encode_request(serial, fingerprint("offline"), "ACME", ["export"])
    portal = Portal(client)
    text = await _submit(portal, code)
    assert "The license is issued" in text
    answer = _license(text)
    assert answer["serial"] == serial and answer["features"] == ["export"]
    assert answer["activations"] == {"used": 1, "limit": 3}
    assert str(answer["license"]).count(".") == 2

    again = await _submit(portal, code)
    assert "was activated already" in again
    assert _license(again)["activation_id"] == answer["activation_id"]

    # The same license as a file.
    response = await client.post(
        "/portal/activate/license", data={"request": code, "csrf_token": portal.token}
    )
    assert response.status == 200
    assert "attachment" in response.headers["Content-Disposition"]
    assert json.loads(await response.text())["activation_id"] == answer["activation_id"]

    # The activation is the API's: the JSON endpoint answers the same activation.
    api = await client.post("/v1/offline-activations", json={"request": code})
    assert api.status == 200 and (await api.json())["activation_id"] == answer["activation_id"]


async def test_every_refusal_is_explained_and_the_code_is_kept(
    client: TestClient, factory: Factory
) -> None:
    portal = Portal(client)
    serial = await factory.serial("SP1", product="ACME", features=["export"])
    await _submit(portal, encode_request(serial, fingerprint("first"), "ACME"))

    cases = {
        "Every activation of this serial number is in use (1 of 1)": encode_request(
            serial, fingerprint("second"), "ACME"
        ),
        "does not license: print": encode_request(
            await factory.serial("SP3", product="ACME", features=["export"]),
            fingerprint("x"),
            "ACME",
            ["export", "print"],
        ),
        "another program than the one this serial number is for": encode_request(
            await factory.serial("SP3", product="ACME"), fingerprint("x"), "OTHER"
        ),
        "No such serial number": encode_request(
            "01234-56789-ABCDE-FGHJS", fingerprint("x"), "ACME"
        ),
        "That is not a serial number": encode_request(
            "01234-56789-ABCDE-FGHJ0", fingerprint("x"), "ACME"
        ),
        "This is not a complete activation request code": "-----BEGIN ACTIVATION REQUEST-----\n"
        "ABCDE-FGHIJ\n-----END ACTIVATION REQUEST-----",
    }
    for expected, code in cases.items():
        text = await _submit(portal, code, status=422)
        assert expected in text, expected
        assert 'data-test="license-text"' not in text
        assert field_value(text, "request") == code.strip()

    empty = await _submit(portal, "   ", status=422)
    assert "Fill this in." in empty


async def test_a_blocked_serial_is_refused(client: TestClient, factory: Factory) -> None:
    serial = await factory.serial("SP3", product="ACME")
    async with factory.pool.acquire() as connection:
        await connection.execute("UPDATE serials SET status = 'blocked' WHERE serial = $1", serial)
    text = await _submit(
        Portal(client), encode_request(serial, fingerprint("x"), "ACME"), status=422
    )
    assert "blocked by its vendor" in text
