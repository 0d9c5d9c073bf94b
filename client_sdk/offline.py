"""The offline activation request code: text a person copies from a machine with no network.

The code holds the serial, the machine's fingerprint, the product and the requested features,
with a checksum so that a line lost or mistyped while copying is refused instead of producing a
license for the wrong machine. It is base32 (letters and digits only, case-insensitive), grouped
in blocks of five, between two marker lines; whitespace, dashes and line breaks are ignored when
it is read back, so it survives e-mail, chat and paper.

Shared by the SDK (which writes codes) and the server (which reads them); standard library only.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass, field

BEGIN = "-----BEGIN ACTIVATION REQUEST-----"
END = "-----END ACTIVATION REQUEST-----"
VERSION = 1
MAX_CODE_CHARS = 8192
_CHECKSUM_BYTES = 4
_GROUPS_PER_LINE = 8
_NOISE = re.compile(r"[\s\-]+")


class MalformedRequestCode(ValueError):
    """The text is not an activation request code, or it was damaged while being copied."""


@dataclass(frozen=True)
class OfflineRequest:
    serial: str
    fingerprint: str
    product: str | None = None
    features: list[str] | None = field(default=None)


def encode_request(
    serial: str,
    fingerprint: str,
    product: str | None = None,
    features: list[str] | None = None,
) -> str:
    """The request code for these fields, ready to print or copy."""
    document: dict[str, object] = {"v": VERSION, "s": serial, "f": fingerprint}
    if product is not None:
        document["p"] = product
    if features is not None:
        document["ft"] = list(features)
    payload = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
    checksum = hashlib.sha256(payload).digest()[:_CHECKSUM_BYTES]
    text = base64.b32encode(payload + checksum).decode().rstrip("=")
    groups = [text[i : i + 5] for i in range(0, len(text), 5)]
    lines = [
        "-".join(groups[i : i + _GROUPS_PER_LINE]) for i in range(0, len(groups), _GROUPS_PER_LINE)
    ]
    return "\n".join([BEGIN, *lines, END])


def decode_request(code: str) -> OfflineRequest:
    """Reads a request code back; raises MalformedRequestCode when it is not one or is damaged."""
    if not isinstance(code, str) or not code.strip():
        raise MalformedRequestCode("the activation request code is empty")
    if len(code) > MAX_CODE_CHARS:
        raise MalformedRequestCode("the activation request code is too long")
    body = code.strip().upper()
    if BEGIN in body:
        body = body.split(BEGIN, 1)[1]
    if END in body:
        body = body.split(END, 1)[0]
    text = _NOISE.sub("", body).upper()
    if not text:
        raise MalformedRequestCode("the activation request code is empty")
    try:
        raw = base64.b32decode(text + "=" * (-len(text) % 8))
    except (binascii.Error, ValueError):
        raise MalformedRequestCode(
            "the activation request code has characters that do not belong to it"
        ) from None
    payload, checksum = raw[:-_CHECKSUM_BYTES], raw[-_CHECKSUM_BYTES:]
    if (
        len(raw) <= _CHECKSUM_BYTES
        or hashlib.sha256(payload).digest()[:_CHECKSUM_BYTES] != checksum
    ):
        raise MalformedRequestCode(
            "the activation request code is damaged: copy it again, every line of it"
        )
    try:
        document = json.loads(payload.decode())
    except (UnicodeDecodeError, ValueError):
        raise MalformedRequestCode("the activation request code is not readable") from None
    if not isinstance(document, dict) or document.get("v") != VERSION:
        raise MalformedRequestCode("the activation request code is of an unknown version")
    serial, fingerprint = document.get("s"), document.get("f")
    product, features = document.get("p"), document.get("ft")
    if not isinstance(serial, str) or not isinstance(fingerprint, str):
        raise MalformedRequestCode("the activation request code lacks the serial or the machine")
    if product is not None and not isinstance(product, str):
        raise MalformedRequestCode("the activation request code names no valid product")
    if features is not None and (
        not isinstance(features, list) or not all(isinstance(item, str) for item in features)
    ):
        raise MalformedRequestCode("the activation request code has invalid features")
    return OfflineRequest(
        serial=serial, fingerprint=fingerprint, product=product, features=features
    )
