from __future__ import annotations

import pytest

from client_sdk.serial import ALPHABET, check_symbol, check_value, compact
from vendor_portal.serials.codec import MalformedSerial, canonicalize, generate, is_valid

VECTORS = ["01234-56789-ABCDE-FGHJS", "ZZZZZ-ZZZZZ-ZZZZZ-ZZZZK", "7KQ2M-4X9PR-T3VW8-ANC5J"]


@pytest.mark.parametrize("serial", VECTORS)
def test_contract_vectors_are_valid(serial: str) -> None:
    assert is_valid(serial)
    assert canonicalize(serial) == serial


def test_check_value_follows_luhn_mod_32_by_hand() -> None:
    # Payload "1" followed by eighteen "0": the rightmost symbol has weight 2, so the lone 1 at
    # the far left (position 18 from the right, even) is doubled: sum 2, check (32 - 2) % 32.
    assert check_value("1" + "0" * 18) == 30
    # Payload "01" + "0" * 17: the 1 stands at position 17 (odd), weight 1: check 31.
    assert check_value("01" + "0" * 17) == 31
    # 17 * 2 = 34 folds to 1 + 2 = 3.
    assert check_value("0" * 18 + "H") == (32 - 3) % 32


def test_every_single_symbol_substitution_at_every_position_is_caught() -> None:
    for serial in [*VECTORS, *(generate() for _ in range(20))]:
        symbols = compact(serial)
        for position in range(20):
            for replacement in ALPHABET:
                if replacement == symbols[position]:
                    continue
                typo = symbols[:position] + replacement + symbols[position + 1 :]
                assert not is_valid(typo), (serial, position, replacement)


@pytest.mark.parametrize(
    "typed",
    [
        "7kq2m-4x9pr-t3vw8-anc5j",
        " 7KQ2M 4X9PR T3VW8 ANC5J ",
        "7KQ2M4X9PRT3VW8ANC5J",
        "7KQ2M--4X9PR-T3VW8-ANC5J",
    ],
)
def test_what_people_type_is_normalised(typed: str) -> None:
    assert canonicalize(typed) == "7KQ2M-4X9PR-T3VW8-ANC5J"


def test_crockford_look_alikes_are_folded() -> None:
    assert canonicalize("OI234-56789-ABCDE-FGHJS".replace("OI", "O1")) == canonicalize(
        "01234-56789-ABCDE-FGHJS"
    )
    assert canonicalize("o1234-56789-abcde-fghjs") == "01234-56789-ABCDE-FGHJS"
    assert canonicalize("0l234-56789-ABCDE-FGHJS".replace("l", "I")) == canonicalize(
        "01234-56789-ABCDE-FGHJS"
    )


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "7KQ2M",
        "7KQ2M-4X9PR-T3VW8-ANC5",
        "7KQ2M-4X9PR-T3VW8-ANC5JJ",
        "7KQ2M-4X9PR-T3VW8-ANC5U",
        "x" * 1000,
    ],
)
def test_malformed_serials_are_refused(bad: str) -> None:
    with pytest.raises(MalformedSerial):
        canonicalize(bad)


def test_generated_serials_are_valid_distinct_and_canonical() -> None:
    serials = {generate() for _ in range(2000)}
    assert len(serials) == 2000
    for serial in serials:
        assert canonicalize(serial) == serial
        assert serial[-1] == check_symbol(compact(serial)[:-1])
