"""Accounts in the vendor API as msgspec types: the bodies and queries read from requests, the
answers written, and the source of their OpenAPI schemas.

The types say shape, lengths and choices; what needs the domain is checked after decoding by
the handlers and the service: an e-mail address's form (:func:`vendor_portal.parsing.email`,
which also trims and lower-cases it), a password's strength
(:func:`vendor_portal.accounts.passwords.check_strength`), free text that is only spaces or
cannot be stored (:func:`vendor_portal.parsing.checked_text`).
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from activation_server.bodies import Time
from activation_server.declare import Limit, PageQuery
from vendor_portal.accounts.passwords import MAX_LENGTH, MIN_LENGTH
from vendor_portal.parsing import MAX_BIGINT

# A link's or reset code's token as the e-mail carried it (the server writes 43 characters).
MAX_LINK_TOKEN = 200
# The API keys revoked along with a password reset: the first this many of the list.
MAX_REVOKED_KEYS = 100

Email = Annotated[
    str,
    Meta(
        description=(
            "An e-mail address (name@example.com, at most 254 characters); surrounding spaces "
            "are ignored and it is kept in lower case."
        ),
        extra_json_schema={"format": "email"},
    ),
]
NewPassword = Annotated[
    str,
    Meta(
        min_length=MIN_LENGTH,
        max_length=MAX_LENGTH,
        description=f"At least {MIN_LENGTH} characters.",
    ),
]
Password = Annotated[str, Meta(min_length=1, max_length=MAX_LENGTH)]
LinkToken = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=MAX_LINK_TOKEN,
        description="The code from the e-mail (also the link's token).",
    ),
]
CompanyName = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=200,
        description="The company's name; not only spaces.",
    ),
]
VendorKind = Literal["legal_entity", "individual"]
Role = Literal["vendor", "staff"]
CompanyRole = Literal["admin", "member"]
Id = Annotated[int, Meta(ge=1, le=MAX_BIGINT)]
Percent = Annotated[int, Meta(ge=0, le=100)]


# --- request bodies --------------------------------------------------------------------------


class RegistrationBody(msgspec.Struct, kw_only=True):
    email: Email
    password: NewPassword
    company: CompanyName
    kind: Annotated[
        VendorKind, Meta(description="A company or a private person; left out: legal_entity.")
    ] = "legal_entity"


class LinkTokenBody(msgspec.Struct, kw_only=True):
    token: LinkToken


class SignInBody(msgspec.Struct, kw_only=True):
    email: Email
    password: Password


class PasswordResetRequestBody(msgspec.Struct, kw_only=True):
    email: Email


class PasswordResetBody(msgspec.Struct, kw_only=True):
    token: LinkToken
    password: NewPassword
    revoke_api_keys: Annotated[
        list[Id],
        Meta(
            description=(
                "Ids of the account's API keys to revoke along with the new password (see the "
                f"reset page); only the first {MAX_REVOKED_KEYS} are read."
            )
        ),
    ] = msgspec.field(default_factory=list)


class PasswordChangeBody(msgspec.Struct, kw_only=True):
    current_password: Password
    new_password: NewPassword


class ApiKeyBody(msgspec.Struct, kw_only=True):
    """The body may be left out altogether."""

    name: Annotated[
        str,
        Meta(
            min_length=1,
            max_length=100,
            description="What the key is for; not only spaces. Left out: 'API key'.",
        ),
    ] = "API key"


class UserBody(msgspec.Struct, kw_only=True):
    """A vendor adds a user to its own company and may name neither ``company`` nor another
    role; staff name the company (``company`` or ``vendor_id``) of a vendor user, and none
    for a staff user. ``null`` is refused in every field: leave a field out instead."""

    email: Email
    password: NewPassword
    role: Role = "vendor"
    company: (
        Annotated[
            str,
            Meta(
                min_length=1,
                max_length=200,
                description=(
                    "Staff only: the company by name (created when no company has that name)."
                ),
            ),
        ]
        | UnsetType
    ) = UNSET
    vendor_id: Annotated[Id, Meta(description="Staff only: the company by id.")] | UnsetType = UNSET


class ColleagueBody(msgspec.Struct, kw_only=True):
    email: Email
    company_role: Annotated[
        CompanyRole, Meta(description="An admin adds and disables colleagues; left out: member.")
    ] = "member"


class VendorPatchBody(msgspec.Struct, kw_only=True):
    discount_percent: Annotated[Percent, Meta(description="The company's discount on orders.")]


# --- queries ---------------------------------------------------------------------------------


class ConfirmQuery(msgspec.Struct, kw_only=True):
    token: Annotated[
        LinkToken,
        Meta(
            description=(
                "The code from the e-mail. A browser (Accept: text/html) is sent on to the "
                "portal's confirmation page, which confirms with a button."
            )
        ),
    ]


class ApiKeyQuery(PageQuery, kw_only=True):
    """Every key of the caller's company (staff: their own), oldest first."""

    limit: Limit = 1000


# --- answers ---------------------------------------------------------------------------------


class User(msgspec.Struct, kw_only=True):
    id: int
    email: str
    role: Role
    vendor_id: Annotated[int | None, Meta(description="The company; null for staff.")]
    confirmed: bool
    created_at: Time
    disabled: bool
    company_role: Annotated[
        CompanyRole | None, Meta(description="The role in the company; null for staff.")
    ]


class Vendor(msgspec.Struct, kw_only=True):
    id: int
    name: str
    kind: VendorKind
    discount_percent: Percent
    balance: Annotated[int, Meta(ge=0, description="Prepaid, in minor units (kopecks for RUB).")]
    created_at: Time


class ApiKey(msgspec.Struct, kw_only=True):
    id: int
    name: str
    prefix: Annotated[str, Meta(description="The key's first characters, to recognise it.")]
    user_id: int
    created_at: Time
    last_used_at: Time | None
    revoked_at: Time | None


class NewApiKey(ApiKey, kw_only=True):
    key: Annotated[
        str, Meta(description="The key itself (ak_...), shown in this answer only: keep it.")
    ]


class Token(msgspec.Struct, kw_only=True):
    access_token: Annotated[str, Meta(description="Send as 'Authorization: Bearer <token>'.")]
    token_type: Literal["bearer"]
    expires_in: Annotated[int, Meta(description="Seconds until the token stops working.")]


class Accepted(msgspec.Struct, kw_only=True):
    """Answered whether or not the address has an account, so that it tells nobody which do."""

    status: Literal["confirmation_sent", "reset_sent"]
    message: str


class Confirmation(msgspec.Struct, kw_only=True):
    confirmed: bool
    user: User


class PasswordChanged(msgspec.Struct, kw_only=True):
    status: Literal["password_changed"]
    user: User


class Me(msgspec.Struct, kw_only=True):
    user: User
    vendor: Annotated[Vendor | None, Meta(description="The user's company; null for staff.")]
