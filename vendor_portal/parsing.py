"""Checks of request fields shared by the vendor API's handlers: each refusal says what to fix."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, TypeVar

from msgspec import Meta, UnsetType

from activation_server.activations.requests import is_storable_text
from activation_server.activations.schemas import FEATURE_PATTERN, MAX_FEATURES
from activation_server.errors import InvalidRequest

EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")
PRODUCT_CODE_PATTERN = "^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
# Matched whole (fullmatch): a declared type's pattern is searched, and "$" there also matches
# before a final newline.
FEATURE = re.compile(FEATURE_PATTERN)
PRODUCT_CODE = re.compile(PRODUCT_CODE_PATTERN)
MAX_BIGINT = 2**63 - 1
# Amounts in the API's bodies and answers: a price or a payment, and a balance's change.
Money = Annotated[int, Meta(ge=0, description="Minor units (kopecks for RUB).")]
SignedMoney = Annotated[int, Meta(description="Minor units (kopecks for RUB).")]
# A number in a path or a query is ASCII digits and nothing else: int() also takes spaces,
# underscores, a sign and any script's digits ("\u0663" is 3), and str.isdigit() takes "\u00b2",
# which int() then refuses. 18 digits always fit a bigint.
_NUMBER = re.compile(r"-?[0-9]{1,18}")


def text(
    body: Mapping[str, Any],
    name: str,
    *,
    required: bool = True,
    max_length: int = 200,
    min_length: int = 1,
) -> str | None:
    value = _present(body, name, required)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidRequest(f"The field '{name}' must be a string.")
    checked_text(value, name, min_length=min_length)
    if len(value) > max_length:
        raise InvalidRequest(f"The field '{name}' is longer than {max_length} characters.")
    return value


T = TypeVar("T")


def given(value: T | UnsetType) -> T | None:
    """A declared body's optional field: None when it was left out."""
    return None if isinstance(value, UnsetType) else value


def checked_text(value: str, name: str, *, min_length: int = 1) -> str:
    """A free text field (its type and length already checked): storable, and not only
    spaces."""
    if not is_storable_text(value):
        raise InvalidRequest(f"The field '{name}' contains characters that are not allowed.")
    if len(value.strip()) < min_length:
        raise InvalidRequest(f"The field '{name}' must not be empty.")
    return value


def _present(body: Mapping[str, Any], name: str, required: bool) -> Any:
    """The field's value, None when it is left out; an explicit null is refused, because the
    document says what type each field is and null is none of them."""
    value = body.get(name)
    if value is None:
        if name in body:
            raise InvalidRequest(f"The field '{name}' must not be null: leave it out instead.")
        if required:
            raise InvalidRequest(f"The field '{name}' is required.")
    return value


def integer(
    body: Mapping[str, Any],
    name: str,
    *,
    required: bool = True,
    minimum: int = 0,
    maximum: int = MAX_BIGINT,
) -> int | None:
    value = _present(body, name, required)
    if value is None:
        return None
    # bool is an int in Python, but true is not a quantity.
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRequest(f"The field '{name}' must be an integer.")
    if not minimum <= value <= maximum:
        raise InvalidRequest(f"The field '{name}' must be between {minimum} and {maximum}.")
    return value


def email(value: Any, name: str = "email") -> str:
    if not isinstance(value, str):
        raise InvalidRequest(f"The field '{name}' must be a string.")
    address = value.strip().lower()
    if len(address) > 254 or not is_storable_text(address) or not EMAIL.fullmatch(address):
        raise InvalidRequest(f"The field '{name}' is not an e-mail address.")
    return address


def features(value: Any, name: str = "features") -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidRequest(f"The field '{name}' must be a list of strings.")
    if len(value) > MAX_FEATURES:
        raise InvalidRequest(f"The field '{name}' lists more than {MAX_FEATURES} features.")
    bad = [item for item in value if not FEATURE.fullmatch(item)]
    if bad:
        raise InvalidRequest(
            f"Feature codes are 1-64 letters, digits, '_', '.' or '-': {bad[0][:70]!r}."
        )
    return sorted(set(value))


def product_code(value: Any, name: str = "product") -> str:
    if not isinstance(value, str) or not PRODUCT_CODE.fullmatch(value):
        raise InvalidRequest(
            f"The field '{name}' must be a product code: 1-64 letters, digits, '_', '.' or '-', "
            "starting with a letter or digit."
        )
    return value


def optional_query_int(query: Mapping[str, str], name: str) -> int | None:
    raw = query.get(name)
    if raw is None:
        return None
    value = _query_number(raw, name)
    if not 1 <= value <= MAX_BIGINT:
        raise InvalidRequest(f"The parameter '{name}' is out of range.")
    return value


def ascii_digits(raw: str) -> bool:
    """True for a non-empty run of ASCII digits: ``str.isdigit`` also takes ``²`` and ``٣``,
    which ``int`` then refuses or reads as another number."""
    return raw.isascii() and raw.isdigit()


def ascii_number(raw: str) -> int | None:
    """The integer that ``raw`` writes in ASCII digits (an optional minus first), else None."""
    if not _NUMBER.fullmatch(raw):
        return None
    return int(raw)


def _query_number(raw: str, name: str) -> int:
    value = ascii_number(raw)
    if value is None:
        raise InvalidRequest(f"The parameter '{name}' must be an integer.")
    return value


def choice(query: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str | None:
    raw = query.get(name)
    if raw is None:
        return None
    if raw not in allowed:
        raise InvalidRequest(f"The parameter '{name}' must be one of: {', '.join(allowed)}.")
    return raw


def path_id(raw: str, error: type[Exception]) -> int:
    """An id in the path; anything that is not one answers as an unknown id would (404)."""
    value = ascii_number(raw)
    if value is None or value < 0:
        raise error()
    return value
