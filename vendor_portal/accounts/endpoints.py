"""Accounts in the vendor API (DESIGN.md §4), each endpoint declared once: its route, body,
query, answers and refusals, from which the server reads requests and the OpenAPI document is
written."""

from __future__ import annotations

from activation_server.declare import Answer, Endpoint, NoOptions, Page, PageQuery, Param
from activation_server.errors import Forbidden, InvalidRequest, RateLimited
from vendor_portal.accounts import handlers, schemas
from vendor_portal.errors import (
    AccountDisabled,
    AccountNotConfirmed,
    ApiKeyNotFound,
    EmailTaken,
    InvalidCredentials,
    TokenNotFound,
    UserNotFound,
    VendorNotFound,
)

TAG = "accounts"
_ID = {"type": "string", "pattern": "^[0-9]{1,18}$"}
_USER_ID = Param("user_id", "path", _ID, "The user's id.")
_VENDOR_ID = Param("vendor_id", "path", _ID, "The company's id.")
_CONFIRMED = Answer(200, "The address is confirmed", schemas.Confirmation)

ENDPOINTS = (
    Endpoint(
        "POST",
        "/v1/auth/register",
        handlers.post_register,
        operation_id="register",
        summary="Register a company and its first user",
        description=(
            "Mails a confirmation link; the account works once the link is used. The answer is "
            "the same whether or not the address has an account (its owner is told by e-mail)."
        ),
        tag=TAG,
        body=schemas.RegistrationBody,
        answers=(Answer(202, "The confirmation mail is on its way", schemas.Accepted),),
        errors=(InvalidRequest,),
        public=True,
    ),
    Endpoint(
        "GET",
        "/v1/auth/confirm",
        handlers.get_confirm,
        operation_id="confirmEmailByLink",
        summary="Confirm an e-mail address (the link from the e-mail)",
        description=(
            "Uses up the link and confirms the account; a browser is sent on to the portal's "
            "confirmation page (303) instead. A link that expired or was used answers 404 "
            "TOKEN_INVALID; wrong codes from one address are limited (429)."
        ),
        tag=TAG,
        query=schemas.ConfirmQuery,
        answers=(
            _CONFIRMED,
            Answer(303, "A browser: sent to the portal's confirmation page"),
        ),
        errors=(InvalidRequest, TokenNotFound, RateLimited),
        public=True,
    ),
    Endpoint(
        "POST",
        "/v1/auth/confirm",
        handlers.post_confirm,
        operation_id="confirmEmail",
        summary="Confirm an e-mail address with the code",
        description=(
            "The code from the confirmation e-mail confirms the account and ends whatever else "
            "was set up with the address before. A used or expired code answers 404 "
            "TOKEN_INVALID; wrong codes from one address are limited (429)."
        ),
        tag=TAG,
        body=schemas.LinkTokenBody,
        answers=(_CONFIRMED,),
        errors=(InvalidRequest, TokenNotFound, RateLimited),
        public=True,
    ),
    Endpoint(
        "POST",
        "/v1/auth/token",
        handlers.post_token,
        operation_id="signIn",
        summary="Sign in: a short-lived bearer token",
        description=(
            "Trades an e-mail address and password for a bearer token. An unconfirmed (403 "
            "ACCOUNT_NOT_CONFIRMED) or disabled (403 ACCOUNT_DISABLED) account gets none; failed "
            "attempts per account and per address are limited (429)."
        ),
        tag=TAG,
        body=schemas.SignInBody,
        answers=(Answer(200, "The token", schemas.Token),),
        errors=(
            InvalidRequest,
            InvalidCredentials,
            AccountNotConfirmed,
            AccountDisabled,
            RateLimited,
        ),
        public=True,
    ),
    Endpoint(
        "POST",
        "/v1/auth/password-reset",
        handlers.post_password_reset,
        operation_id="requestPasswordReset",
        summary="Mail a password reset code",
        description=(
            "Mails a code valid for an hour if the address has an account; the answer is the "
            "same either way. Requests per account and per address are limited (429)."
        ),
        tag=TAG,
        body=schemas.PasswordResetRequestBody,
        answers=(
            Answer(202, "The code is on its way if the address has an account", schemas.Accepted),
        ),
        errors=(InvalidRequest, RateLimited),
        public=True,
    ),
    Endpoint(
        "POST",
        "/v1/auth/password-reset/confirm",
        handlers.post_password_reset_confirm,
        operation_id="resetPassword",
        summary="Set a new password with the reset code",
        description=(
            "Sets the password, confirms the address and ends the account's sessions; the API "
            "keys listed in revoke_api_keys are revoked with it. A used or expired code answers "
            "404 TOKEN_INVALID; wrong codes from one address are limited (429)."
        ),
        tag=TAG,
        body=schemas.PasswordResetBody,
        answers=(Answer(200, "The password is changed", schemas.PasswordChanged),),
        errors=(InvalidRequest, TokenNotFound, RateLimited),
        public=True,
    ),
    Endpoint(
        "POST",
        "/v1/auth/password",
        handlers.post_password,
        operation_id="changePassword",
        summary="Change the password",
        description=(
            "Answers a fresh token: every earlier token and portal session of the user stops "
            "working. A wrong current password answers 403; tries are limited like sign-ins "
            "(429)."
        ),
        tag=TAG,
        body=schemas.PasswordChangeBody,
        answers=(Answer(200, "A fresh token", schemas.Token),),
        errors=(InvalidRequest, Forbidden, RateLimited),
    ),
    Endpoint(
        "GET",
        "/v1/me",
        handlers.get_me,
        operation_id="getMe",
        summary="The signed-in user and company",
        description="Whose token or API key this is, and that user's company (none for staff).",
        tag=TAG,
        answers=(Answer(200, "The user and company", schemas.Me),),
        errors=(UserNotFound,),
    ),
    Endpoint(
        "GET",
        "/v1/api-keys",
        handlers.get_api_keys,
        operation_id="listApiKeys",
        summary="API keys",
        description=(
            "The API keys of the caller's company (staff: their own), revoked ones included, "
            "oldest first. The keys themselves are never shown again, only their prefixes."
        ),
        tag=TAG,
        query=schemas.ApiKeyQuery,
        answers=(Answer(200, "A page of API keys", Page[schemas.ApiKey]),),
        errors=(InvalidRequest,),
    ),
    Endpoint(
        "POST",
        "/v1/api-keys",
        handlers.post_api_key,
        operation_id="createApiKey",
        summary="Create an API key (shown once)",
        description=(
            "A key that works as a bearer token for the signed-in user, until revoked. The "
            "answer is the only time the key itself is shown."
        ),
        tag=TAG,
        body=schemas.ApiKeyBody,
        body_required=False,
        answers=(Answer(201, "The new key, with the key itself", schemas.NewApiKey),),
        errors=(InvalidRequest, Forbidden),
    ),
    Endpoint(
        "DELETE",
        "/v1/api-keys/{key_id}",
        handlers.delete_api_key,
        operation_id="revokeApiKey",
        summary="Revoke an API key",
        description=(
            "The key stops working at once. Its owner, an admin of its company or staff may "
            "revoke it; revoking twice answers the same key."
        ),
        tag=TAG,
        params=(Param("key_id", "path", _ID, "The key's id."),),
        answers=(Answer(200, "The revoked key", schemas.ApiKey),),
        errors=(ApiKeyNotFound,),
    ),
    Endpoint(
        "GET",
        "/v1/users",
        handlers.get_users,
        operation_id="listUsers",
        summary="Users (a vendor: its company's)",
        description="Staff see every user; a vendor's user sees the company's users. Oldest first.",
        tag=TAG,
        query=PageQuery,
        answers=(Answer(200, "A page of users", Page[schemas.User]),),
        errors=(InvalidRequest,),
    ),
    Endpoint(
        "POST",
        "/v1/users",
        handlers.post_user,
        operation_id="createUser",
        summary="Create a confirmed user",
        description=(
            "Staff create staff users and users of any company (by company name or vendor_id); "
            "a vendor adds a user to its own company only (403 otherwise). A taken address "
            "answers 409 EMAIL_TAKEN."
        ),
        tag=TAG,
        body=schemas.UserBody,
        answers=(Answer(201, "The new user", schemas.User),),
        errors=(InvalidRequest, Forbidden, VendorNotFound, EmailTaken),
    ),
    Endpoint(
        "GET",
        "/v1/users/{user_id}",
        handlers.get_user,
        operation_id="getUser",
        summary="One user",
        description="A user of the caller's company (staff: any user).",
        tag=TAG,
        params=(_USER_ID,),
        answers=(Answer(200, "The user", schemas.User),),
        errors=(UserNotFound,),
    ),
    Endpoint(
        "POST",
        "/v1/users/{user_id}/disable",
        handlers.post_disable_user,
        operation_id="disableUser",
        summary="Disable a user",
        description=(
            "Staff, or an admin of the user's company: the user's tokens, portal sessions and "
            "API keys stop at once. Nobody may disable themselves (403)."
        ),
        tag=TAG,
        params=(_USER_ID,),
        body=NoOptions,
        body_required=False,
        answers=(Answer(200, "The disabled user", schemas.User),),
        errors=(InvalidRequest, Forbidden, UserNotFound),
    ),
    Endpoint(
        "POST",
        "/v1/users/{user_id}/enable",
        handlers.post_enable_user,
        operation_id="enableUser",
        summary="Enable a disabled user again",
        description=(
            "Staff, or an admin of the user's company; the user signs in again to get a token."
        ),
        tag=TAG,
        params=(_USER_ID,),
        body=NoOptions,
        body_required=False,
        answers=(Answer(200, "The enabled user", schemas.User),),
        errors=(InvalidRequest, Forbidden, UserNotFound),
    ),
    Endpoint(
        "GET",
        "/v1/colleagues",
        handlers.get_colleagues,
        operation_id="listColleagues",
        summary="The users of the own company",
        description="A vendor's user sees its company's users, oldest first; staff: 403.",
        tag=TAG,
        query=PageQuery,
        answers=(Answer(200, "A page of users", Page[schemas.User]),),
        errors=(InvalidRequest, Forbidden),
    ),
    Endpoint(
        "POST",
        "/v1/colleagues",
        handlers.post_colleague,
        operation_id="inviteColleague",
        summary="Invite a colleague",
        description=(
            "An admin of the company adds a user and mails them a link to choose their "
            "password (the admin never knows it). Anyone else is refused 403; a taken address "
            "answers 409 EMAIL_TAKEN."
        ),
        tag=TAG,
        body=schemas.ColleagueBody,
        answers=(Answer(201, "The invited user", schemas.User),),
        errors=(InvalidRequest, Forbidden, EmailTaken),
    ),
    Endpoint(
        "GET",
        "/v1/vendors",
        handlers.get_vendors,
        operation_id="listVendors",
        summary="Companies (a vendor: its own)",
        description="Staff see every company, oldest first; a vendor's user sees its own.",
        tag=TAG,
        query=PageQuery,
        answers=(Answer(200, "A page of companies", Page[schemas.Vendor]),),
        errors=(InvalidRequest,),
    ),
    Endpoint(
        "GET",
        "/v1/vendors/{vendor_id}",
        handlers.get_vendor,
        operation_id="getVendor",
        summary="One company",
        description="The caller's own company (staff: any company).",
        tag=TAG,
        params=(_VENDOR_ID,),
        answers=(Answer(200, "The company", schemas.Vendor),),
        errors=(VendorNotFound,),
    ),
    Endpoint(
        "PATCH",
        "/v1/vendors/{vendor_id}",
        handlers.patch_vendor,
        operation_id="setVendorDiscount",
        summary="Set a company's discount (staff)",
        description=(
            "The percentage taken off the company's orders from now on; the change is audited. "
            "Staff only (403 for anyone else)."
        ),
        tag=TAG,
        params=(_VENDOR_ID,),
        body=schemas.VendorPatchBody,
        answers=(Answer(200, "The company", schemas.Vendor),),
        errors=(InvalidRequest, Forbidden, VendorNotFound),
        staff=True,
    ),
)
