"""pytest support for suites that talk to the emulator over real HTTP.

Use it as a plugin (``pytest_plugins = ["clicksign_emulator.testing"]``) to get the ready-made
``emulator`` fixture, or build your own with :func:`make_emulator_fixture`::

    from clicksign_emulator.testing import make_emulator_fixture
    emulator = make_emulator_fixture(rate_limit=1000, webhook_settings={"mode": "manual"})

    def test_it_sends(emulator):
        server, control = emulator          # or emulator.server / emulator.control
        client = emulator.api()             # httpx.Client for /api/v3 with the demo token

One server per fixture definition is started lazily (free port on 127.0.0.1) and reused by every
test; each test starts from ``POST /__emulator/reset`` (state, accounts, faults, clock,
webhook settings back to startup).
"""

from __future__ import annotations

import atexit
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from .client import ControlClient
from .constants import DEMO_ACCOUNT_KEY, DEMO_SANDBOX_TOKEN
from .server import EmulatorServer


@dataclass
class EmulatorHandle:
    server: EmulatorServer
    control: ControlClient
    token: str = DEMO_SANDBOX_TOKEN
    account_key: str = DEMO_ACCOUNT_KEY

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def api_url(self) -> str:
        return self.server.api_url

    def api(self, token: str | None = None, **kwargs: Any) -> httpx.Client:
        """An ``httpx.Client`` on ``/api/v3`` sending ``Authorization: <token>`` (raw)."""
        headers = {
            "Authorization": token or self.token,
            "Content-Type": "application/vnd.api+json",
            "Accept": "application/vnd.api+json",
        }
        headers.update(kwargs.pop("headers", {}))
        kwargs.setdefault("timeout", 10.0)
        kwargs.setdefault("verify", False)  # plain HTTP on loopback; skips loading CA certs
        return httpx.Client(base_url=self.api_url, headers=headers, **kwargs)

    def legacy_api(self, token: str | None = None, **kwargs: Any) -> httpx.Client:
        """An ``httpx.Client`` on ``/api`` (paths ``/v1/...``, ``/v2/webhooks``) sending the
        token as ``?access_token=`` (API 1.9)."""
        kwargs.setdefault("timeout", 10.0)
        kwargs.setdefault("verify", False)
        return httpx.Client(
            base_url=f"{self.base_url}/api",
            params={"access_token": token or self.token},
            headers={"Accept": "application/json"},
            **kwargs,
        )

    def __iter__(self) -> Iterator[Any]:
        yield self.server
        yield self.control


def make_emulator_fixture(name: str = "emulator", **server_kwargs: Any) -> Callable[..., Any]:
    """A function-scoped fixture called ``name`` yielding an :class:`EmulatorHandle`.

    ``server_kwargs`` go to :class:`EmulatorServer` (``rate_limit``, ``accounts``,
    ``webhook_settings``...). The server is shared by every test using this fixture and reset
    before each one.
    """
    server_kwargs.setdefault("demo_account", True)
    holder: dict[str, Any] = {}

    def _started() -> tuple[EmulatorServer, ControlClient]:
        if "server" not in holder:
            server = EmulatorServer(host="127.0.0.1", port=0, **server_kwargs).start()
            control = ControlClient(server.base_url)
            holder.update(server=server, control=control)
            atexit.register(server.stop)
            atexit.register(control.close)
        return holder["server"], holder["control"]

    @pytest.fixture(name=name)
    def _emulator() -> Iterator[EmulatorHandle]:
        server, control = _started()
        control.reset()
        yield EmulatorHandle(server=server, control=control)

    return _emulator


emulator = make_emulator_fixture()
