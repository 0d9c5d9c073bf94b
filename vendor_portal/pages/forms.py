"""Forms of the pages: what was typed, what is wrong with it, and nothing lost on refusal.

A handler reads the posted fields into a :class:`Form`, checks the shape of each (present, a
number, short enough) with messages in the reader's language, and passes the values to the domain
function, whose refusal (:class:`~activation_server.errors.ApiError`) is shown on the same form.
The template renders each field with the value that was posted, so a refused form comes back as
the person left it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from aiohttp import web

from activation_server.activations.requests import is_storable_text
from activation_server.errors import ApiError
from vendor_portal.pages.i18n import gettext
from vendor_portal.pages.messages import explain
from vendor_portal.parsing import ascii_digits

# Fields that are never sent back to the browser, even when the form is refused: every
# password field (and its repetition), and the CSRF token, which the page renders itself.
SECRET_FIELDS = frozenset({"csrf_token"})


@dataclass
class Form:
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    # A refusal that concerns the whole form rather than one field.
    error: str | None = None

    @classmethod
    async def read(cls, request: web.Request) -> Form:
        posted = await request.post()
        values: dict[str, str] = {}
        for name in posted:
            value = posted.get(name)
            if isinstance(value, str) and name not in values:
                values[name] = value
        return cls(values=values)

    @classmethod
    def of(cls, values: Mapping[str, object]) -> Form:
        return cls(
            values={key: "" if value is None else str(value) for key, value in values.items()}
        )

    def __getitem__(self, name: str) -> str:
        return self.values.get(name, "")

    def shown(self, name: str) -> str:
        """The value to render back into the field."""
        if name in SECRET_FIELDS or "password" in name:
            return ""
        return self.values.get(name, "")

    @property
    def ok(self) -> bool:
        return not self.errors and self.error is None

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def refuse(self, error: ApiError | str, name: str | None = None) -> None:
        """A domain refusal, shown at the field it concerns or on top of the form."""
        message = explain(error) if isinstance(error, ApiError) else error
        if name is not None:
            self.fail(name, message)
        else:
            self.error = message

    def text(
        self, name: str, *, required: bool = True, max_length: int = 200, strip: bool = True
    ) -> str:
        value = self.values.get(name, "")
        if strip:
            value = value.strip()
        if not value:
            if required:
                self.fail(name, gettext("Fill this in."))
            return ""
        if len(value) > max_length:
            self.fail(name, gettext("At most %(count)s characters, please.", count=max_length))
        elif not is_storable_text(value):
            self.fail(name, gettext("This contains characters that are not allowed."))
        return value

    def integer(
        self, name: str, *, minimum: int = 0, maximum: int = 10**12, required: bool = True
    ) -> int | None:
        raw = self.values.get(name, "").strip().replace(" ", "").replace("\u00a0", "")
        if not raw:
            if required:
                self.fail(name, gettext("Fill this in."))
            return None
        if not ascii_digits(raw) or len(raw) > 15:
            self.fail(name, gettext("Enter a whole number."))
            return None
        value = int(raw)
        if not minimum <= value <= maximum:
            self.fail(
                name,
                gettext(
                    "Enter a number from %(minimum)s to %(maximum)s.",
                    minimum=minimum,
                    maximum=maximum,
                ),
            )
            return None
        return value

    def money(self, name: str, *, required: bool = True) -> int | None:
        """An amount typed in major units ("1 500,50" or "1500.50") as integer minor units."""
        raw = self.values.get(name, "").strip().replace(" ", "").replace("\u00a0", "")
        if not raw:
            if required:
                self.fail(name, gettext("Fill this in."))
            return None
        raw = raw.replace(",", ".")
        whole, _, fraction = raw.partition(".")
        if (
            not ascii_digits(whole)
            or (fraction and not ascii_digits(fraction))
            or len(fraction) > 2
            or len(whole) > 13
        ):
            self.fail(name, gettext("Enter an amount such as 1500 or 1500.50."))
            return None
        value = int(whole) * 100 + int((fraction or "0").ljust(2, "0"))
        if value <= 0:
            self.fail(name, gettext("Enter an amount above zero."))
            return None
        return value

    def choice(self, name: str, allowed: Iterable[str]) -> str:
        value = self.values.get(name, "")
        if value not in set(allowed):
            self.fail(name, gettext("Choose one of the options."))
        return value

    def words(self, name: str) -> list[str]:
        """A list typed with commas, spaces or one per line (feature codes)."""
        raw = self.values.get(name, "")
        return [item for item in raw.replace(",", " ").split() if item]
