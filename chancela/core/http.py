"""The one way Chancela builds outgoing HTTP clients: explicit timeouts, no redirects.

Every call to another system (Clicksign, its file storage, the host ERP) goes through an
``httpx.Client`` made here, so that none of them can hang forever or be bounced somewhere else
by a redirect. Tests inject a ``transport``.
"""

from __future__ import annotations

import functools
import ssl
from dataclasses import dataclass

import httpx

USER_AGENT = "Chancela/0.1 (+https://github.com/chancela)"


@dataclass(frozen=True)
class Timeouts:
    """Seconds allowed for each phase of a request."""

    connect: float = 5.0
    read: float = 30.0
    write: float = 60.0
    pool: float = 5.0

    @property
    def total(self) -> float:
        """The longest a request can take before one of the timeouts fires."""
        return self.connect + self.write + self.read + self.pool

    def as_httpx(self) -> httpx.Timeout:
        return httpx.Timeout(connect=self.connect, read=self.read, write=self.write, pool=self.pool)


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The process's one TLS context (httpx's defaults: certifi's CA bundle, or
    ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` as set when it is first needed). Building one parses the
    whole CA bundle, ~60 ms of CPU: once per client it was two of them per dispatch job, about
    half the CPU of sending an envelope. An ``SSLContext`` is safe to share between clients."""
    return httpx.create_ssl_context()


def http_client(
    *,
    base_url: str = "",
    timeouts: Timeouts | None = None,
    headers: dict[str, str] | None = None,
    transport: httpx.BaseTransport | None = None,
    params: dict[str, str] | None = None,
) -> httpx.Client:
    """An ``httpx.Client`` that never follows redirects and always has timeouts. ``params`` go
    on every request (Clicksign's API 1.9 takes its token as ``?access_token=``)."""
    return httpx.Client(
        base_url=base_url,
        params=params,
        timeout=(timeouts or Timeouts()).as_httpx(),
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT, **(headers or {})},
        transport=transport,
        verify=tls_context(),
    )
