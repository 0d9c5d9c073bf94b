"""Handlers of accounts: registration, confirmation, log-in, passwords, API keys, users and
companies. Each receives its body and query decoded as its declaration in
:mod:`vendor_portal.accounts.endpoints` says; check what needs the domain, call the service,
shape the answer."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from activation_server.appkeys import DB_POOL
from activation_server.declare import NoOptions, PageQuery, page
from activation_server.errors import Forbidden
from activation_server.http import client_address
from vendor_portal import parsing
from vendor_portal.accounts import service
from vendor_portal.accounts.passwords import check_strength
from vendor_portal.accounts.queries import ApiKey, User, Vendor
from vendor_portal.accounts.schemas import (
    MAX_REVOKED_KEYS,
    ApiKeyBody,
    ApiKeyQuery,
    ColleagueBody,
    ConfirmQuery,
    LinkTokenBody,
    PasswordChangeBody,
    PasswordResetBody,
    PasswordResetRequestBody,
    RegistrationBody,
    SignInBody,
    UserBody,
    VendorPatchBody,
)
from vendor_portal.actor import iso
from vendor_portal.appkeys import PORTAL
from vendor_portal.auth import current_actor
from vendor_portal.errors import ApiKeyNotFound, UserNotFound, VendorNotFound


def user_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "role": user.role,
        "vendor_id": user.vendor_id,
        "confirmed": user.confirmed_at is not None,
        "created_at": iso(user.created_at),
        "disabled": user.disabled_at is not None,
        "company_role": user.company_role if user.vendor_id is not None else None,
    }


def vendor_json(vendor: Vendor) -> dict[str, Any]:
    return {
        "id": vendor.id,
        "name": vendor.name,
        "kind": vendor.kind,
        "discount_percent": vendor.discount_percent,
        "balance": vendor.balance,
        "created_at": iso(vendor.created_at),
    }


def api_key_json(key: ApiKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "name": key.name,
        "prefix": key.prefix,
        "user_id": key.user_id,
        "created_at": iso(key.created_at),
        "last_used_at": iso(key.last_used_at),
        "revoked_at": iso(key.revoked_at),
    }


async def post_register(request: web.Request, body: RegistrationBody) -> web.Response:
    await service.register(
        request.app[DB_POOL],
        request.app[PORTAL],
        email=parsing.email(body.email),
        password=check_strength(body.password),
        company=parsing.checked_text(body.company, "company"),
        kind=body.kind,
        address=client_address(request),
    )
    return web.json_response(
        {
            "status": "confirmation_sent",
            "message": "If the address can receive mail, a confirmation link is on its way.",
        },
        status=202,
    )


async def get_confirm(request: web.Request, query: ConfirmQuery) -> web.Response:
    if "text/html" in request.headers.get("Accept", ""):
        # A person following the e-mail's link lands on the portal's page, which confirms with
        # a button: a mail scanner opening the link does not use it up.
        raise web.HTTPSeeOther("/portal/confirm?" + urlencode({"token": query.token}))
    user = await service.confirm(
        request.app[DB_POOL], request.app[PORTAL], query.token, client_address(request)
    )
    return web.json_response({"confirmed": True, "user": user_json(user)})


async def post_confirm(request: web.Request, body: LinkTokenBody) -> web.Response:
    user = await service.confirm(
        request.app[DB_POOL], request.app[PORTAL], body.token, client_address(request)
    )
    return web.json_response({"confirmed": True, "user": user_json(user)})


async def post_token(request: web.Request, body: SignInBody) -> web.Response:
    session = await service.login(
        request.app[DB_POOL],
        request.app[PORTAL],
        email=parsing.email(body.email),
        password=body.password,
        address=client_address(request),
    )
    return web.json_response(session.to_json())


async def post_password_reset(request: web.Request, body: PasswordResetRequestBody) -> web.Response:
    await service.request_password_reset(
        request.app[DB_POOL],
        request.app[PORTAL],
        parsing.email(body.email),
        client_address(request),
    )
    return web.json_response(
        {"status": "reset_sent", "message": "If the address has an account, a code is on its way."},
        status=202,
    )


async def post_password_reset_confirm(
    request: web.Request, body: PasswordResetBody
) -> web.Response:
    user = await service.reset_password(
        request.app[DB_POOL],
        request.app[PORTAL],
        body.token,
        check_strength(body.password),
        client_address(request),
        revoke_keys=body.revoke_api_keys[:MAX_REVOKED_KEYS],
    )
    return web.json_response({"status": "password_changed", "user": user_json(user)})


async def post_password(request: web.Request, body: PasswordChangeBody) -> web.Response:
    actor = await current_actor(request)
    new = check_strength(body.new_password, "new_password")
    session = await service.change_password(
        request.app[DB_POOL], request.app[PORTAL], actor, body.current_password, new
    )
    return web.json_response(session.to_json())


async def get_me(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    pool = request.app[DB_POOL]
    if actor.user_id is None:
        raise UserNotFound()
    user = await service.get_user(pool, actor, actor.user_id)
    vendor = None
    if actor.vendor_id is not None:
        vendor = vendor_json(await service.get_vendor(pool, actor, actor.vendor_id))
    return web.json_response({"user": user_json(user), "vendor": vendor})


async def get_api_keys(request: web.Request, query: ApiKeyQuery) -> web.Response:
    actor = await current_actor(request)
    pool = request.app[DB_POOL]
    keys = await service.list_api_keys(pool, actor, query.limit, query.offset)
    total = await service.count_api_keys(pool, actor)
    return web.json_response(page([api_key_json(key) for key in keys], total, query))


async def post_api_key(request: web.Request, body: ApiKeyBody) -> web.Response:
    actor = await current_actor(request)
    name = parsing.checked_text(body.name, "name")
    key, secret = await service.create_api_key(request.app[DB_POOL], actor, name)
    return web.json_response({**api_key_json(key), "key": secret}, status=201)


async def delete_api_key(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    key_id = parsing.path_id(request.match_info["key_id"], ApiKeyNotFound)
    key = await service.revoke_api_key(request.app[DB_POOL], actor, key_id)
    return web.json_response(api_key_json(key))


async def get_users(request: web.Request, query: PageQuery) -> web.Response:
    actor = await current_actor(request)
    pool = request.app[DB_POOL]
    users = await service.list_users(pool, actor, query.limit, query.offset)
    total = await service.count_users(pool, actor)
    return web.json_response(page([user_json(user) for user in users], total, query))


async def post_user(request: web.Request, body: UserBody) -> web.Response:
    actor = await current_actor(request)
    company = parsing.given(body.company)
    user = await service.create_user(
        request.app[DB_POOL],
        request.app[PORTAL].passwords,
        actor,
        email=parsing.email(body.email),
        password=check_strength(body.password),
        role=body.role,
        company=None if company is None else parsing.checked_text(company, "company"),
        vendor_id=parsing.given(body.vendor_id),
    )
    return web.json_response(user_json(user), status=201)


async def get_user(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    user_id = parsing.path_id(request.match_info["user_id"], UserNotFound)
    return web.json_response(
        user_json(await service.get_user(request.app[DB_POOL], actor, user_id))
    )


async def get_colleagues(request: web.Request, query: PageQuery) -> web.Response:
    """The users of the caller's own company (staff belong to none)."""
    actor = await current_actor(request)
    if actor.vendor_id is None:
        raise Forbidden("Only a vendor's user has colleagues.")
    return await get_users(request, query)


async def post_colleague(request: web.Request, body: ColleagueBody) -> web.Response:
    actor = await current_actor(request)
    user = await service.invite_colleague(
        request.app[DB_POOL],
        request.app[PORTAL],
        actor,
        email=parsing.email(body.email),
        company_role=body.company_role,
    )
    return web.json_response(user_json(user), status=201)


async def _set_disabled(request: web.Request, disabled: bool) -> web.Response:
    actor = await current_actor(request)
    user_id = parsing.path_id(request.match_info["user_id"], UserNotFound)
    user = await service.set_user_disabled(request.app[DB_POOL], actor, user_id, disabled)
    return web.json_response(user_json(user))


async def post_disable_user(request: web.Request, _: NoOptions) -> web.Response:
    return await _set_disabled(request, True)


async def post_enable_user(request: web.Request, _: NoOptions) -> web.Response:
    return await _set_disabled(request, False)


async def get_vendors(request: web.Request, query: PageQuery) -> web.Response:
    actor = await current_actor(request)
    pool = request.app[DB_POOL]
    vendors = await service.list_vendors(pool, actor, query.limit, query.offset)
    total = await service.count_vendors(pool, actor)
    return web.json_response(page([vendor_json(vendor) for vendor in vendors], total, query))


async def get_vendor(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    vendor_id = parsing.path_id(request.match_info["vendor_id"], VendorNotFound)
    vendor = await service.get_vendor(request.app[DB_POOL], actor, vendor_id)
    return web.json_response(vendor_json(vendor))


async def patch_vendor(request: web.Request, body: VendorPatchBody) -> web.Response:
    actor = await current_actor(request)
    vendor_id = parsing.path_id(request.match_info["vendor_id"], VendorNotFound)
    vendor = await service.set_discount(
        request.app[DB_POOL], actor, vendor_id, body.discount_percent
    )
    return web.json_response(vendor_json(vendor))
