"""Update subscriptions in the SDK: a build released after the license's ``upd`` claim is
refused offline with UPDATES_EXPIRED naming the date, while older builds keep running."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from client_sdk import Client, LicenseError
from tests.client_sdk.sdk_helpers import FP, PRODUCT, Signer


def build(signer: Signer, store: Path, release: date | datetime | None) -> Client:
    return Client(
        None,
        PRODUCT,
        store_path=store,
        public_keys=signer.jwks,
        fingerprint=FP,
        release_date=release,
    )


def test_a_build_newer_than_the_subscription_is_refused_an_older_one_runs(
    signer: Signer, store: Path
) -> None:
    ends = datetime(2026, 6, 30, 12, tzinfo=UTC)
    token = signer.sign(upd=int(ends.timestamp()))
    older = build(signer, store, date(2026, 6, 1))
    installed = older.install(token)
    assert installed.updates_until == ends
    assert older.load().serial == installed.serial

    newer = build(signer, store, date(2026, 7, 1))
    with pytest.raises(LicenseError) as caught:
        newer.load()
    assert caught.value.code == "UPDATES_EXPIRED"
    assert "2026-06-30" in caught.value.message and "2026-07-01" in caught.value.message
    assert caught.value.details["updates_until"].startswith("2026-06-30")
    # The older build still runs after the newer one was refused.
    assert older.load().updates_until == ends
    # A build that does not say its release date is not judged by it.
    assert build(signer, store, None).load().serial == installed.serial


def test_a_license_without_a_subscription_runs_any_build(signer: Signer, store: Path) -> None:
    client = build(signer, store, date(2099, 1, 1))
    assert client.install(signer.sign()).updates_until is None


def test_release_date_as_aware_datetime_and_refused_naive(signer: Signer, store: Path) -> None:
    ends = datetime(2026, 6, 30, tzinfo=UTC)
    client = build(signer, store, ends + timedelta(seconds=1))
    with pytest.raises(LicenseError) as caught:
        client.install(signer.sign(upd=int(ends.timestamp())))
    assert caught.value.code == "UPDATES_EXPIRED"
    with pytest.raises(ValueError):
        build(signer, store, datetime(2026, 1, 1))
