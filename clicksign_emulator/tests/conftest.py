"""Shared fixtures and small factories for the emulator's own tests (real HTTP, loopback)."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from clicksign_emulator import blank_pdf
from clicksign_emulator.testing import EmulatorHandle, make_emulator_fixture

FIXTURES = Path(__file__).parent / "fixtures"

# One server for the whole suite, generous rate limit (the rate-limit tests lower it),
# webhooks in manual mode by default so tests flush them deterministically.
emulator = make_emulator_fixture(rate_limit=10_000, production_rate_limit=10_000)


def fixture_json(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def emu(emulator: EmulatorHandle) -> EmulatorHandle:
    emulator.control.webhook_settings(mode="manual")
    return emulator


@pytest.fixture
def api(emu: EmulatorHandle) -> Iterator[httpx.Client]:
    with emu.api() as client:
        yield client


# ---------------------------------------------------------------------- factories


def data_uri(content: bytes, mime: str = "application/pdf") -> str:
    return f"data:{mime};base64," + base64.b64encode(content).decode()


def create_envelope(api: httpx.Client, **attrs: Any) -> dict[str, Any]:
    attrs.setdefault("name", "Contrato de matrícula")
    response = api.post("/envelopes", json={"data": {"type": "envelopes", "attributes": attrs}})
    assert response.status_code == 201, response.text
    return response.json()["data"]


def add_document(
    api: httpx.Client,
    envelope_id: str,
    *,
    filename: str = "contrato.pdf",
    content: bytes | None = None,
    pages: int = 2,
    metadata: dict[str, Any] | None = None,
) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        "filename": filename,
        "content_base64": data_uri(content if content is not None else blank_pdf(pages)),
    }
    if metadata is not None:
        attrs["metadata"] = metadata
    response = api.post(
        f"/envelopes/{envelope_id}/documents",
        json={"data": {"type": "documents", "attributes": attrs}},
    )
    assert response.status_code == 201, response.text
    return response.json()["data"]


def add_signer(api: httpx.Client, envelope_id: str, **attrs: Any) -> dict[str, Any]:
    attrs.setdefault("name", "Maria da Silva")
    attrs.setdefault("email", "maria@example.com")
    response = post_signer(api, envelope_id, **attrs)
    assert response.status_code == 201, response.text
    return response.json()["data"]


def post_signer(api: httpx.Client, envelope_id: str, **attrs: Any) -> httpx.Response:
    return api.post(
        f"/envelopes/{envelope_id}/signers", json={"data": {"type": "signers", "attributes": attrs}}
    )


def relationships(document_id: str, signer_id: str) -> dict[str, Any]:
    return {
        "document": {"data": {"type": "documents", "id": document_id}},
        "signer": {"data": {"type": "signers", "id": signer_id}},
    }


def requirement_body(document_id: str, signer_id: str, **attrs: Any) -> dict[str, Any]:
    return {
        "data": {
            "type": "requirements",
            "attributes": attrs,
            "relationships": relationships(document_id, signer_id),
        }
    }


def post_requirement(
    api: httpx.Client, envelope_id: str, document_id: str, signer_id: str, **attrs: Any
) -> httpx.Response:
    return api.post(
        f"/envelopes/{envelope_id}/requirements",
        json=requirement_body(document_id, signer_id, **attrs),
    )


def add_requirements(
    api: httpx.Client,
    envelope_id: str,
    document_id: str,
    signer_id: str,
    *,
    role: str = "sign",
    auth: str = "email",
) -> None:
    for attrs in ({"action": "agree", "role": role}, {"action": "provide_evidence", "auth": auth}):
        response = post_requirement(api, envelope_id, document_id, signer_id, **attrs)
        assert response.status_code == 201, response.text


def activate(api: httpx.Client, envelope_id: str) -> httpx.Response:
    return api.patch(
        f"/envelopes/{envelope_id}",
        json={
            "data": {"id": envelope_id, "type": "envelopes", "attributes": {"status": "running"}}
        },
    )


def notify(api: httpx.Client, envelope_id: str, **attrs: Any) -> httpx.Response:
    return api.post(
        f"/envelopes/{envelope_id}/notifications",
        json={"data": {"type": "notifications", "attributes": attrs}},
    )


@dataclass
class Scenario:
    envelope: dict[str, Any]
    documents: list[dict[str, Any]]
    signers: list[dict[str, Any]]

    @property
    def envelope_id(self) -> str:
        return self.envelope["id"]

    @property
    def document_id(self) -> str:
        return self.documents[0]["id"]

    def signer_id(self, index: int = 0) -> str:
        return self.signers[index]["id"]


def build_envelope(
    api: httpx.Client,
    *,
    signers: list[dict[str, Any]] | None = None,
    documents: int = 1,
    activate_it: bool = True,
    envelope_attrs: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
) -> Scenario:
    """Envelope + documents + signers (each signs every document with e-mail token)."""
    envelope = create_envelope(api, **(envelope_attrs or {}))
    docs = [
        add_document(api, envelope["id"], filename=f"documento-{i + 1}.pdf", metadata=metadata)
        for i in range(documents)
    ]
    specs = signers or [{"name": "Maria da Silva", "email": "maria@example.com"}]
    made = [add_signer(api, envelope["id"], **spec) for spec in specs]
    for document in docs:
        for signer in made:
            add_requirements(api, envelope["id"], document["id"], signer["id"])
    if activate_it:
        response = activate(api, envelope["id"])
        assert response.status_code == 200, response.text
    return Scenario(envelope=envelope, documents=docs, signers=made)


# ---------------------------------------------------------------------- webhook receiver


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A loopback HTTP endpoint that records webhook POSTs and answers scripted statuses."""

    url: str
    received: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)  # consumed first; then 200
    redirect_to: str = "https://example.com/elsewhere"
    lock: threading.Lock = field(default_factory=threading.Lock)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def next_status(self) -> int:
        with self.lock:
            return self.statuses.pop(0) if self.statuses else 200

    def events(self) -> list[str]:
        return [r.headers["event"] for r in self.received]

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.received) >= count, timeout=timeout)
        return list(self.received)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    holder: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            rec = holder["receiver"]
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with rec.arrived:
                rec.received.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                rec.arrived.notify_all()
            status = rec.next_status()
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", rec.redirect_to)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    holder["receiver"] = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/hook")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield holder["receiver"]
    finally:
        server.shutdown()
        server.server_close()


def register_webhook(
    api: httpx.Client, endpoint: str, events: list[str] | None = None
) -> dict[str, Any]:
    body = fixture_json("requests/webhook.json")
    body["data"]["attributes"]["endpoint"] = endpoint
    if events is not None:
        body["data"]["attributes"]["events"] = events
    response = api.post("/webhooks", json=body)
    assert response.status_code == 201, response.text
    return response.json()["data"]
