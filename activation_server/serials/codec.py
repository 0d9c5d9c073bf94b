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

__all__ = ["MalformedSerial", "canonicalize", "generate", "is_valid"]


def generate() -> str:
    """A new serial: 19 symbols (95 bits) from the operating system's CSPRNG and a check symbol."""
    payload = "".join(secrets.choice(ALPHABET) for _ in range(SYMBOLS - 1))
    return format_compact(payload + check_symbol(payload))
