"""pytest fixtures for any Chancela test that talks to Clicksign (through the emulator).

Registered for the whole suite in the root ``conftest.py``. Clicksign is only ever reached over
real HTTP on loopback: one emulator server per test session (free port), reset before each test.

- ``clicksign_emulator`` — an :class:`clicksign_emulator.testing.EmulatorHandle` (``.server``,
  ``.control``, ``.base_url``, ``.token`` of the demo sandbox account, ``.account_key``).
  Webhooks are in ``manual`` mode: call ``control.flush_deliveries()`` to send them.
- ``emulated_config`` — a saved sandbox :class:`SignatureConfig` of a fresh unit whose token is
  the emulator's demo account, with ``settings.CLICKSIGN_URLS`` pointing at the emulator.
- ``clicksign_client`` — ``client_for_config(emulated_config)`` (closed after the test).

Helpers: :func:`point_clicksign_at` (settings → emulator) and :func:`emulator_account`
(a new emulator account with flags, e.g. ``api_user_email=None``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chancela.clicksign.client import ClicksignClient, client_for_config
from chancela.esign.models import SignatureConfig
from chancela.testing.factories import make_config, make_unit
from clicksign_emulator import DEMO_API_USER_EMAIL
from clicksign_emulator.testing import EmulatorHandle, make_emulator_fixture

clicksign_emulator = make_emulator_fixture(
    "clicksign_emulator", webhook_settings={"mode": "manual"}
)


def point_clicksign_at(settings: Any, emulator: EmulatorHandle) -> None:
    """Make both environments' base URLs the emulator's (like CHANCELA_CLICKSIGN_*_URL do)."""
    settings.CLICKSIGN_URLS = {"sandbox": emulator.base_url, "production": emulator.base_url}


def emulator_account(emulator: EmulatorHandle, **fields: Any) -> dict[str, Any]:
    """Create an account on the emulator (``token``, ``api_user_email``, ``plan_has_api``,
    ``envelopes_enabled``, ``environment``…); returns it with its ``key`` and ``token``."""
    fields.setdefault("api_user_email", "api@escola.edu.br")
    return emulator.control.create_account(**fields)


@pytest.fixture
def emulated_config(clicksign_emulator: EmulatorHandle, settings: Any, db: Any) -> SignatureConfig:
    point_clicksign_at(settings, clicksign_emulator)
    return make_config(
        make_unit(),
        token=clicksign_emulator.token,
        api_user_email=DEMO_API_USER_EMAIL,
    )


@pytest.fixture
def clicksign_client(emulated_config: SignatureConfig) -> Iterator[ClicksignClient]:
    client = client_for_config(emulated_config)
    try:
        yield client
    finally:
        client.close()
