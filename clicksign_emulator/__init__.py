"""A Django-free, in-memory, strict local emulator of Clicksign's API v3 (envelopes).

Public API::

    from clicksign_emulator import EmulatorServer, ControlClient, DEMO_SANDBOX_TOKEN

    with EmulatorServer(port=0) as server:
        control = ControlClient(server.base_url)
        ...

See ``clicksign_emulator/README.md``.
"""

from .client import ControlClient, ControlError
from .constants import (
    DEMO_ACCOUNT_KEY,
    DEMO_API_USER_EMAIL,
    DEMO_PRODUCTION_TOKEN,
    DEMO_SANDBOX_TOKEN,
)
from .core import AccountSpec, Emulator
from .pdf import blank_pdf
from .server import EmulatorServer
from .webhooks import sign as webhook_signature

__all__ = [
    "DEMO_ACCOUNT_KEY",
    "DEMO_API_USER_EMAIL",
    "DEMO_PRODUCTION_TOKEN",
    "DEMO_SANDBOX_TOKEN",
    "AccountSpec",
    "ControlClient",
    "ControlError",
    "Emulator",
    "EmulatorServer",
    "blank_pdf",
    "webhook_signature",
]
