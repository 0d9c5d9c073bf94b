"""Languages of the portal's pages: gettext catalogs, the request's language, and formatting.

English is the source language: every string in the templates and page handlers is English and
marked for translation. Catalogs live in ``vendor_portal/locale/<lang>/LC_MESSAGES/messages.po``
and are compiled to ``.mo`` files next to them (``docs/portal.md`` has the commands).

The language of a request is kept in a context variable set by a middleware, so ``gettext`` in a
handler, a form check or a template all see the same one without passing it around.
"""

from __future__ import annotations

import contextvars
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal, get_currency_precision
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"
DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True)
class Language:
    code: str
    # Each language names itself in its own words, so a person who cannot read the current
    # one still finds theirs.
    name: str


LANGUAGES: tuple[Language, ...] = (Language("en", "English"), Language("ru", "Русский"))
LANGUAGE_CODES = frozenset(language.code for language in LANGUAGES)


@cache
def translations(language: str) -> NullTranslations:
    if language == DEFAULT_LANGUAGE:
        return NullTranslations()
    return Translations.load(str(LOCALE_DIR), [language], DOMAIN)


_current: contextvars.ContextVar[str] = contextvars.ContextVar(
    "portal_language", default=DEFAULT_LANGUAGE
)


_zone: contextvars.ContextVar[str] = contextvars.ContextVar("portal_time_zone", default="UTC")


def activate_time_zone(name: str) -> contextvars.Token[str]:
    return _zone.set(name)


def deactivate_time_zone(token: contextvars.Token[str]) -> None:
    _zone.reset(token)


@cache
def _tzinfo(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def activate(language: str) -> contextvars.Token[str]:
    return _current.set(language if language in LANGUAGE_CODES else DEFAULT_LANGUAGE)


def deactivate(token: contextvars.Token[str]) -> None:
    _current.reset(token)


def current_language() -> str:
    return _current.get()


def gettext(message: str, **variables: object) -> str:
    """The message in the request's language, with ``%(name)s`` placeholders filled in."""
    text = translations(_current.get()).ugettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, count: int, **variables: object) -> str:
    text = translations(_current.get()).ungettext(singular, plural, count)
    return text % {"num": count, **variables}


_ = gettext


def raw_gettext(message: str) -> str:
    """For Jinja's i18n extension, which fills placeholders itself."""
    return translations(_current.get()).ugettext(message)


def raw_ngettext(singular: str, plural: str, count: int) -> str:
    return translations(_current.get()).ungettext(singular, plural, count)


def N_(message: str) -> str:
    """Marks a string for extraction where it is defined; it is translated where it is shown."""
    return message


def negotiate(accept_language: str | None) -> str:
    """The first language of an ``Accept-Language`` header that the portal speaks."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        ranked.append((-quality, index, tag.strip().lower()))
    for quality, _index, tag in sorted(ranked):
        if quality >= 0:
            continue
        primary = tag.split("-")[0]
        if primary in LANGUAGE_CODES:
            return primary
    return DEFAULT_LANGUAGE


_LETTERS_THEN_DIGITS = re.compile(r"(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])")


@cache
def _babel_locale(language: str) -> Locale:
    try:
        return Locale.parse(language)
    except (UnknownLocaleError, ValueError):
        return Locale.parse(DEFAULT_LANGUAGE)


# Where a language has its own word for a currency, money is written the way that market's
# documents write it: seed 004's Russian invoices say "11 000,00 руб.", not "11 000,00 ₽".
CURRENCY_WORDS = {("ru", "RUB"): "руб."}


def currency_word(currency: str) -> str | None:
    return CURRENCY_WORDS.get((_current.get(), currency))


def money(amount: int, currency: str) -> str:
    """Integer minor units as the language writes money: 11 000,00 руб. or RUB 11,000.00."""
    digits = get_currency_precision(currency)
    value = Decimal(amount).scaleb(-digits)
    locale = _babel_locale(_current.get())
    word = currency_word(currency)
    if word is not None:
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(value, format=pattern, locale=locale) + "\u00a0" + word
    text = format_currency(value, currency, locale=locale)
    # CLDR's currency spacing, which Babel leaves out: a code written in letters stands apart
    # from the digits ("RUB 11,000.00", not "RUB11,000.00").
    return _LETTERS_THEN_DIGITS.sub("\u00a0", text)


def number(value: int) -> str:
    return format_decimal(value, locale=_babel_locale(_current.get()))


# Date and time patterns per language where CLDR's styles are not what the market writes:
# seed 004's Russian cabinet dates orders 01.04.2015.
DATE_PATTERNS = {"ru": "dd.MM.yyyy", "en": "d MMM yyyy"}
TIME_PATTERNS = {"ru": "dd.MM.yyyy HH:mm", "en": "d MMM yyyy, HH:mm"}


def moment(value: datetime | None, style: str = "medium") -> str:
    """A time in the reader's time zone, written the language's way."""
    if value is None:
        return ""
    language = _current.get()
    zone = _tzinfo(_zone.get())
    pattern = TIME_PATTERNS.get(language, style) if style == "medium" else style
    return format_datetime(value, pattern, tzinfo=zone, locale=_babel_locale(language))


def day(value: date | datetime | None, style: str = "medium") -> str:
    """A date (a time's date in the reader's time zone), written the language's way."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(_tzinfo(_zone.get())).date()
    language = _current.get()
    pattern = DATE_PATTERNS.get(language, style) if style == "medium" else style
    return format_date(value, pattern, locale=_babel_locale(language))


def template_globals() -> Mapping[str, object]:
    return {"languages": LANGUAGES, "currency_word": currency_word}
