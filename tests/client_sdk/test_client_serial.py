"""The serial format as the SDK checks it before sending anything (client_sdk.serial)."""

from __future__ import annotations

import pytest

from client_sdk.serial import (
    ALPHABET,
    MalformedSerial,
    canonicalize,
    check_symbol,
    compact,
    is_valid,
)

VECTORS = ["01234-56789-ABCDE-FGHJS", "ZZZZZ-ZZZZZ-ZZZZZ-ZZZZK", "7KQ2M-4X9PR-T3VW8-ANC5J"]


@pytest.mark.parametrize("serial", VECTORS)
def test_design_vectors_are_valid(serial: str) -> None:
    assert is_valid(serial)
    assert canonicalize(serial) == serial
    assert check_symbol(serial.replace("-", "")[:-1]) == serial[-1]


@pytest.mark.parametrize("serial", VECTORS)
def test_every_single_symbol_typo_is_caught(serial: str) -> None:
    symbols = compact(serial)
    for position in range(len(symbols)):
        for replacement in ALPHABET:
            if replacement == symbols[position]:
                continue
            typo = symbols[:position] + replacement + symbols[position + 1 :]
            assert not is_valid(typo), (position, replacement)


@pytest.mark.parametrize(
    "typed",
    [
        "7kq2m-4x9pr-t3vw8-anc5j",
        "7KQ2M 4X9PR T3VW8 ANC5J",
        " 7KQ2M4X9PRT3VW8ANC5J\n",
        "7KQ2M\u20134X9PR-T3VW8-ANC5J",
    ],
)
def test_typed_forms_are_folded_to_the_canonical_one(typed: str) -> None:
    assert canonicalize(typed) == "7KQ2M-4X9PR-T3VW8-ANC5J"


def test_crockford_look_alikes_are_folded() -> None:
    assert canonicalize("O1234-56789-ABCDE-FGHJS") == "01234-56789-ABCDE-FGHJS"
    assert canonicalize("0I234-56789-ABCDE-FGHJS") == canonicalize("0l234-56789-ABCDE-FGHJS")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("7KQ2M-4X9PR-T3VW8-ANC5", "19"),
        ("7KQ2M-4X9PR-T3VW8-ANC5JJ", "21"),
        ("7KQ2M-4X9PR-T3VW8-ANC5U", "'U'"),
        ("7KQ2M-4X9PR-T3VW8-ANC5K", "typo"),
        ("", "0"),
    ],
)
def test_malformed_serials_say_what_is_wrong(text: str, fragment: str) -> None:
    with pytest.raises(MalformedSerial, match=fragment):
        canonicalize(text)


@pytest.mark.parametrize("serial", VECTORS)
def test_every_typo_in_the_canonical_form_is_caught(serial: str) -> None:
    # The canonical form takes a shorter path than typed forms: it must refuse the same typos.
    for position, symbol in enumerate(serial):
        if symbol == "-":
            continue
        for replacement in ALPHABET:
            if replacement == symbol:
                continue
            typo = serial[:position] + replacement + serial[position + 1 :]
            with pytest.raises(MalformedSerial, match="typo"):
                canonicalize(typo)
            # The same typo typed in lower case goes the long way, to the same verdict.
            assert not is_valid(typo.lower())


def test_canonical_and_typed_forms_agree() -> None:
    for serial in VECTORS:
        assert canonicalize(serial) == canonicalize(serial.lower().replace("-", " "))
