"""Outgoing HTTP clients (``core.http``)."""

import ssl

from chancela.core.http import http_client


def _tls(client):
    return client._transport._pool._ssl_context  # httpx's own transport, as it will connect


def test_it_verifies_certificates_with_one_tls_context_shared_by_every_client():
    with http_client() as first, http_client(base_url="https://example.com") as second:
        context = _tls(first)

        assert context is _tls(second)  # the CA bundle is parsed once per process
        assert context.verify_mode == ssl.CERT_REQUIRED
        assert context.check_hostname
