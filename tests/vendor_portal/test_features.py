"""The portal is built feature first: every address it serves is added by one feature's
``routes.setup``, and the handler behind it is that feature's own."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

from aiohttp import web

from vendor_portal.app import FEATURES
from vendor_portal.routing import Routes

# The documentation feature serves the OpenAPI document, which is kept apart from it.
BORROWED = {"docs": {"openapi"}}


def _handlers(router: web.UrlDispatcher) -> Iterator[tuple[str, str, str]]:
    for route in router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        path = info.get("path") or info.get("formatter") or ""
        yield route.method, path, route.handler.__module__


def _feature_of(module: str) -> str:
    return module.split(".")[1]


def test_each_feature_adds_only_its_own_handlers() -> None:
    seen = set()
    for setup in FEATURES:
        feature = _feature_of(setup.__module__)
        assert setup.__module__ == f"vendor_portal.{feature}.routes"
        routes = Routes(web.UrlDispatcher(), web.UrlDispatcher())
        setup(routes)
        added = [*_handlers(routes.api_router), *_handlers(routes.pages_router)]
        assert added, feature
        for method, path, module in added:
            owner = _feature_of(module)
            assert owner == feature or owner in BORROWED.get(feature, set()), (method, path)
            # A newcomer finds the handler by the feature's name and the kind of address.
            assert module.split(".")[2] in {"handlers", "pages", "people"}, (method, path)
        seen.add(feature)
    assert len(seen) == len(FEATURES) > 10


def test_no_address_of_the_portal_comes_from_elsewhere(app: web.Application) -> None:
    expected = []
    for setup in FEATURES:
        routes = Routes(web.UrlDispatcher(), web.UrlDispatcher())
        setup(routes)
        expected += _handlers(routes.api_router)
        # The pages' sub-application is mounted under /portal.
        expected += [(m, "/portal" + path, h) for m, path, h in _handlers(routes.pages_router)]
    # The application's routes include those of its sub-applications.
    served = [
        route
        for route in _handlers(app.router)
        if route[2].startswith("vendor_portal.") and route[2] != "vendor_portal.app"
    ]
    assert sorted(served) == sorted(expected)
    assert len(served) > 100


def test_every_feature_package_has_its_setup() -> None:
    registered = {setup.__module__ for setup in FEATURES}
    for module in registered:
        assert callable(importlib.import_module(module).setup)
