"""Handlers of accounts: registration, confirmation, log-in, passwords, API keys, users and
companies."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from activation_server.appkeys import DB_POOL
from activation_server.errors import Forbidden, InvalidRequest
from activation_server.http import client_address, read_json_object
from vendor_portal import parsing
from vendor_portal.accounts import service
from vendor_portal.accounts.passwords import check_strength
from vendor_portal.accounts.queries import ApiKey, User, Vendor
from vendor_portal.actor import iso
from vendor_portal.appkeys import PORTAL
from vendor_portal.auth import current_actor
from vendor_portal.errors import ApiKeyNotFound, UserNotFound, VendorNotFound

MAX_LINK_TOKEN = 200


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


def _link_token(value: Any) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_LINK_TOKEN:
        raise InvalidRequest("The field 'token' must be the code from the e-mail.")
    return value


async def post_register(request: web.Request) -> web.Response:
    body = await read_json_object(request)
    kind = body.get("kind", "legal_entity")
    if kind not in service.VENDOR_KINDS:
        raise InvalidRequest("The field 'kind' must be 'legal_entity' or 'individual'.")
    await service.register(
        request.app[DB_POOL],
        request.app[PORTAL],
        email=parsing.email(body.get("email")),
        password=check_strength(body.get("password")),
        company=parsing.required_text(body, "company"),
        kind=kind,
        address=client_address(request),
    )
    return web.json_response(
        {
            "status": "confirmation_sent",
            "message": "If the address can receive mail, a confirmation link is on its way.",
        },
        status=202,
    )


async def get_confirm(request: web.Request) -> web.Response:
    if "text/html" in request.headers.get("Accept", ""):
        # A person following the e-mail's link lands on the portal's page, which confirms with
        # a button: a mail scanner opening the link does not use it up.
        raise web.HTTPSeeOther(
            "/portal/confirm?" + urlencode({"token": request.query.get("token", "")[:200]})
        )
    token = _link_token(request.query.get("token"))
    user = await service.confirm(
        request.app[DB_POOL], request.app[PORTAL], token, client_address(request)
    )
    return web.json_response({"confirmed": True, "user": user_json(user)})


async def post_confirm(request: web.Request) -> web.Response:
    body = await read_json_object(request)
    user = await service.confirm(
        request.app[DB_POOL],
        request.app[PORTAL],
        _link_token(body.get("token")),
        client_address(request),
    )
    return web.json_response({"confirmed": True, "user": user_json(user)})


async def post_token(request: web.Request) -> web.Response:
    body = await read_json_object(request)
    password = body.get("password")
    if not isinstance(password, str) or not password or len(password) > 1024:
        raise InvalidRequest("The field 'password' must be a non-empty string.")
    session = await service.login(
        request.app[DB_POOL],
        request.app[PORTAL],
        email=parsing.email(body.get("email")),
        password=password,
        address=client_address(request),
    )
    return web.json_response(session.to_json())


async def post_password_reset(request: web.Request) -> web.Response:
    body = await read_json_object(request)
    await service.request_password_reset(
        request.app[DB_POOL],
        request.app[PORTAL],
        parsing.email(body.get("email")),
        client_address(request),
    )
    return web.json_response(
        {"status": "reset_sent", "message": "If the address has an account, a code is on its way."},
        status=202,
    )


async def post_password_reset_confirm(request: web.Request) -> web.Response:
    body = await read_json_object(request)
    token = _link_token(body.get("token"))
    password = check_strength(body.get("password"))
    revoke = body.get("revoke_api_keys", [])
    if not isinstance(revoke, list) or not all(
        isinstance(key, int) and not isinstance(key, bool) and 0 < key < 2**63 for key in revoke
    ):
        raise InvalidRequest("The field 'revoke_api_keys' must be a list of API key ids.")
    user = await service.reset_password(
        request.app[DB_POOL],
        request.app[PORTAL],
        token,
        password,
        client_address(request),
        revoke_keys=revoke[:100],
    )
    return web.json_response({"status": "password_changed", "user": user_json(user)})


async def post_password(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    body = await read_json_object(request)
    current = body.get("current_password")
    if not isinstance(current, str) or not current or len(current) > 1024:
        raise InvalidRequest("The field 'current_password' must be a non-empty string.")
    new = check_strength(body.get("new_password"), "new_password")
    session = await service.change_password(
        request.app[DB_POOL], request.app[PORTAL], actor, current, new
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


async def get_api_keys(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    keys = await service.list_api_keys(request.app[DB_POOL], actor)
    return web.json_response({"items": [api_key_json(key) for key in keys]})


async def post_api_key(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    body = await parsing.read_optional_json(request)
    name = parsing.text(body, "name", required=False, max_length=100) or "API key"
    key, secret = await service.create_api_key(request.app[DB_POOL], actor, name)
    return web.json_response({**api_key_json(key), "key": secret}, status=201)


async def delete_api_key(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    key_id = parsing.path_id(request.match_info["key_id"], ApiKeyNotFound)
    key = await service.revoke_api_key(request.app[DB_POOL], actor, key_id)
    return web.json_response(api_key_json(key))


async def get_users(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    limit, offset = parsing.limit_offset(request.query)
    users = await service.list_users(request.app[DB_POOL], actor, limit, offset)
    return web.json_response({"items": [user_json(user) for user in users]})


async def post_user(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    body = await read_json_object(request)
    role = body.get("role", "vendor")
    if role not in service.ROLES:
        raise InvalidRequest("The field 'role' must be 'vendor' or 'staff'.")
    user = await service.create_user(
        request.app[DB_POOL],
        request.app[PORTAL].passwords,
        actor,
        email=parsing.email(body.get("email")),
        password=check_strength(body.get("password")),
        role=role,
        company=parsing.text(body, "company", required=False),
        vendor_id=parsing.integer(body, "vendor_id", required=False, minimum=1),
    )
    return web.json_response(user_json(user), status=201)


async def get_user(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    user_id = parsing.path_id(request.match_info["user_id"], UserNotFound)
    return web.json_response(
        user_json(await service.get_user(request.app[DB_POOL], actor, user_id))
    )


async def get_colleagues(request: web.Request) -> web.Response:
    """The users of the caller's own company (staff belong to none)."""
    actor = await current_actor(request)
    if actor.vendor_id is None:
        raise Forbidden("Only a vendor's user has colleagues.")
    limit, offset = parsing.limit_offset(request.query)
    users = await service.list_users(request.app[DB_POOL], actor, limit, offset)
    return web.json_response({"items": [user_json(user) for user in users]})


async def post_colleague(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    body = await read_json_object(request)
    role = body.get("company_role", "member")
    if role not in service.COMPANY_ROLES:
        raise InvalidRequest("The field 'company_role' must be 'admin' or 'member'.")
    user = await service.invite_colleague(
        request.app[DB_POOL],
        request.app[PORTAL],
        actor,
        email=parsing.email(body.get("email")),
        company_role=role,
    )
    return web.json_response(user_json(user), status=201)


async def _set_disabled(request: web.Request, disabled: bool) -> web.Response:
    actor = await current_actor(request)
    user_id = parsing.path_id(request.match_info["user_id"], UserNotFound)
    # No options yet, but a body that is sent must be JSON like any other.
    await parsing.read_optional_json(request)
    user = await service.set_user_disabled(request.app[DB_POOL], actor, user_id, disabled)
    return web.json_response(user_json(user))


async def post_disable_user(request: web.Request) -> web.Response:
    return await _set_disabled(request, True)


async def post_enable_user(request: web.Request) -> web.Response:
    return await _set_disabled(request, False)


async def get_vendors(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    limit, offset = parsing.limit_offset(request.query)
    vendors = await service.list_vendors(request.app[DB_POOL], actor, limit, offset)
    return web.json_response({"items": [vendor_json(vendor) for vendor in vendors]})


async def get_vendor(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    vendor_id = parsing.path_id(request.match_info["vendor_id"], VendorNotFound)
    vendor = await service.get_vendor(request.app[DB_POOL], actor, vendor_id)
    return web.json_response(vendor_json(vendor))


async def patch_vendor(request: web.Request) -> web.Response:
    actor = await current_actor(request)
    actor.require_staff()
    vendor_id = parsing.path_id(request.match_info["vendor_id"], VendorNotFound)
    body = await read_json_object(request)
    percent = parsing.integer(body, "discount_percent", minimum=0, maximum=100)
    assert percent is not None
    vendor = await service.set_discount(request.app[DB_POOL], actor, vendor_id, percent)
    return web.json_response(vendor_json(vendor))
