"""A browser stand-in for the page tests: keeps the cookies, fills in the CSRF token."""

from __future__ import annotations

import html
import re
from typing import Any

import aiohttp
import asyncpg
from aiohttp.test_utils import TestClient

from vendor_portal.mail import queries as mail

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
LINK = re.compile(r"https?://\S+")


class Portal:
    def __init__(self, client: TestClient | aiohttp.ClientSession) -> None:
        self.client = client
        self.token: str | None = None
        self.last = ""

    async def get(self, path: str, status: int = 200, **options: Any) -> str:
        response = await self.client.get(path, allow_redirects=True, **options)  # type: ignore[arg-type]
        # Money and numbers are written with no-break spaces; tests compare plain ones.
        text = (await response.text()).replace("\u00a0", " ").replace("\u202f", " ")
        assert response.status == status, (path, response.status, text[:3000])
        self._remember(text)
        return text

    def _remember(self, text: str) -> None:
        self.last = text
        found = CSRF.search(text)
        if found:
            self.token = found.group(1)

    async def post(
        self,
        path: str,
        data: dict[str, Any] | None = None,
        *,
        status: int = 200,
        follow: bool = True,
        csrf: bool = True,
        headers: dict[str, str] | None = None,
    ) -> str:
        if csrf and self.token is None:
            await self.get("/portal/login")
        fields = dict(data or {})
        if csrf:
            fields.setdefault("csrf_token", self.token)
        response = await self.client.post(
            path, data=fields, allow_redirects=follow, headers=headers or {}
        )
        text = (await response.text()).replace("\u00a0", " ").replace("\u202f", " ")
        assert response.status == status, (path, response.status, text[:3000])
        self._remember(text)
        return text

    async def login(self, email: str, password: str) -> str:
        await self.get("/portal/login")
        return await self.post("/portal/login", {"email": email, "password": password})

    def cookie(self, name: str) -> str | None:
        jar = getattr(self.client, "cookie_jar", None) or self.client.session.cookie_jar
        for cookie in jar:
            if cookie.key == name:
                return cookie.value
        return None


def field_value(text: str, name: str) -> str | None:
    """The value an input of the page holds (what the browser would show)."""
    match = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', text)
    if match is None:
        match = re.search(
            rf'<textarea[^>]*name="{re.escape(name)}"[^>]*>(.*?)</textarea>', text, re.S
        )
        return html.unescape(match.group(1)) if match else None
    value = re.search(r'value="([^"]*)"', match.group(0))
    return html.unescape(value.group(1)) if value else ""


async def last_mail(pool: asyncpg.Pool, recipient: str) -> str:
    async with pool.acquire() as connection:
        messages = await mail.messages_to(connection, recipient)
    assert messages, f"no mail to {recipient}"
    # Newest first: a newer code supersedes the older ones.
    return messages[0].body


def link_in(body: str, part: str) -> str:
    for link in LINK.findall(body):
        if part in link:
            return link
    raise AssertionError(f"no link with {part!r} in {body!r}")
