"""The one place that composes the service: which surfaces an application serves.

``all`` (the default) serves the activation API, the vendor API and the portal's pages in one
process; ``api`` only the activation API (the stateless tier that scales out); ``portal`` only
the vendor API and the portal. Each has the health and metrics endpoints. This is the one module
of ``activation_server`` that imports the vendor portal.
"""

from __future__ import annotations

from aiohttp import web

from activation_server.app import add_activation_routes, create_app
from activation_server.settings import Settings


def build_app(settings: Settings) -> web.Application:
    """The application of the surfaces that ``settings.surface`` names."""
    app = create_app(settings)
    if settings.serves_api:
        add_activation_routes(app.router)
    if settings.serves_portal:
        from vendor_portal.app import setup_portal

        setup_portal(app)
    return app
