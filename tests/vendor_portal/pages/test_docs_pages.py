"""The Documentation section in the reader's language: the SDK guide and the protocol in
Russian for a Russian reader, the translations kept in step with the English originals."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from aiohttp.test_utils import TestClient

from tests.vendor_portal.pages.portal import Portal
from vendor_portal.docs.pages import TEXTS

CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)
FENCE = re.compile(r"^```[a-z]*\n.*?^```", re.MULTILINE | re.DOTALL)


def _source(path_and_start: tuple[object, str | None]) -> str:
    path, start = path_and_start
    text = path.read_text(encoding="utf-8")  # type: ignore[attr-defined]
    if start is None:
        return str(text)
    begin = text.index(start)
    end = text.find("\n" + start.split(" ")[0] + " ", begin + len(start))
    return str(text[begin : end if end > 0 else len(text)])


def _shape(text: str) -> tuple[list[str], list[str], Counter[str], list[int]]:
    """What a translation keeps as it is: the heading levels, the code blocks, the inline code
    and the tables' sizes."""
    blocks = FENCE.findall(text)
    prose = FENCE.sub("", text)
    headings = [line.split(" ")[0] for line in prose.splitlines() if line.startswith("#")]
    inline = Counter(re.findall(r"`([^`\n]+)`", prose))
    tables = [len(row.split("|")) for row in prose.splitlines() if row.startswith("|")]
    return headings, blocks, inline, tables


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_translations_keep_the_originals_code_and_structure(name: str) -> None:
    original = _shape(_source(TEXTS[name]["en"]))
    for language, source in TEXTS[name].items():
        if language == "en":
            continue
        text = _source(source)
        assert CYRILLIC.search(text), (name, language)
        headings, blocks, inline, tables = _shape(text)
        assert headings == original[0], (name, language)
        assert blocks == original[1], (name, language)
        assert inline == original[2], (name, language, inline - original[2], original[2] - inline)
        assert tables == original[3], (name, language)


async def test_documentation_speaks_the_readers_language(client: TestClient) -> None:
    portal = Portal(client)
    russian = {"Accept-Language": "ru"}
    sdk = await portal.get("/portal/docs/sdk", headers=russian)
    assert "<h2>Защита приложения в десять строк</h2>" in sdk
    # The text is in the page's language: no lang attribute of its own.
    assert '<div class="card-body doc-body" data-language="ru">' in sdk
    assert ">Руководство по SDK</a>" in sdk
    protocol = await portal.get("/portal/docs/protocol", headers=russian)
    assert "<h2>API активации</h2>" in protocol and "<table" in protocol
    assert "POST /v1/activations" in protocol
    api = await portal.get("/portal/docs/api", headers=russian)
    # The reference's headings are translated; its summaries are the OpenAPI document's own.
    assert ">Активация</h2>" in api and ">Заказы</h2>" in api
    assert re.search(r'<span class="text-body-secondary small" lang="en">', api)
    english = await portal.get("/portal/docs/sdk", headers={"Accept-Language": "en"})
    assert "<h2>Protect your application in ten lines</h2>" in english
    assert '<div class="card-body doc-body" data-language="en">' in english
    assert not CYRILLIC.search(english.split("doc-body")[1].split("</article>")[0])
