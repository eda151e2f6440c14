"""JSON log lines, and a correlation id that follows an API call into the jobs it enqueues."""

from __future__ import annotations

import io
import json
import logging
import logging.config

import pytest
from django.core.management import call_command

from chancela.api.tests.conftest import body
from chancela.core.correlation import CorrelationIdFilter
from chancela.core.models import JobCorrelation
from chancela.testing.factories import make_api_key, make_config, make_document_type, make_unit
from chancela.testing.processes import free_port


def _json_logger(settings) -> tuple[logging.Logger, io.StringIO]:
    """A logger wired exactly as the production LOGGING (json), writing to a buffer."""
    stream = io.StringIO()
    config = json.loads(json.dumps(settings.LOGGING))
    config["handlers"]["console"]["formatter"] = "json"
    config["handlers"]["console"]["stream"] = stream
    config["root"]["handlers"] = []
    config["loggers"]["test.json"] = {"handlers": ["console"], "level": "INFO", "propagate": False}
    config["disable_existing_loggers"] = False
    logging.config.dictConfig(config)
    return logging.getLogger("test.json"), stream


@pytest.fixture
def json_logger(settings):
    saved = logging.getLogger().handlers[:]
    logger, stream = _json_logger(settings)
    yield logger, stream
    logging.config.dictConfig(settings.LOGGING)
    logging.getLogger().handlers[:] = saved


def test_it_writes_one_json_object_per_line_with_redaction(json_logger):
    logger, stream = json_logger
    logger.info("sent to 123.456.789-09", extra={"request": "abc", "token": "s3cr3t-value"})
    [line] = stream.getvalue().splitlines()
    record = json.loads(line)
    assert record["level"] == "INFO"
    assert record["logger"] == "test.json"
    assert record["correlation_id"] == "-"
    assert record["request"] == "abc"
    assert "123.456.789-09" not in line
    assert "s3cr3t-value" not in line
    assert record["token"] == "[redacted]"


@pytest.mark.django_db(transaction=True)
def test_it_follows_an_api_call_into_the_jobs_it_enqueues(client, settings, caplog):
    # Clicksign does not answer (nothing listens there): the dispatch job logs its retry.
    settings.CLICKSIGN_URLS = {
        **settings.CLICKSIGN_URLS,
        "sandbox": f"http://127.0.0.1:{free_port()}",
    }
    unit = make_unit(code="CENTRO")
    make_document_type(make_config(unit), code="CONTRATO")
    _, key = make_api_key(units=[unit])
    response = client.post(
        "/api/v1/signature-requests",
        json.dumps(body("CENTRO", "CONTRATO")),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
        HTTP_X_REQUEST_ID="erp-call-000123",
    )
    assert response.status_code == 201, response.content
    assert response["X-Request-ID"] == "erp-call-000123"
    assert JobCorrelation.objects.filter(correlation_id="erp-call-000123").count() == 1

    caplog.handler.addFilter(CorrelationIdFilter())
    with caplog.at_level(logging.INFO):
        call_command("db_worker", batch=True, reload=False, startup_delay=False, verbosity=1)
    dispatch = [
        r
        for r in caplog.records
        if r.name.startswith("chancela.signing")
        or (r.name == "django_tasks" and "dispatch_signature_request" in r.getMessage())
    ]
    assert any(r.name == "django_tasks" and "RUNNING" in r.getMessage() for r in dispatch)
    assert dispatch, [r.getMessage() for r in caplog.records]
    assert {getattr(r, "correlation_id", None) for r in dispatch} == {"erp-call-000123"}


def test_it_makes_an_id_when_the_caller_sends_none_or_a_bad_one(client, db):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\nwith newline")["X-Request-ID"]
    assert len(first) == 32 and len(second) == 32 and first != second
