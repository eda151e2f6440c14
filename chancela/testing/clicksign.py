"""pytest fixtures for any Chancela test that talks to Clicksign (through the emulator).

Registered for the whole suite in the root ``conftest.py``. Clicksign is only ever reached over
real HTTP on loopback: one emulator server per test session (free port), reset before each test.

- ``clicksign_emulator`` — an :class:`clicksign_emulator.testing.EmulatorHandle` (``.server``,
  ``.control``, ``.base_url``, ``.token`` of the demo sandbox account, ``.account_key``).
  Webhooks are in ``manual`` mode: call ``control.flush_deliveries()`` to send them.
- ``emulated_config`` — a saved sandbox :class:`SignatureConfig` of a fresh unit whose token is
  the emulator's demo account, with ``settings.CLICKSIGN_URLS`` pointing at the emulator.
- ``clicksign_client`` — ``client_for_config(emulated_config)`` (closed after the test).

- ``webhook_receiver`` — a loopback HTTP endpoint that records the POSTs it gets (raw body and
  headers) and answers 200; ``settings.PUBLIC_URL`` points at it, so ``config.webhook_url`` of
  any configuration is an address the emulator can deliver to.

Helpers: :func:`point_clicksign_at` (settings → emulator), :func:`emulator_account`
(a new emulator account with flags, e.g. ``api_user_email=None``) and :func:`make_envelope`
(an envelope with a PDF, signers and their requirements, built through the client).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from chancela.clicksign.port import ClicksignPort
from chancela.clicksign.types import (
    API_ENVELOPES,
    API_LEGACY,
    Authentication,
    Document,
    Envelope,
    Qualification,
    Signer,
)
from chancela.esign.clients import client_for_config
from chancela.esign.models import SignatureConfig
from chancela.testing.factories import make_config, make_cpf, make_unit
from clicksign_emulator import DEMO_API_USER_EMAIL, blank_pdf
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


SIGNERS = [("Maria da Silva", "maria"), ("João Pereira Lima", "joao"), ("Ana Clara Souza", "ana")]


@dataclass
class BuiltEnvelope:
    envelope: Envelope
    document: Document
    signers: list[Signer]


def make_envelope(
    client: ClicksignPort,
    *,
    signers: int = 1,
    refusable: bool = False,
    deadline_at: datetime | None = None,
    activate: bool = False,
) -> BuiltEnvelope:
    """A draft envelope (unique name) with one 2-page PDF and ``signers`` signers, each with a
    ``sign`` qualification and an e-mail authentication (bulk); activated if asked."""
    envelope = client.envelope_create(
        name=f"Chancela teste {uuid.uuid4()}",
        deadline_at=deadline_at,
        default_message="Confira e assine o contrato de matrícula.",
    )
    document = client.document_create(
        envelope.id,
        filename="contrato-matricula.pdf",
        content=blank_pdf(2, "Contrato de matrícula"),
        metadata={"chancela_request": str(uuid.uuid4())},
    )
    made = [
        client.signer_create(
            envelope.id,
            name=name,
            email=f"{slug}@exemplo.com.br",
            documentation=make_cpf(index),
            birthday=(datetime.now() - timedelta(days=365 * 30)).date(),
            refusable=refusable,
        )
        for index, (name, slug) in enumerate(SIGNERS[:signers])
    ]
    specs: list[Qualification | Authentication] = []
    for signer in made:
        specs += [
            Qualification(document_id=document.id, signer_id=signer.id, role="sign"),
            Authentication(document_id=document.id, signer_id=signer.id, auth="email"),
        ]
    client.requirements_bulk(envelope.id, add=specs)
    if activate:
        envelope = client.envelope_activate(envelope.id)
    return BuiltEnvelope(envelope=envelope, document=document, signers=made)


API_VERSIONS = [API_ENVELOPES, API_LEGACY]


@pytest.fixture
def clicksign_api(request: Any) -> str:
    """The Clicksign API of ``emulated_config`` ("3.0" unless a test parametrises it with
    ``@pytest.mark.parametrize("clicksign_api", API_VERSIONS, indirect=True)``)."""
    return str(getattr(request, "param", API_ENVELOPES))


@pytest.fixture
def emulated_config(
    clicksign_emulator: EmulatorHandle, settings: Any, db: Any, clicksign_api: str
) -> SignatureConfig:
    """A sandbox configuration on the emulator. On 1.9 its account is an old one: envelopes
    answer 503 there, as for the institutions that used the seed's system."""
    point_clicksign_at(settings, clicksign_emulator)
    token, email = clicksign_emulator.token, DEMO_API_USER_EMAIL
    if clicksign_api == API_LEGACY:
        account = emulator_account(
            clicksign_emulator, envelopes_enabled=False, api_user_email=DEMO_API_USER_EMAIL
        )
        token = account["token"]
    config = make_config(make_unit(), token=token, api_user_email=email)
    if clicksign_api != config.clicksign_api:
        SignatureConfig.objects.filter(pk=config.pk).update(clicksign_api=clicksign_api)
        config.clicksign_api = clicksign_api
    return config


@pytest.fixture
def clicksign_client(emulated_config: SignatureConfig) -> Iterator[ClicksignPort]:
    client = client_for_config(emulated_config)
    try:
        yield client
    finally:
        client.close()


@dataclass
class ReceivedRequest:
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes


@dataclass
class WebhookReceiver:
    base_url: str
    received: list[ReceivedRequest] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[ReceivedRequest]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.received) >= count, timeout=timeout)
            return list(self.received)


@pytest.fixture
def webhook_receiver(settings: Any) -> Iterator[WebhookReceiver]:
    holder: dict[str, WebhookReceiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802 - stdlib name
            receiver = holder["receiver"]
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with receiver.arrived:
                receiver.received.append(
                    ReceivedRequest(
                        self.path, {k.lower(): v for k, v in self.headers.items()}, body
                    )
                )
                receiver.arrived.notify_all()
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    holder["receiver"] = WebhookReceiver(base_url=f"http://127.0.0.1:{server.server_address[1]}")
    settings.PUBLIC_URL = holder["receiver"].base_url
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield holder["receiver"]
    finally:
        server.shutdown()
        server.server_close()


def signing_keys(emulator: EmulatorHandle, signer: Any) -> list[str]:
    """The emulator's ids to sign or refuse as ``signer`` (a Chancela ``Signer`` row): on 3.0
    its envelope signer id; on 1.9 the ``request_signature_key`` of each of its lists on the
    request's documents (its ``clicksign_signer_id`` is the reusable account signer)."""
    request = signer.request
    if request.config.clicksign_api != API_LEGACY:
        return [signer.clicksign_signer_id]
    documents = set(request.documents.values_list("clicksign_document_id", flat=True))
    return [
        entry["id"]
        for envelope in emulator.control.envelopes()
        if envelope["legacy"] and envelope["documents"][0]["id"] in documents
        for entry in envelope["signers"]
        if entry["legacy_key"] == signer.clicksign_signer_id
    ]


def emulator_sign(emulator: EmulatorHandle, signer: Any) -> None:
    """The signer signs every document of its request at the emulator (either API)."""
    for key in signing_keys(emulator, signer):
        emulator.control.sign(key)


def emulator_refuse(emulator: EmulatorHandle, signer: Any, **refusal: Any) -> None:
    """The signer refuses at the emulator (either API; on 1.9 its first list)."""
    emulator.control.refuse(signing_keys(emulator, signer)[0], **refusal)
