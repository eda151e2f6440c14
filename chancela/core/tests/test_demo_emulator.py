"""The local demo's emulator (``python -m clicksign_emulator --state-file``) keeps its state
across restarts, so a request left "Aguardando assinaturas" by one ``make run`` can still be
reminded and signed after the next."""

from __future__ import annotations

import sys

import pytest

from chancela.core.management.commands.run_local import wait_for_emulator
from chancela.esign.clients import client_for_config
from chancela.signing.actions import Actor, signature_request_remind
from chancela.signing.tests.workspace_helpers import put_at_clicksign
from chancela.testing.factories import (
    SEND_DOCUMENTS,
    make_config,
    make_document_type,
    make_signature_request,
    make_signer_input,
    make_unit,
    make_user,
)
from chancela.testing.processes import ManagedProcess, free_port, running
from clicksign_emulator import DEMO_API_USER_EMAIL, DEMO_SANDBOX_TOKEN, ControlClient

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


def _emulator(port: int, state_file, log_dir) -> ManagedProcess:
    argv = [
        sys.executable, "-m", "clicksign_emulator", "--port", str(port),
        "--state-file", str(state_file),
    ]  # fmt: skip
    return ManagedProcess("emulator", argv, {"PYTHONUNBUFFERED": "1"}, log_dir / "emulator.log")


def test_it_keeps_an_awaiting_request_signable_across_an_emulator_restart(settings, tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    state_file = tmp_path / "emulator-state.pickle"
    settings.CLICKSIGN_URLS = {"sandbox": base, "production": base}
    unit = make_unit()
    config = make_config(unit, token=DEMO_SANDBOX_TOKEN, api_user_email=DEMO_API_USER_EMAIL)
    staff = make_user(units=[unit], perms=[SEND_DOCUMENTS])
    request = make_signature_request(
        unit,
        make_document_type(config),
        signers=[make_signer_input(name="Ana Beatriz Souza", email="ana@familia.com.br")],
    )
    with running(_emulator(port, state_file, tmp_path)) as (first,):
        assert wait_for_emulator(base)
        client = client_for_config(config)
        try:
            put_at_clicksign(request, client)
        finally:
            client.close()
    assert not first.running and state_file.exists()

    with running(_emulator(port, state_file, tmp_path)):
        assert wait_for_emulator(base)
        request.refresh_from_db()
        signer = request.signers.get()
        # "Lembrar" reaches the envelope (it used to be "HTTP 404" after a restart)…
        signature_request_remind(request=request, signer=signer, actor=Actor(user=staff))
        # …and the signer can still sign.
        with ControlClient(base) as control:
            control.sign(signer.clicksign_signer_id)
            envelope = control.envelope(request.clicksign_envelope_id)
    assert envelope["status"] == "closed"


def test_it_completes_the_promotion_wizard_in_the_demo_set_up(settings, tmp_path, client):
    """What ``make run`` starts: the emulator with its demo sandbox and production accounts,
    both Clicksign URLs pointing at it (the generated .env), the demo institution. The
    administrator can walk "Promover para produção" to the end."""
    from django.contrib.auth.models import User
    from django.urls import reverse

    from chancela.core.management.commands.run_local import link_demo_to_emulator
    from chancela.demo import demo_config, seed_demo
    from chancela.esign.models import DocumentType
    from clicksign_emulator import DEMO_PRODUCTION_TOKEN

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings.CLICKSIGN_URLS = {"sandbox": base, "production": base}
    seed_demo()
    sandbox = demo_config()
    assert sandbox is not None
    client.force_login(User.objects.get(username="admin"))

    def url(name: str) -> str:
        return reverse(f"esign:{name}", args=[sandbox.public_id])

    with running(_emulator(port, tmp_path / "state.pickle", tmp_path)):
        assert "webhook" in link_demo_to_emulator(base).lower()
        page = client.get(url("promotion_start"), follow=True)
        assert page.redirect_chain[-1][0] == url("promotion_credentials")
        response = client.post(
            url("promotion_credentials"),
            {
                "name": "Clicksign Produção",
                "api_user_email": DEMO_API_USER_EMAIL,
                "token": DEMO_PRODUCTION_TOKEN,
                "notification_email": "ti@demo.chancela.local",
                "require_handwritten": "on",
            },
        )
        assert response.url == url("promotion_connection")
        html = client.post(url("promotion_connection"), follow=True).content.decode()
        assert "Conexão com a Clicksign (produção) funcionando" in html
        html = client.post(
            url("promotion_webhook"), {"action": "register"}, follow=True
        ).content.decode()
        assert "Webhook registrado na Clicksign" in html
        types = list(DocumentType.objects.filter(config=sandbox).values_list("pk", flat=True))
        response = client.post(url("promotion_document_types"), {"document_types": types})
        assert response.url == url("promotion_confirm")
        html = client.post(url("promotion_confirm"), follow=True).content.decode()
    assert "Promoção concluída" in html
    sandbox.refresh_from_db()
    assert not sandbox.active
    assert DocumentType.objects.filter(config__environment="production").count() == len(types)
