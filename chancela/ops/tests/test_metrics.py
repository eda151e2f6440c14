"""`/metrics`: Prometheus figures computed from the database, behind a token."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from chancela.callbacks.tests.conftest import cb, cb_emulator, deliver, run_jobs  # noqa: F401
from chancela.clicksign.models import RateLimitBucket
from chancela.clicksign.ratelimit import SCOPE_ACCOUNT

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-for-tests"


@pytest.fixture
def scrape(client, settings):
    settings.CHANCELA_METRICS_TOKEN = TOKEN

    def read() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/plain; version=")
        figures = {}
        for family in text_string_to_metric_families(response.content.decode()):
            for sample in family.samples:
                figures[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
        return figures

    return read


def figure(figures, name: str, **labels: str) -> float:
    return figures.get((name, tuple(sorted(labels.items()))), 0.0)


def test_it_hides_the_endpoint_without_a_configured_token(client, settings):
    settings.CHANCELA_METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404


def test_it_refuses_a_scraper_without_the_token(client, settings):
    settings.CHANCELA_METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401


def test_it_moves_the_figures_after_a_send_a_callback_and_a_rejection(cb, client, scrape):  # noqa: F811
    before = scrape()
    request = cb.send()
    after_send = scrape()
    env = cb.config.environment
    assert figure(after_send, "chancela_signature_requests", status="awaiting_signatures",
                  environment=env) == figure(before, "chancela_signature_requests",
                  status="awaiting_signatures", environment=env) + 1  # fmt: skip
    assert figure(after_send, "chancela_dispatch_attempts_total", environment=env) == (
        figure(before, "chancela_dispatch_attempts_total", environment=env) + 1
    )
    [account] = RateLimitBucket.objects.filter(scope=SCOPE_ACCOUNT).values_list(
        "account", flat=True
    )
    calls = figure(after_send, "chancela_clicksign_requests_total", account=account[:12])
    assert calls >= 6  # envelope, document, signer, requirements, activate, notify
    assert figure(after_send, "chancela_clicksign_account_info", account=account[:12],
                  config=str(cb.config.public_id), environment=env) == 1  # fmt: skip

    cb.emulator.control.sign(request.signers.get().clicksign_signer_id)
    delivered = cb.deliveries()
    for received in delivered:
        assert deliver(client, received) == 200
    assert deliver(client, delivered[0]) == 200  # Clicksign delivers one again
    forged = delivered[0]
    forged.headers["content-hmac"] = "sha256=" + "0" * 64
    assert deliver(client, forged) == 401
    run_jobs()
    after = scrape()
    assert figure(after, "chancela_callbacks", outcome="accepted", reason="") == len(delivered)
    assert figure(after, "chancela_callbacks", outcome="duplicated", reason="") == 1
    assert figure(after, "chancela_callbacks", outcome="rejected", reason="bad_signature") == 1
    assert figure(after, "chancela_signed_pdfs_archived_total") == 1
    assert figure(after, "chancela_signature_requests", status="signed", environment=env) == 1
    assert figure(after, "chancela_clicksign_requests_total", account=account[:12]) > calls
    assert figure(after, "chancela_queue_depth", queue="default") == 0


def test_it_counts_429s_and_dispatch_retries(cb, client, scrape):  # noqa: F811
    cb.emulator.control.add_fault("status", path="/envelopes$", method="POST", status=429,
                                  count=1)  # fmt: skip
    from chancela.signing.models import SignatureRequest
    from chancela.testing.factories import make_signature_request

    request = make_signature_request(cb.config.unit, cb.document_type)
    run_jobs()
    figures = scrape()
    account = RateLimitBucket.objects.get(scope=SCOPE_ACCOUNT).account[:12]
    assert figure(figures, "chancela_clicksign_rate_limited_total", account=account) == 1
    assert figure(figures, "chancela_dispatch_failures_total", outcome="retry",
                  reason="http_429") == 1  # fmt: skip
    assert SignatureRequest.objects.get(pk=request.pk).status == "sending"


def test_it_scrapes_past_a_configuration_whose_token_no_key_reads(scrape, settings):
    from cryptography.fernet import Fernet

    from chancela.testing.factories import make_config, make_unit

    readable = make_config(make_unit())
    keys = settings.ENCRYPTION_KEYS
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode()]  # restored from elsewhere
    unreadable = make_config(make_unit())
    settings.ENCRYPTION_KEYS = keys

    infos = [k for k in scrape() if k[0] == "chancela_clicksign_account_info"]
    configs = {dict(labels)["config"] for _, labels in infos}
    assert str(readable.public_id) in configs and str(unreadable.public_id) not in configs
