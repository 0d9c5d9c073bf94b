"""Client SDK of the activation service: protect an application in ten lines.

::

    from client_sdk import Client, LicenseError

    client = Client("https://activation.example.com", product="ACME", public_keys=KEYS)
    try:
        license = client.load()                 # offline, at every start
    except LicenseError:
        license = client.activate(input("Serial number: "))
    if license.has_feature("export"):
        ...

Depends on ``cryptography`` and ``pyjwt`` only; never imports the server's packages.
"""

from __future__ import annotations

from client_sdk.client import SDK_VERSION, Client
from client_sdk.errors import ActivationError, LicenseError
from client_sdk.license import License

__version__ = SDK_VERSION
__all__ = ["ActivationError", "Client", "License", "LicenseError"]
