"""Password hashing with Argon2id, always off the event loop (it is slow on purpose)."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from activation_server.errors import InvalidRequest
from activation_server.settings import Settings

MIN_LENGTH = 8
MAX_LENGTH = 1024


def check_strength(password: object, name: str = "password") -> str:
    if not isinstance(password, str):
        raise InvalidRequest(f"The field '{name}' must be a string.")
    if len(password) < MIN_LENGTH:
        raise InvalidRequest(
            f"The {name.replace('_', ' ')} must have at least {MIN_LENGTH} characters."
        )
    if len(password) > MAX_LENGTH:
        raise InvalidRequest(
            f"The {name.replace('_', ' ')} is longer than {MAX_LENGTH} characters."
        )
    if "\x00" in password:
        raise InvalidRequest(f"The field '{name}' contains characters that are not allowed.")
    return password


class Passwords:
    def __init__(self, time_cost: int, memory_kib: int, parallelism: int) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism
        )
        # Verified against when the e-mail is unknown, so that the answer takes as long as for
        # a known one and does not tell which addresses have accounts.
        self._dummy = self._hasher.hash("no such account")

    @classmethod
    def from_settings(cls, settings: Settings) -> Passwords:
        return cls(
            settings.portal.password_time_cost,
            settings.portal.password_memory_kib,
            settings.portal.password_parallelism,
        )

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, stored: str | None, password: str) -> bool:
        def check() -> bool:
            try:
                return self._hasher.verify(stored or self._dummy, password)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                return False

        return await asyncio.to_thread(check) and stored is not None

    def needs_rehash(self, stored: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(stored)
        except InvalidHashError:
            return True
