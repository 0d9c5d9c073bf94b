"""The SDK against the test vectors of docs/protocol.md (docs/protocol-vectors.json): what a
client in another language checks itself against."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from client_sdk import Client, errors
from client_sdk.errors import LicenseError
from client_sdk.fingerprint import DOMAIN, combine, component_hashes
from client_sdk.license import (
    KeyRing,
    License,
    check_claims,
    check_lease,
    refusal_code,
    verify_signature,
)
from client_sdk.offline import decode_request, encode_request
from client_sdk.revocation import REASON_CODES
from client_sdk.revocation import parse as parse_revocations
from client_sdk.serial import MalformedSerial, canonicalize

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "protocol-vectors.json").read_text()
)
KEYS = KeyRing.from_jwks(VECTORS["jwks"])
NOW = float(VECTORS["now"])


def _license(now: float = NOW, token: str = VECTORS["license"]["token"]) -> License:
    """The vectors' license (or ``token``) checked as a license on the vectors' machine."""
    claims, kid = verify_signature(token, KEYS)
    return check_claims(
        claims,
        token=token,
        kid=kid,
        product=VECTORS["product"],
        fingerprint=VECTORS["fingerprint"]["expected"],
        now=now,
        not_before=0.0,
        clock_tolerance=0.0,
    )


def test_fingerprint_recipe() -> None:
    components = [
        (label, bytes.fromhex(value)) for label, value in VECTORS["fingerprint"]["components"]
    ]
    assert combine(components) == VECTORS["fingerprint"]["expected"]
    assert combine(reversed(components)) == VECTORS["fingerprint"]["expected"]


def test_component_hashes() -> None:
    vector = VECTORS["fingerprint_components"]
    components = [(label, bytes.fromhex(value)) for label, value in vector["components"]]
    assert component_hashes(components) == vector["expected"]
    assert component_hashes(reversed(components)) == vector["expected"]
    assert combine(components) == vector["fingerprint"]


def test_component_hashes_follow_the_written_recipe() -> None:
    """The recipe as docs/protocol.md writes it, computed here on its own: the vector is not
    merely what the SDK happens to compute."""
    vector = VECTORS["fingerprint_components"]
    names = {
        "machine-id": "os_install",
        "dmi-product-uuid": "board",
        "disk-serial": "disk",
        "mac": "mac",
    }
    grouped: dict[str, list[str]] = {}
    for label, value in vector["components"]:
        labelled = hashlib.sha256(
            DOMAIN + b"/" + label.encode() + b"\x00" + bytes.fromhex(value)
        ).hexdigest()
        if label in names:
            grouped.setdefault(names[label], []).append(labelled + ":" + label)
    expected = {
        name: hashlib.sha256(
            DOMAIN + b"/component/" + name.encode() + b"\x00" + "\n".join(sorted(h)).encode()
        ).hexdigest()
        for name, h in grouped.items()
    }
    assert expected == vector["expected"]


def test_serials() -> None:
    for typed, canonical in VECTORS["serials"]["valid"].items():
        assert canonicalize(typed) == canonical
    for bad in VECTORS["serials"]["invalid"]:
        with pytest.raises(MalformedSerial):
            canonicalize(bad)


def test_activation_request_code() -> None:
    vector = VECTORS["request_code"]
    fields = (vector["serial"], vector["fingerprint"], vector["product"], vector["features"])
    assert encode_request(*fields) == vector["code"]
    decoded = decode_request(vector["code"].lower().replace("\n", " "))
    assert (decoded.serial, decoded.fingerprint, decoded.product, decoded.features) == fields


def test_license_claims_and_policy() -> None:
    claims, _ = verify_signature(VECTORS["license"]["token"], KEYS)
    assert claims == VECTORS["license"]["claims"]
    license = _license()
    assert license.serial == claims["sub"] and license.features == tuple(claims["feat"])
    assert (license.check_in_days, license.grace_days) == (7, 3)


def test_lease_window() -> None:
    license = _license()
    claims, _ = verify_signature(VECTORS["lease"]["token"], KEYS)
    assert claims == VECTORS["lease"]["claims"]
    lease = check_lease(claims, license, now=VECTORS["lease"]["valid_at"], clock_tolerance=0)
    assert (lease.due, lease.expires) == (
        VECTORS["lease"]["due_at"],
        VECTORS["lease"]["expired_at"],
    )
    with pytest.raises(LicenseError) as ended:
        check_lease(claims, license, now=VECTORS["lease"]["expired_at"], clock_tolerance=0)
    assert ended.value.code == errors.LEASE_EXPIRED
    with pytest.raises(LicenseError) as early:
        check_lease(claims, license, now=NOW - 3600, clock_tolerance=0)
    assert early.value.code == errors.CLOCK_TAMPERED


def test_refusal() -> None:
    claims, _ = verify_signature(VECTORS["refusal"]["token"], KEYS)
    assert refusal_code(claims, _license()) == VECTORS["refusal"]["code"]
    # A refusal is not a lease, and a lease is not a refusal.
    with pytest.raises(LicenseError):
        check_lease(claims, _license(), now=NOW, clock_tolerance=0)
    lease, _ = verify_signature(VECTORS["lease"]["token"], KEYS)
    assert refusal_code(lease, _license()) is None


@pytest.mark.parametrize("name", ["tampered_license", "other_vendor_license", "lease_as_license"])
def test_refused_tokens(name: str) -> None:
    token = VECTORS["refused"][name]
    with pytest.raises(LicenseError) as refused:
        _license(token=token)
    assert refused.value.code in (errors.SIGNATURE_INVALID, errors.LICENSE_CORRUPT)
    # The other vendor's license verifies only under that vendor's keys.
    if name == "other_vendor_license":
        verify_signature(token, KeyRing.from_jwks(VECTORS["other_vendor_jwks"]))


def test_revocation_list(tmp_path: Path) -> None:
    vector = VECTORS["revocation_list"]
    claims, _ = verify_signature(vector["token"], KEYS)
    assert claims == vector["claims"]
    revocations = parse_revocations(claims, vector["token"])
    license = _license()
    reason = revocations.reason(license.serial, license.activation_id)
    assert reason == vector["reason"]
    assert REASON_CODES[reason] == vector["license_refused_with"]
    # Kept by a client: the newer list stays, the older one is refused.
    client = Client(
        None,
        VECTORS["product"],
        store_path=tmp_path,
        public_keys=VECTORS["jwks"],
        fingerprint=VECTORS["fingerprint"]["expected"],
        clock=lambda: NOW,
    )
    assert client.apply_revocation_list(vector["token"]).sequence == claims["seq"]
    with pytest.raises(LicenseError) as older:
        client.apply_revocation_list(vector["older_token"])
    assert older.value.code == errors.REVOCATION_LIST_OUTDATED
    assert older.value.details["given"] == vector["older_sequence"]
    # A license is not a list, and a list is not a license.
    with pytest.raises(LicenseError) as not_a_list:
        client.apply_revocation_list(VECTORS["license"]["token"])
    assert not_a_list.value.code == errors.REVOCATION_LIST_INVALID
    with pytest.raises(LicenseError) as not_a_license:
        _license(token=vector["token"])
    assert not_a_license.value.code == errors.LICENSE_CORRUPT
