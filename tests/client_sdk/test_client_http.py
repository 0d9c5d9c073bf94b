"""The Client against a scripted server: what it sends, and how answers become results or errors.

The same flows against the real server are in test_client_live.py; here the server is made to
refuse, fail and disappear on cue.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from client_sdk import ActivationError, Client, LicenseError
from tests.client_sdk.sdk_helpers import (
    FP,
    OTHER_FP,
    PRODUCT,
    SERIAL,
    Clock,
    FakeServer,
    Recorded,
    Reply,
    Signer,
    activation_service,
)

DAY = 86400.0


def online(
    server: FakeServer, store: Path, clock: Clock | None = None, **options: object
) -> Client:
    settings: dict[str, object] = {"store_path": store, "fingerprint": FP, "retries": 0}
    if clock is not None:
        settings["clock"] = clock
    settings.update(options)
    return Client(server.url, PRODUCT, **settings)  # type: ignore[arg-type]


def refuse(server: FakeServer, signer: Signer, path: str, reply: Reply) -> None:
    service = activation_service(signer)

    def handler(request: Recorded) -> Reply:
        return reply if request.path == path else service(request)

    server.handler = handler


def test_activate_sends_the_canonical_serial_and_this_machine(
    fake_server: FakeServer, signer: Signer, store: Path
) -> None:
    fake_server.handler = activation_service(signer)
    license = online(fake_server, store).activate("7kq2m 4x9pr t3vw8 anc5j", features=["export"])
    activation = next(r for r in fake_server.requests if r.path == "/v1/activations")
    assert activation.method == "POST"
    assert activation.body["serial"] == SERIAL
    assert activation.body["fingerprint"] == FP
    assert activation.body["product"] == PRODUCT
    assert activation.body["features"] == ["export"]
    assert set(activation.body["client"]) >= {"sdk", "os"}
    assert "hostname" not in activation.body["client"]
    assert license.features == ("export",)
    assert (store / "license.json").exists()


def test_keys_are_fetched_once_and_cached_beside_the_license(
    fake_server: FakeServer, signer: Signer, store: Path
) -> None:
    fake_server.handler = activation_service(signer)
    online(fake_server, store).activate(SERIAL)
    online(fake_server, store).activate(SERIAL)
    assert fake_server.paths().count("GET /v1/keys") == 1
    assert json.loads((store / "keys.json").read_text()) == signer.jwks
    before = len(fake_server.requests)
    restarted = online(fake_server, store)
    assert restarted.load().serial == SERIAL
    assert len(fake_server.requests) == before  # load() is offline


def test_a_new_signing_key_is_fetched_when_a_license_names_it(
    fake_server: FakeServer, store: Path
) -> None:
    old, new = Signer(kid="2024"), Signer(kid="2025")
    fake_server.handler = activation_service(old)
    online(fake_server, store).activate(SERIAL)
    rotated = activation_service(new)
    fake_server.handler = lambda request: (
        (200, {"keys": [new.jwk, old.jwk]}) if request.path == "/v1/keys" else rotated(request)
    )
    assert online(fake_server, store).activate(SERIAL).key_id == "2025"
    assert fake_server.paths().count("GET /v1/keys") == 2


def test_pinned_keys_are_never_fetched(
    fake_server: FakeServer, signer: Signer, store: Path
) -> None:
    fake_server.handler = activation_service(signer)
    online(fake_server, store, public_keys=signer.pem).activate(SERIAL)
    assert "GET /v1/keys" not in fake_server.paths()


def test_pinned_keys_refuse_a_license_from_another_server(
    fake_server: FakeServer, signer: Signer, store: Path
) -> None:
    fake_server.handler = activation_service(Signer(kid=signer.kid))
    with pytest.raises(ActivationError) as caught:
        online(fake_server, store, public_keys=signer.jwks).activate(SERIAL)
    assert caught.value.code == "SIGNATURE_INVALID"
    assert not (store / "license.json").exists()


def test_a_typo_is_caught_before_any_request(fake_server: FakeServer, store: Path) -> None:
    with pytest.raises(ActivationError) as caught:
        online(fake_server, store).activate("7KQ2M-4X9PR-T3VW8-ANC5K")
    assert caught.value.code == "SERIAL_MALFORMED"
    assert "typo" in str(caught.value)
    assert fake_server.requests == []


def test_limit_reached_carries_the_counts_and_a_way_out(
    fake_server: FakeServer, signer: Signer, store: Path
) -> None:
    body = {
        "error": {"code": "ACTIVATION_LIMIT_REACHED", "message": "All 3 activations are used."},
        "limit": 3,
        "used": 3,
    }
    refuse(fake_server, signer, "/v1/activations", (409, body))
    with pytest.raises(ActivationError) as caught:
        online(fake_server, store).activate(SERIAL)
    error = caught.value
    assert (error.code, error.status) == ("ACTIVATION_LIMIT_REACHED", 409)
    assert error.details == {"limit": 3, "used": 3}
    assert "All 3 activations are used." in str(error)
    assert "Deactivate" in str(error)
    assert not isinstance(error, LicenseError)


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (404, "SERIAL_NOT_FOUND"),
        (403, "SERIAL_BLOCKED"),
        (403, "SERIAL_EXPIRED"),
        (403, "PRODUCT_MISMATCH"),
        (403, "FEATURES_NOT_LICENSED"),
        (400, "INVALID_REQUEST"),
    ],
)
def test_server_codes_pass_through(
    fake_server: FakeServer, signer: Signer, store: Path, status: int, code: str
) -> None:
    refuse(
        fake_server, signer, "/v1/activations", (status, {"error": {"code": code, "message": "m"}})
    )
    with pytest.raises(ActivationError) as caught:
        online(fake_server, store).activate(SERIAL)
    assert caught.value.code == code


def test_rate_limited_says_when_to_come_back(
    fake_server: FakeServer, signer: Signer, store: Path
) -> None:
    body = {"error": {"code": "RATE_LIMITED", "message": "Too many attempts."}}
    refuse(fake_server, signer, "/v1/activations", (429, body, {"Retry-After": "60"}))
    with pytest.raises(ActivationError) as caught:
        online(fake_server, store, retries=3).activate(SERIAL)
    assert caught.value.code == "RATE_LIMITED"
    assert caught.value.retry_after == 60.0
    assert fake_server.paths().count("POST /v1/activations") == 1


def test_unreachable_service_is_network_error(store: Path) -> None:
    client = Client("http://127.0.0.1:9", PRODUCT, store_path=store, fingerprint=FP, retries=0)
    with pytest.raises(ActivationError) as caught:
        client.activate(SERIAL)
    assert caught.value.code == "NETWORK_ERROR"
    assert "offline" in str(caught.value)


@pytest.mark.parametrize(
    ("reply", "code"),
    [
        ((200, b"<html>captive portal</html>"), "PROTOCOL_ERROR"),
        ((201, {"activation_id": "x"}), "PROTOCOL_ERROR"),
        ((502, b"Bad Gateway"), "SERVICE_UNAVAILABLE"),
        ((418, b"teapot"), "PROTOCOL_ERROR"),
    ],
)
def test_answers_that_are_not_the_api(
    fake_server: FakeServer, signer: Signer, store: Path, reply: Reply, code: str
) -> None:
    refuse(fake_server, signer, "/v1/activations", reply)
    with pytest.raises(ActivationError) as caught:
        online(fake_server, store).activate(SERIAL)
    assert caught.value.code == code


def test_a_license_for_another_machine_is_not_stored(
    fake_server: FakeServer, signer: Signer, store: Path
) -> None:
    fake_server.handler = activation_service(signer, fp=OTHER_FP)
    with pytest.raises(ActivationError) as caught:
        online(fake_server, store).activate(SERIAL)
    assert caught.value.code == "WRONG_MACHINE"
    assert not (store / "license.json").exists()


def test_without_a_server_url_online_calls_say_so(signer: Signer, store: Path) -> None:
    with pytest.raises(ActivationError) as caught:
        Client(None, PRODUCT, store_path=store, fingerprint=FP).activate(SERIAL)
    assert caught.value.code == "NO_SERVER"


# -- validate -----------------------------------------------------------------------------------


def test_validate_asks_with_the_license(
    fake_server: FakeServer, signer: Signer, store: Path, clock: Clock
) -> None:
    fake_server.handler = activation_service(signer)
    client = online(fake_server, store, clock)
    license = client.activate(SERIAL)
    clock.advance(DAY)
    assert client.validate() == license
    request = fake_server.requests[-1]
    assert (request.path, request.body) == ("/v1/validations", {"license": license.token})
    assert json.loads((store / "license.json").read_text())["last_checked"] == clock.now


def test_validate_offline_within_the_grace_period(
    fake_server: FakeServer, signer: Signer, store: Path, clock: Clock
) -> None:
    fake_server.handler = activation_service(signer)
    online(fake_server, store, clock).activate(SERIAL)
    gone = Client(
        "http://127.0.0.1:9",
        PRODUCT,
        store_path=store,
        fingerprint=FP,
        retries=0,
        clock=clock,
        offline_grace=timedelta(days=3),
    )
    clock.advance(2 * DAY)
    assert gone.validate().serial == SERIAL
    clock.advance(2 * DAY)
    with pytest.raises(LicenseError) as caught:
        gone.validate()
    assert caught.value.code == "OFFLINE_GRACE_EXPIRED"
    assert "3 days" in str(caught.value)


def test_validate_treats_an_overloaded_service_as_unreachable(
    fake_server: FakeServer, signer: Signer, store: Path, clock: Clock
) -> None:
    online_client = online(fake_server, store, clock, offline_grace=timedelta(days=1))
    fake_server.handler = activation_service(signer)
    online_client.activate(SERIAL)
    refuse(
        fake_server, signer, "/v1/validations", (503, {"error": {"code": "SERVICE_UNAVAILABLE"}})
    )
    assert online_client.validate().serial == SERIAL
    clock.advance(2 * DAY)
    with pytest.raises(LicenseError) as caught:
        online_client.validate()
    assert caught.value.code == "OFFLINE_GRACE_EXPIRED"


def test_a_refusal_is_remembered_offline_until_the_service_says_otherwise(
    fake_server: FakeServer, signer: Signer, store: Path
) -> None:
    fake_server.handler = activation_service(signer)
    client = online(fake_server, store)
    client.activate(SERIAL)
    refuse(fake_server, signer, "/v1/validations", (200, {"valid": False, "code": "DEACTIVATED"}))
    with pytest.raises(LicenseError) as caught:
        client.validate()
    assert caught.value.code == "DEACTIVATED"
    with pytest.raises(LicenseError) as caught:
        online(fake_server, store).load()
    assert caught.value.code == "DEACTIVATED"
    fake_server.handler = activation_service(signer)
    client.validate()
    assert client.load().serial == SERIAL


def test_a_remembered_refusal_is_not_undone_by_going_offline(
    fake_server: FakeServer, signer: Signer, store: Path
) -> None:
    fake_server.handler = activation_service(signer)
    online(fake_server, store).activate(SERIAL)
    refuse(
        fake_server, signer, "/v1/validations", (200, {"valid": False, "code": "SERIAL_BLOCKED"})
    )
    with pytest.raises(LicenseError):
        online(fake_server, store).validate()
    unplugged = Client("http://127.0.0.1:9", PRODUCT, store_path=store, fingerprint=FP, retries=0)
    with pytest.raises(LicenseError) as caught:
        unplugged.validate()
    assert caught.value.code == "SERIAL_BLOCKED"


def test_validate_refuses_locally_before_asking(
    fake_server: FakeServer, signer: Signer, store: Path
) -> None:
    fake_server.handler = activation_service(signer)
    online(fake_server, store).activate(SERIAL)
    before = len(fake_server.requests)
    elsewhere = Client(fake_server.url, PRODUCT, store_path=store, fingerprint=OTHER_FP)
    with pytest.raises(LicenseError) as caught:
        elsewhere.validate()
    assert caught.value.code == "WRONG_MACHINE"
    assert len(fake_server.requests) == before


# -- deactivate ---------------------------------------------------------------------------------


def test_deactivate_frees_the_slot_and_forgets_the_license(
    fake_server: FakeServer, signer: Signer, store: Path
) -> None:
    fake_server.handler = activation_service(signer)
    client = online(fake_server, store)
    license = client.activate(SERIAL)
    receipt = client.deactivate()
    assert (receipt.used, receipt.limit) == (0, 3)
    assert fake_server.requests[-1].body == {"license": license.token}
    with pytest.raises(LicenseError) as caught:
        client.load()
    assert caught.value.code == "NOT_ACTIVATED"


def test_a_refused_deactivation_keeps_the_license(
    fake_server: FakeServer, signer: Signer, store: Path
) -> None:
    fake_server.handler = activation_service(signer)
    client = online(fake_server, store)
    client.activate(SERIAL)
    body = {"error": {"code": "DEACTIVATION_NOT_ALLOWED", "message": "Trials stay."}}
    refuse(fake_server, signer, "/v1/deactivations", (403, body))
    with pytest.raises(ActivationError) as caught:
        client.deactivate()
    assert caught.value.code == "DEACTIVATION_NOT_ALLOWED"
    assert client.load().serial == SERIAL


def test_deactivate_without_a_license_is_not_activated(
    fake_server: FakeServer, store: Path
) -> None:
    with pytest.raises(LicenseError) as caught:
        online(fake_server, store).deactivate()
    assert caught.value.code == "NOT_ACTIVATED"
    assert fake_server.requests == []
