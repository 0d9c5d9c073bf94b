from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from typing import Any

import asyncpg
import jwt
import pytest
from aiohttp.test_utils import TestClient
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from activation_server.activations.requests import MAX_CLIENT_BYTES
from client_sdk.offline import encode_request
from client_sdk.serial import ALPHABET, check_symbol
from tests.conftest import Factory, fingerprint, license_vendor


def unknown_serial() -> str:
    payload = "Z" * 10 + "0" * 9
    symbols = payload + check_symbol(payload)
    return "-".join(symbols[i : i + 5] for i in range(0, 20, 5))


async def activate(
    api: TestClient, serial: str, machine: object = 1, **extra: Any
) -> tuple[int, dict[str, Any]]:
    response = await api.post(
        "/v1/activations", json={"serial": serial, "fingerprint": fingerprint(machine), **extra}
    )
    return response.status, await response.json()


async def public_keys(client: TestClient) -> dict[str, Any]:
    response = await client.get("/v1/keys")
    assert response.status == 200
    return {key["kid"]: jwt.PyJWK(key) for key in (await response.json())["keys"]}


async def verify(client: TestClient, token: str, product: str) -> dict[str, Any]:
    keys = await public_keys(client)
    kid = jwt.get_unverified_header(token)["kid"]
    return jwt.decode(token, keys[kid].key, algorithms=["EdDSA"], audience=product)


async def test_activation_answers_201_with_a_license_that_verifies_against_the_jwks(
    client: TestClient, factory: Factory
) -> None:
    serial = await factory.serial("SP3", product="ACME", features=["export", "print"])
    status, body = await activate(client, serial.lower().replace("-", " "), client={"os": "linux"})
    assert status == 201
    assert body["serial"] == serial
    assert body["product"] == "ACME"
    assert body["type"] == "full"
    assert body["features"] == ["export", "print"]
    assert body["activations"] == {"used": 1, "limit": 3}
    assert body["expires_at"] is None
    claims = await verify(client, body["license"], "ACME")
    assert claims["sub"] == serial
    assert claims["fp"] == fingerprint(1)
    assert claims["aid"] == body["activation_id"]
    assert claims["typ"] == "full"
    assert claims["feat"] == ["export", "print"]
    assert claims["iss"] == "activation-server"
    assert "exp" not in claims


async def test_the_same_machine_gets_the_same_activation_and_claims_without_a_slot(
    client: TestClient, factory: Factory
) -> None:
    serial = await factory.serial("SP1")
    first_status, first = await activate(client, serial)
    again_status, again = await activate(client, serial)
    assert (first_status, again_status) == (201, 200)
    assert again["activation_id"] == first["activation_id"]
    assert again["activations"] == {"used": 1, "limit": 1}
    assert await verify(client, again["license"], "ACME") == await verify(
        client, first["license"], "ACME"
    )


async def test_requested_features_may_be_fewer_but_never_more(
    client: TestClient, factory: Factory
) -> None:
    serial = await factory.serial("SP3", features=["export", "print"])
    status, body = await activate(client, serial, features=["export"])
    assert status == 201
    assert body["features"] == ["export"]
    status, body = await activate(client, serial, machine=2, features=["export", "cloud", "ai"])
    assert status == 403
    assert body["error"]["code"] == "FEATURES_NOT_LICENSED"
    assert "ai" in body["error"]["message"] and "cloud" in body["error"]["message"]


async def test_product_must_match_when_given(client: TestClient, factory: Factory) -> None:
    serial = await factory.serial("SP3", product="ACME")
    status, body = await activate(client, serial, product="OTHER")
    assert (status, body["error"]["code"]) == (403, "PRODUCT_MISMATCH")
    status, _ = await activate(client, serial, product="ACME")
    assert status == 201


async def test_limit_reached_answers_409_with_limit_and_used(
    client: TestClient, factory: Factory
) -> None:
    serial = await factory.serial("SP1")
    assert (await activate(client, serial, machine=1))[0] == 201
    status, body = await activate(client, serial, machine=2)
    assert status == 409
    assert body["error"]["code"] == "ACTIVATION_LIMIT_REACHED"
    assert (body["error"]["limit"], body["error"]["used"]) == (1, 1)


async def test_unknown_serial_is_404_and_malformed_is_400(client: TestClient) -> None:
    status, body = await activate(client, unknown_serial())
    assert (status, body["error"]["code"]) == (404, "SERIAL_NOT_FOUND")
    good = "7KQ2M-4X9PR-T3VW8-ANC5J"
    typo = good[:3] + ("A" if good[3] != "A" else "B") + good[4:]
    status, body = await activate(client, typo)
    assert (status, body["error"]["code"]) == (400, "SERIAL_MALFORMED")


async def test_blocked_serial_is_refused_even_for_a_machine_already_activated(
    client: TestClient, factory: Factory, pool: asyncpg.Pool
) -> None:
    serial = await factory.serial("SP3")
    assert (await activate(client, serial))[0] == 201
    await pool.execute("UPDATE serials SET status = 'blocked' WHERE serial = $1", serial)
    for machine in (1, 2):
        status, body = await activate(client, serial, machine=machine)
        assert (status, body["error"]["code"]) == (403, "SERIAL_BLOCKED")


async def test_a_serial_past_its_validity_is_expired(
    client: TestClient, factory: Factory, pool: asyncpg.Pool
) -> None:
    serial = await factory.serial("SP3")
    await pool.execute(
        "UPDATE serials SET valid_until = now() - interval '1 day' WHERE serial = $1", serial
    )
    status, body = await activate(client, serial)
    assert (status, body["error"]["code"]) == (403, "SERIAL_EXPIRED")


async def test_trial_license_expires_trial_days_after_the_machines_activation(
    client: TestClient, factory: Factory
) -> None:
    serial = await factory.serial("TRIAL30K", trial_days=14)
    status, body = await activate(client, serial)
    assert status == 201
    assert body["type"] == "trial"
    assert body["activations"]["limit"] == 30000
    claims = await verify(client, body["license"], "ACME")
    assert claims["typ"] == "trial"
    assert claims["exp"] - claims["iat"] == pytest.approx(14 * 86400, abs=2)


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"[]",
        b'"a string"',
        b"{}",
        b'{"serial": 12, "fingerprint": "' + b"a" * 64 + b'"}',
        b'{"serial": "7KQ2M-4X9PR-T3VW8-ANC5J"}',
        b'{"serial": "7KQ2M-4X9PR-T3VW8-ANC5J", "fingerprint": "XYZ"}',
        b'{"serial": "7KQ2M-4X9PR-T3VW8-ANC5J", "fingerprint": "' + b"A" * 64 + b'"}',
        b'{"serial": "7KQ2M-4X9PR-T3VW8-ANC5J", "fingerprint": "'
        + b"a" * 64
        + b'", "features": "x"}',
        b'{"serial": "7KQ2M-4X9PR-T3VW8-ANC5J", "fingerprint": "'
        + b"a" * 64
        + b'", "features": [1]}',
        b'{"serial": "7KQ2M-4X9PR-T3VW8-ANC5J", "fingerprint": "' + b"a" * 64 + b'", "client": []}',
        b'{"serial": "7KQ2M-4X9PR-T3VW8-ANC5J", "fingerprint": "' + b"a" * 64 + b'", "product": 5}',
        b'{"serial": "7KQ2M-4X9PR-T3VW8-ANC5J", "fingerprint": "'
        + b"a" * 64
        + b'", "product": "\\u0000"}',
        b'{"serial": "7KQ2M-4X9PR-T3VW8-ANC5J", "fingerprint": "'
        + b"a" * 64
        + b'", "product": "\\ud800"}',
        b'{"serial": "7KQ2M-4X9PR-T3VW8-ANC5J", "fingerprint": "'
        + b"a" * 64
        + b'", "client": {"k": "\\u0000"}}',
        b"\xff\xfe",
    ],
)
async def test_bad_bodies_answer_400_invalid_request(client: TestClient, payload: bytes) -> None:
    response = await client.post(
        "/v1/activations", data=payload, headers={"Content-Type": "application/json"}
    )
    assert response.status == 400
    body = await response.json()
    assert body["error"]["code"] == "INVALID_REQUEST"
    assert body["error"]["message"]


async def test_client_metadata_over_2_kib_is_refused(client: TestClient, factory: Factory) -> None:
    serial = await factory.serial("SP3")
    status, body = await activate(client, serial, client={"notes": "x" * MAX_CLIENT_BYTES})
    assert (status, body["error"]["code"]) == (400, "INVALID_REQUEST")
    status, _ = await activate(client, serial, client={"notes": "x" * 100})
    assert status == 201


async def test_oversized_body_is_413_and_unknown_route_is_json_404(client: TestClient) -> None:
    response = await client.post("/v1/activations", data=b"{" + b" " * 200_000 + b"}")
    assert response.status == 413
    assert (await response.json())["error"]["code"] == "PAYLOAD_TOO_LARGE"
    response = await client.get("/v1/nothing-here")
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "NOT_FOUND"
    response = await client.get("/v1/activations")
    assert response.status == 405
    assert (await response.json())["error"]["code"] == "METHOD_NOT_ALLOWED"


async def test_guessing_serials_is_rate_limited_per_address(
    aiohttp_client: Any, settings: Any
) -> None:
    from activation_server.composition import build_app

    app = build_app(settings.with_overrides(rate_limit_failures=5, rate_limit_window_seconds=60))
    client = await aiohttp_client(app)
    codes = []
    for _ in range(7):
        status, body = await activate(client, unknown_serial())
        codes.append(status)
        if status == 429:
            assert body["error"]["code"] == "RATE_LIMITED"
    assert codes[:5] == [404] * 5
    assert codes[5:] == [429, 429]
    response = await client.post(
        "/v1/activations", json={"serial": unknown_serial(), "fingerprint": fingerprint(1)}
    )
    assert int(response.headers["Retry-After"]) >= 1


async def test_database_unreachable_answers_503_with_retry_after(
    client: TestClient, factory: Factory, pool: asyncpg.Pool
) -> None:
    serial = await factory.serial("SP3")
    await pool.close()
    status, body = await activate(client, serial)
    assert (status, body["error"]["code"]) == (503, "SERVICE_UNAVAILABLE")
    response = await client.post(
        "/v1/activations", json={"serial": serial, "fingerprint": fingerprint(1)}
    )
    assert int(response.headers["Retry-After"]) > 0
    assert (await client.get("/readyz")).status == 503
    assert (await client.get("/healthz")).status == 200


async def test_200_machines_on_one_sp3_serial_get_exactly_3_slots(
    client: TestClient, factory: Factory, pool: asyncpg.Pool
) -> None:
    serial = await factory.serial("SP3")
    results = await asyncio.gather(*(activate(client, serial, machine=n) for n in range(200)))
    statuses = Counter(status for status, _ in results)
    assert statuses == {201: 3, 409: 197}
    assert await pool.fetchval("SELECT used FROM serials WHERE serial = $1", serial) == 3
    assert await pool.fetchval("SELECT count(*) FROM activations WHERE serial = $1", serial) == 3


async def test_200_concurrent_activations_by_one_machine_take_one_slot(
    client: TestClient, factory: Factory, pool: asyncpg.Pool
) -> None:
    serial = await factory.serial("SP3")
    results = await asyncio.gather(*(activate(client, serial, machine="same") for _ in range(200)))
    statuses = Counter(status for status, _ in results)
    assert statuses == {201: 1, 200: 199}
    assert len({body["activation_id"] for _, body in results}) == 1
    assert await pool.fetchval("SELECT used FROM serials WHERE serial = $1", serial) == 1


async def test_trial_pool_of_50_under_80_machines_grants_exactly_50(
    client: TestClient, factory: Factory, pool: asyncpg.Pool
) -> None:
    serial = await factory.serial("TRIAL30K", limit=50)
    results = await asyncio.gather(*(activate(client, serial, machine=n) for n in range(80)))
    statuses = Counter(status for status, _ in results)
    assert statuses == {201: 50, 409: 30}
    assert await pool.fetchval("SELECT used FROM serials WHERE serial = $1", serial) == 50


async def test_deactivate_frees_the_slot_and_is_idempotent(
    client: TestClient, factory: Factory
) -> None:
    serial = await factory.serial("SP1")
    _, first = await activate(client, serial, machine="old")
    response = await client.post("/v1/deactivations", json={"license": first["license"]})
    assert response.status == 200
    body = await response.json()
    assert body["activation_id"] == first["activation_id"]
    assert body["activations"] == {"used": 0, "limit": 1}
    assert body["deactivated_at"]
    again = await client.post("/v1/deactivations", json={"license": first["license"]})
    assert again.status == 200
    assert await again.json() == body
    status, moved = await activate(client, serial, machine="new")
    assert status == 201
    # The old machine comes back: its activation was deactivated, so it needs a free slot.
    status, refused = await activate(client, serial, machine="old")
    assert (status, refused["error"]["code"]) == (409, "ACTIVATION_LIMIT_REACHED")
    await client.post("/v1/deactivations", json={"license": moved["license"]})
    status, back = await activate(client, serial, machine="old")
    assert status == 201
    assert back["activation_id"] != first["activation_id"]


async def test_concurrent_deactivations_free_one_slot(
    client: TestClient, factory: Factory, pool: asyncpg.Pool
) -> None:
    serial = await factory.serial("SP3")
    _, first = await activate(client, serial, machine=1)
    await activate(client, serial, machine=2)
    responses = await asyncio.gather(
        *(client.post("/v1/deactivations", json={"license": first["license"]}) for _ in range(20))
    )
    assert {r.status for r in responses} == {200}
    assert await pool.fetchval("SELECT used FROM serials WHERE serial = $1", serial) == 1


async def test_trials_cannot_be_deactivated(client: TestClient, factory: Factory) -> None:
    serial = await factory.serial("TRIAL100K")
    _, body = await activate(client, serial)
    response = await client.post("/v1/deactivations", json={"license": body["license"]})
    assert response.status == 403
    assert (await response.json())["error"]["code"] == "DEACTIVATION_NOT_ALLOWED"


async def test_deactivation_needs_a_license_this_server_signed(
    client: TestClient, factory: Factory
) -> None:
    serial = await factory.serial("SP3")
    _, body = await activate(client, serial)
    forged = jwt.encode(
        jwt.decode(body["license"], options={"verify_signature": False}),
        Ed25519PrivateKey.generate(),
        algorithm="EdDSA",
        headers={"kid": jwt.get_unverified_header(body["license"])["kid"]},
    )
    response = await client.post("/v1/deactivations", json={"license": forged})
    assert response.status == 403
    assert (await response.json())["error"]["code"] == "SIGNATURE_INVALID"
    response = await client.post("/v1/deactivations", json={"license": "not-a-token"})
    assert response.status == 400


async def test_validations_report_every_state(
    client: TestClient, factory: Factory, pool: asyncpg.Pool
) -> None:
    serial = await factory.serial("SP3")
    _, body = await activate(client, serial)

    async def validate(payload: dict[str, Any]) -> dict[str, Any]:
        response = await client.post("/v1/validations", json=payload)
        assert response.status == 200
        return await response.json()

    verdict = await validate({"license": body["license"]})
    assert (verdict["valid"], verdict["code"]) == (True, "VALID")
    assert verdict["activation_id"] == body["activation_id"]
    assert (await validate({"serial": serial, "fingerprint": fingerprint(1)}))["code"] == "VALID"
    assert (await validate({"serial": serial, "fingerprint": fingerprint(9)}))[
        "code"
    ] == "NOT_ACTIVATED"
    # A machine with no activation learns nothing of the serial, whether it exists or not.
    assert (await validate({"serial": unknown_serial(), "fingerprint": fingerprint(1)}))[
        "code"
    ] == "NOT_ACTIVATED"
    tampered = body["license"][:-4] + ("AAAA" if not body["license"].endswith("AAAA") else "BBBB")
    assert (await validate({"license": tampered}))["code"] == "SIGNATURE_INVALID"

    await pool.execute("UPDATE serials SET status = 'blocked' WHERE serial = $1", serial)
    assert (await validate({"license": body["license"]}))["code"] == "SERIAL_BLOCKED"
    await pool.execute("UPDATE serials SET status = 'active' WHERE serial = $1", serial)

    await client.post("/v1/deactivations", json={"license": body["license"]})
    verdict = await validate({"license": body["license"]})
    assert (verdict["valid"], verdict["code"]) == (False, "DEACTIVATED")
    assert (await validate({"serial": serial, "fingerprint": fingerprint(1)}))[
        "code"
    ] == "DEACTIVATED"


async def test_an_expired_trial_validates_as_expired(
    client: TestClient, factory: Factory, pool: asyncpg.Pool
) -> None:
    serial = await factory.serial("TRIAL30K")
    await activate(client, serial)
    await pool.execute(
        "UPDATE activations SET expires_at = now() - interval '1 second' WHERE serial = $1", serial
    )
    response = await client.post(
        "/v1/validations", json={"serial": serial, "fingerprint": fingerprint(1)}
    )
    assert (await response.json())["code"] == "EXPIRED"


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"license": 5},
        {"license": "abc"},
        {"serial": "7KQ2M-4X9PR-T3VW8-ANC5J"},
        {"serial": "bad", "fingerprint": "a" * 64},
    ],
)
async def test_malformed_validations_are_400(client: TestClient, payload: dict[str, Any]) -> None:
    response = await client.post("/v1/validations", json=payload)
    assert response.status == 400
    assert (await response.json())["error"]["code"] in ("INVALID_REQUEST", "SERIAL_MALFORMED")


async def test_offline_activation_answers_as_the_online_one(
    client: TestClient, factory: Factory
) -> None:
    serial = await factory.serial("SP3", features=["export", "print"])
    code = encode_request(serial, fingerprint("offline"), "ACME", ["export"])
    response = await client.post("/v1/offline-activations", json={"request": code})
    assert response.status == 201
    body = await response.json()
    assert body["features"] == ["export"]
    assert (await verify(client, body["license"], "ACME"))["fp"] == fingerprint("offline")
    again = await client.post("/v1/offline-activations", json={"request": code.lower()})
    assert again.status == 200
    assert (await again.json())["activation_id"] == body["activation_id"]
    damaged = code.replace(
        code.splitlines()[1][:5],
        "AAAAA" if not code.splitlines()[1].startswith("AAAAA") else "BBBBB",
    )
    response = await client.post("/v1/offline-activations", json={"request": damaged})
    assert response.status == 400
    assert "damaged" in (await response.json())["error"]["message"]


async def test_offline_request_with_a_mistyped_serial_is_malformed(client: TestClient) -> None:
    typo = "7KQ2M-4X9PR-T3VW8-ANC5" + next(s for s in ALPHABET if s != "J")
    response = await client.post(
        "/v1/offline-activations", json={"request": encode_request(typo, fingerprint(1))}
    )
    assert response.status == 400
    assert (await response.json())["error"]["code"] == "SERIAL_MALFORMED"


async def test_activations_are_audited(
    client: TestClient, factory: Factory, pool: asyncpg.Pool
) -> None:
    serial = await factory.serial("SP3")
    _, body = await activate(client, serial)
    await client.post("/v1/deactivations", json={"license": body["license"]})
    rows = await pool.fetch(
        "SELECT action, details FROM audit_log WHERE subject = $1 ORDER BY id", serial
    )
    assert [row["action"] for row in rows] == ["activation.create", "activation.deactivate"]
    assert all(row["details"]["activation_id"] == body["activation_id"] for row in rows)
    with pytest.raises(asyncpg.PostgresError):
        await pool.execute("DELETE FROM audit_log")


async def test_metrics_count_requests_and_activation_results(
    client: TestClient, factory: Factory
) -> None:
    serial = await factory.serial("SP3")
    await activate(client, serial)
    text = await (await client.get("/metrics")).text()
    assert 'activation_activations_total{result="created"}' in text
    assert 'route="/v1/activations"' in text


async def test_unknown_activation_id_in_a_valid_license_is_not_activated(
    client: TestClient, factory: Factory, pool: asyncpg.Pool
) -> None:
    serial = await factory.serial("SP3")
    _, body = await activate(client, serial)
    claims = jwt.decode(body["license"], options={"verify_signature": False})
    claims["aid"] = str(uuid.uuid4())
    from activation_server.appkeys import ACTIVATIONS

    keyring = client.app[ACTIVATIONS].keyring
    token = keyring.signer(license_vendor(keyring, body["license"])).sign(claims)
    response = await client.post("/v1/validations", json={"license": token})
    assert (await response.json())["code"] == "NOT_ACTIVATED"
    response = await client.post("/v1/deactivations", json={"license": token})
    assert response.status == 404
