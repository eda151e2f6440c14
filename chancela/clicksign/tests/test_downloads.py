"""Downloading files Clicksign links to: only its hosts, never with the token, size-capped."""

import httpx
import pytest

from chancela.clicksign.client import ClicksignClient
from chancela.clicksign.errors import ClicksignPermanentError
from chancela.testing.clicksign import make_envelope

pytestmark = pytest.mark.django_db


class Recording(httpx.HTTPTransport):
    def __init__(self):
        super().__init__()
        self.seen: list[httpx.Request] = []

    def handle_request(self, request):
        self.seen.append(request)
        return super().handle_request(request)


@pytest.fixture
def recorded(clicksign_emulator):
    transport = Recording()
    with ClicksignClient(
        base_url=clicksign_emulator.base_url, token=clicksign_emulator.token, transport=transport
    ) as client:
        yield client, transport


def test_it_downloads_a_file_link_without_the_token(recorded):
    client, transport = recorded
    built = make_envelope(client)

    original = client.document_download(built.envelope.id, built.document.id, kind="original")

    assert original is not None and original.is_pdf and len(original.sha256) == 64
    download = transport.seen[-1]
    assert "/__files/" in download.url.path
    assert "authorization" not in download.headers


def test_it_says_the_signed_file_is_not_ready_before_the_document_closes(recorded):
    client, _ = recorded
    built = make_envelope(client, activate=True)
    assert client.document_download(built.envelope.id, built.document.id) is None


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example.com/contrato.pdf",
        "http://clicksign-content-sandbox.s3.amazonaws.com/x.pdf",  # not HTTPS
        "https://clicksign-content-sandbox.s3.amazonaws.com.evil.net/x.pdf",
    ],
)
def test_it_refuses_hosts_that_are_not_clicksigns(recorded, url):
    client, transport = recorded
    with pytest.raises(ClicksignPermanentError):
        client.download(url)
    assert transport.seen == []


def test_it_accepts_clicksigns_storage_hosts(recorded):
    client, _ = recorded
    for host in (
        "clicksign-content-production.s3.amazonaws.com",
        "clicksign-sandbox-content.s3.amazonaws.com",
        "clicksign-content-sandbox.s3.sa-east-1.amazonaws.com",
    ):
        assert client.download_allowed(f"https://{host}/a.pdf?X-Amz-Expires=300")


def test_it_stops_a_download_over_the_size_cap(recorded):
    client, _ = recorded
    built = make_envelope(client)
    url = client.document_get(built.envelope.id, built.document.id).files.original
    with pytest.raises(ClicksignPermanentError) as error:
        client.download(url or "", max_bytes=100)
    assert "limite" in error.value.message
