"""Serial numbers as people type them: normalisation and the Luhn mod 32 check symbol.

A serial is 20 symbols of the Crockford base32 alphabet, shown as ``XXXXX-XXXXX-XXXXX-XXXXX``:
19 random symbols and a check symbol. The check catches every single-symbol typo, so both the
SDK and the server refuse a mistyped serial without a round trip to the database.

This module is shared by the client SDK and the server (the server imports it), so the format
has exactly one implementation. It depends on the standard library only.
"""

from __future__ import annotations

import re

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
BASE = len(ALPHABET)  # 32
SYMBOLS = 20
GROUP = 5

_VALUES = {symbol: value for value, symbol in enumerate(ALPHABET)}
# A doubled symbol value folded as Luhn folds it: p // 32 + p % 32.
_DOUBLED = {symbol: (2 * value) // BASE + (2 * value) % BASE for symbol, value in _VALUES.items()}
# What a person types most of the time, and every SDK sends: the canonical form itself. It
# skips the folding of separators and look-alikes (a few microseconds a request).
_CANONICAL = re.compile(r"[0-9A-HJKMNP-TV-Z]{5}(?:-[0-9A-HJKMNP-TV-Z]{5}){3}")
# Crockford's look-alikes: people read O as 0 and I or L as 1.
_FOLD = str.maketrans({"O": "0", "I": "1", "L": "1"})
_IGNORED = str.maketrans("", "", " -\t\r\n\u00a0\u2010\u2011\u2012\u2013\u2014")


class MalformedSerial(ValueError):
    """The text is not a serial number: wrong length, a foreign symbol, or a bad check symbol."""


def check_value(payload: str) -> int:
    """Luhn mod 32 over the payload symbols, rightmost payload symbol weighted 2."""
    # Counting from the rightmost payload symbol (distance 0), symbols at even distances from
    # the end are doubled.
    doubled = _DOUBLED
    single = _VALUES
    last = len(payload) - 1
    total = 0
    for index, symbol in enumerate(payload):
        total += doubled[symbol] if (last - index) % 2 == 0 else single[symbol]
    return (BASE - total % BASE) % BASE


def check_symbol(payload: str) -> str:
    """The check symbol that completes a 19-symbol payload."""
    if len(payload) != SYMBOLS - 1 or any(symbol not in _VALUES for symbol in payload):
        raise MalformedSerial("the payload must be 19 symbols of the serial alphabet")
    return ALPHABET[check_value(payload)]


def compact(text: str) -> str:
    """The 20 symbols of a serial as typed, without separators; raises MalformedSerial."""
    if not isinstance(text, str) or len(text) > 64:
        raise MalformedSerial("a serial number is 20 symbols long")
    symbols = text.translate(_IGNORED).upper().translate(_FOLD)
    if len(symbols) != SYMBOLS:
        raise MalformedSerial(
            f"a serial number is {SYMBOLS} symbols long; this one has {len(symbols)}"
        )
    foreign = sorted({symbol for symbol in symbols if symbol not in _VALUES})
    if foreign:
        raise MalformedSerial(f"a serial number has no symbol {', '.join(map(repr, foreign))}")
    _require_check_symbol(symbols)
    return symbols


def _require_check_symbol(symbols: str) -> None:
    """Refuses 20 alphabet symbols whose last one is not the check symbol of the others."""
    if ALPHABET[check_value(symbols[:-1])] != symbols[-1]:
        raise MalformedSerial("the serial number has a typo: its check symbol does not match")


def format_compact(symbols: str) -> str:
    """``XXXXX-XXXXX-XXXXX-XXXXX`` from 20 symbols."""
    return "-".join(symbols[i : i + GROUP] for i in range(0, len(symbols), GROUP))


def canonicalize(text: str) -> str:
    """The canonical form of a typed serial; raises MalformedSerial."""
    if isinstance(text, str) and _CANONICAL.fullmatch(text):
        _require_check_symbol(text.replace("-", ""))
        return text
    return format_compact(compact(text))


def is_valid(text: str) -> bool:
    try:
        compact(text)
    except MalformedSerial:
        return False
    return True
