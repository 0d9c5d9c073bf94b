"""Mounts the vendor portal onto the activation server's application."""

from __future__ import annotations

from aiohttp import web

from activation_server.appkeys import SETTINGS


async def _root(request: web.Request) -> web.Response:
    raise web.HTTPFound("/portal/")


async def _portal_index(request: web.Request) -> web.Response:
    base = request.app[SETTINGS].base_url if SETTINGS in request.app else ""
    return web.Response(
        text=(
            "<!doctype html><title>Activation Server</title>"
            "<h1>Activation Server</h1>"
            f"<p>Activation API: <code>{base}/v1/activations</code></p>"
        ),
        content_type="text/html",
    )


def setup_portal(app: web.Application) -> None:
    app.router.add_get("/", _root)
    portal = web.Application()
    portal.router.add_get("/", _portal_index)
    app.add_subapp("/portal/", portal)
