"""Serial numbers: generation on the server side; the format itself is shared with the SDK."""

from __future__ import annotations

import secrets

from client_sdk.serial import (
    ALPHABET,
    SYMBOLS,
    MalformedSerial,
    canonicalize,
    check_symbol,
    format_compact,
    is_valid,
)

__all__ = ["MalformedSerial", "canonicalize", "generate", "generate_many", "is_valid"]


def generate() -> str:
    """A new serial: 19 symbols (95 bits) from the operating system's CSPRNG and a check symbol.

    One CSPRNG call per serial; the low 5 bits of each byte pick a symbol, and 256 is a multiple
    of 32, so every symbol is equally likely."""
    payload = "".join(ALPHABET[byte & 31] for byte in secrets.token_bytes(SYMBOLS - 1))
    return format_compact(payload + check_symbol(payload))


def generate_many(quantity: int) -> list[str]:
    """``quantity`` distinct new serials, sorted. 95 random bits make a collision practically
    impossible; the set guards the batch itself and the primary key the rest of the table."""
    serials: set[str] = set()
    while len(serials) < quantity:
        serials.add(generate())
    return sorted(serials)
