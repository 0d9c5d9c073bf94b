"""Offline verification and tampering (client_sdk.license, Client.install/load).

Each way of cheating is refused with its own code, so that support can tell them apart.
"""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import jwt
import pytest

from client_sdk import Client, License, LicenseError
from client_sdk import store as store_module
from client_sdk.license import KeyRing
from tests.client_sdk.sdk_helpers import FP, OTHER_FP, PRODUCT, SERIAL, Clock, Signer

DAY = 86400.0


def segment(data: dict[str, object]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def stored(store: Path) -> dict[str, object]:
    return json.loads((store / "license.json").read_text())


def rewrite_token(store: Path, token: str) -> None:
    record = stored(store)
    record["license"] = token
    (store / "license.json").write_text(json.dumps(record))


def refusal(client: Client) -> str:
    with pytest.raises(LicenseError) as caught:
        client.load()
    return caught.value.code


def test_install_then_load(signer: Signer, offline_client: Client) -> None:
    token = signer.sign()
    installed = offline_client.install(token)
    loaded = offline_client.load()
    assert loaded == installed
    assert loaded.serial == SERIAL
    assert loaded.product == PRODUCT
    assert loaded.features == ("export", "print")
    assert loaded.has_feature("export") and not loaded.has_feature("admin")
    assert loaded.expires_at is None
    assert loaded.type == "full" and not loaded.is_trial
    assert loaded.fingerprint == FP
    assert loaded.key_id == signer.kid
    assert loaded.token == token
    assert SERIAL not in repr(loaded) and token not in repr(loaded)


def test_a_restarted_application_loads_offline(signer: Signer, store: Path) -> None:
    Client(None, PRODUCT, store_path=store, public_keys=signer.jwks, fingerprint=FP).install(
        signer.sign()
    )
    again = Client(None, PRODUCT, store_path=store, public_keys=signer.pem, fingerprint=FP)
    assert again.load().serial == SERIAL


def test_nothing_stored_is_not_activated(offline_client: Client) -> None:
    assert refusal(offline_client) == "NOT_ACTIVATED"


# -- the five ways of cheating the issue names, and their codes --------------------------------


def test_changed_payload_is_signature_invalid(
    signer: Signer, store: Path, offline_client: Client
) -> None:
    token = signer.sign()
    offline_client.install(token)
    header, _, signature = token.split(".")
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["feat"] = [*claims["feat"], "admin"]
    rewrite_token(store, f"{header}.{segment(claims)}.{signature}")
    assert refusal(offline_client) == "SIGNATURE_INVALID"


def test_license_signed_by_another_key_is_signature_invalid(
    signer: Signer, store: Path, offline_client: Client
) -> None:
    offline_client.install(signer.sign())
    forger = Signer(kid=signer.kid)  # even claiming the genuine key's id
    rewrite_token(store, forger.sign(feat=["export", "print", "admin"]))
    assert refusal(offline_client) == "SIGNATURE_INVALID"
    with pytest.raises(LicenseError) as caught:
        offline_client.install(forger.sign())
    assert caught.value.code == "SIGNATURE_INVALID"


def test_license_copied_to_another_machine_is_wrong_machine(
    signer: Signer, store: Path, offline_client: Client
) -> None:
    offline_client.install(signer.sign())
    elsewhere = Client(
        None, PRODUCT, store_path=store, public_keys=signer.jwks, fingerprint=OTHER_FP
    )
    assert refusal(elsewhere) == "WRONG_MACHINE"


def test_expired_trial_is_expired(signer: Signer, store: Path, clock: Clock) -> None:
    client = Client(
        None, PRODUCT, store_path=store, public_keys=signer.jwks, fingerprint=FP, clock=clock
    )
    expires = int(clock.now + 30 * DAY)
    trial = client.install(signer.sign(typ="trial", exp=expires))
    assert trial.is_trial
    assert trial.expires_at == datetime.fromtimestamp(expires, UTC)
    clock.advance(29 * DAY)
    assert client.load().is_trial
    clock.advance(2 * DAY)
    with pytest.raises(LicenseError) as caught:
        client.load()
    assert caught.value.code == "EXPIRED"
    assert "expired on" in caught.value.message


def test_clock_set_back_is_clock_tampered(signer: Signer, store: Path, clock: Clock) -> None:
    client = Client(
        None, PRODUCT, store_path=store, public_keys=signer.jwks, fingerprint=FP, clock=clock
    )
    client.install(signer.sign(typ="trial", exp=int(clock.now + 30 * DAY)))
    clock.advance(40 * DAY)  # the trial is over…
    with pytest.raises(LicenseError):
        client.load()
    clock.advance(-40 * DAY + 10 * DAY)  # …so the user turns the clock back
    client.load()  # a start inside the trial: day 10 is now the last seen
    clock.advance(-5 * DAY)
    assert refusal(client) == "CLOCK_TAMPERED"


# -- the details of those checks ----------------------------------------------------------------


def test_expired_trial_cannot_be_installed(signer: Signer, offline_client: Client) -> None:
    with pytest.raises(LicenseError) as caught:
        offline_client.install(signer.sign(typ="trial", exp=int(time.time()) - 60))
    assert caught.value.code == "EXPIRED"


def test_license_of_another_product_is_wrong_product(
    signer: Signer, offline_client: Client
) -> None:
    with pytest.raises(LicenseError) as caught:
        offline_client.install(signer.sign(aud="OTHER"))
    assert caught.value.code == "WRONG_PRODUCT"
    assert offline_client.install(signer.sign(aud=["OTHER", PRODUCT])).product == PRODUCT


def test_clock_within_tolerance_is_accepted_and_never_lowers_the_floor(
    signer: Signer, store: Path, clock: Clock
) -> None:
    client = Client(
        None, PRODUCT, store_path=store, public_keys=signer.jwks, fingerprint=FP, clock=clock
    )
    client.install(signer.sign())
    clock.advance(DAY)
    client.load()
    seen = stored(store)["last_seen"]
    assert seen == clock.now
    clock.advance(-20 * 3600)  # DST mix-ups, a dual-boot RTC in local time…
    client.load()
    assert stored(store)["last_seen"] == seen
    clock.advance(-5 * 3600)
    assert refusal(client) == "CLOCK_TAMPERED"


def test_clock_before_the_license_was_issued_is_clock_tampered(
    signer: Signer, offline_client: Client
) -> None:
    # Editing last_seen out of the file does not help: the issue time is a floor too.
    with pytest.raises(LicenseError) as caught:
        offline_client.install(signer.sign(iat=int(time.time() + 3 * DAY)))
    assert caught.value.code == "CLOCK_TAMPERED"


def test_last_seen_is_written_at_most_once_a_minute(
    signer: Signer, store: Path, clock: Clock
) -> None:
    client = Client(
        None, PRODUCT, store_path=store, public_keys=signer.jwks, fingerprint=FP, clock=clock
    )
    client.install(signer.sign())
    first = (store / "license.json").stat().st_mtime_ns
    clock.advance(30)
    client.load()
    assert (store / "license.json").stat().st_mtime_ns == first
    clock.advance(31)
    client.load()
    assert stored(store)["last_seen"] == clock.now


def test_read_only_store_still_loads(
    signer: Signer, store: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = Client(
        None, PRODUCT, store_path=store, public_keys=signer.jwks, fingerprint=FP, clock=clock
    )
    client.install(signer.sign())

    def read_only(path: Path, data: bytes) -> None:
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(store_module, "atomic_write", read_only)
    clock.advance(DAY)
    assert client.load().serial == SERIAL


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(
            lambda signer: (
                f"{segment({'alg': 'none', 'kid': signer.kid})}.{segment(signer.claims())}."
            ),
            id="alg-none",
        ),
        pytest.param(
            lambda signer: jwt.encode(
                signer.claims(),
                signer.x.encode() * 2,
                algorithm="HS256",
                headers={"kid": signer.kid},
            ),
            id="hs256-with-public-key-as-secret",
        ),
        pytest.param(lambda signer: Signer(kid="unknown").sign(), id="unknown-kid"),
    ],
)
def test_algorithm_and_key_confusion_are_refused(
    signer: Signer, offline_client: Client, forge: object
) -> None:
    assert callable(forge)
    with pytest.raises(LicenseError) as caught:
        offline_client.install(forge(signer))
    assert caught.value.code == "SIGNATURE_INVALID"


@pytest.mark.parametrize("text", ["not a license", "a.b", "!!!.???.###", "{}", '{"license": 5}'])
def test_text_that_is_no_license_is_license_corrupt(offline_client: Client, text: str) -> None:
    with pytest.raises(LicenseError) as caught:
        offline_client.install(text)
    assert caught.value.code == "LICENSE_CORRUPT"


def test_license_missing_claims_is_license_corrupt(signer: Signer, offline_client: Client) -> None:
    with pytest.raises(LicenseError) as caught:
        offline_client.install(signer.sign(fp=None))
    assert caught.value.code == "LICENSE_CORRUPT"


def test_install_accepts_the_activation_answer_and_wrapped_tokens(
    signer: Signer, offline_client: Client
) -> None:
    answer = signer.activation()
    assert (
        offline_client.install(json.dumps(answer, indent=2)).activation_id
        == (answer["activation_id"])
    )
    token = signer.sign()
    wrapped = "\n".join(token[i : i + 60] for i in range(0, len(token), 60))
    assert isinstance(offline_client.install(f"\n  {wrapped}\n"), License)


def test_install_of_a_saved_refusal_says_what_it_was(offline_client: Client) -> None:
    refused = {"error": {"code": "ACTIVATION_LIMIT_REACHED", "message": "all 3 slots taken"}}
    with pytest.raises(LicenseError) as caught:
        offline_client.install(json.dumps(refused))
    assert caught.value.code == "ACTIVATION_LIMIT_REACHED"
    assert "all 3 slots taken" in str(caught.value)


def test_failed_install_keeps_the_previous_license(signer: Signer, offline_client: Client) -> None:
    offline_client.install(signer.sign())
    with pytest.raises(LicenseError):
        offline_client.install(signer.sign(fp=OTHER_FP))
    assert offline_client.load().fingerprint == FP


def test_without_keys_an_offline_client_cannot_verify(signer: Signer, store: Path) -> None:
    client = Client(None, PRODUCT, store_path=store, fingerprint=FP)
    with pytest.raises(LicenseError) as caught:
        client.install(signer.sign())
    assert caught.value.code == "KEYS_UNAVAILABLE"


def test_key_sources(signer: Signer) -> None:
    assert signer.kid in KeyRing.parse(signer.jwks)
    assert signer.kid in KeyRing.parse(json.dumps(signer.jwks))
    assert signer.kid in KeyRing.parse(json.dumps(signer.jwk).encode())
    assert KeyRing.parse(signer.pem + Signer().pem).unnamed
    with pytest.raises(ValueError):
        KeyRing.parse({"keys": [{"kty": "RSA", "n": "x", "e": "AQAB"}]})
    with pytest.raises(ValueError):
        KeyRing.parse("no key here")
