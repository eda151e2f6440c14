import logging

from chancela.core.logging import RedactingFilter
from chancela.testing.factories import TEST_TOKEN


def _filtered(msg, *args, **extra):
    record = logging.LogRecord("t", logging.INFO, __file__, 1, msg, args, None)
    for key, value in extra.items():
        setattr(record, key, value)
    RedactingFilter().filter(record)
    return record


def test_it_redacts_tokens_cpf_phones_and_hmac_headers_from_messages():
    record = _filtered(
        "call with Authorization: %s cpf 529.982.247-25 phone (11) 98765-4321 sha256=%s",
        TEST_TOKEN,
        "a" * 64,
    )
    text = record.getMessage()
    assert TEST_TOKEN not in text
    assert "529.982.247-25" not in text
    assert "98765-4321" not in text
    assert "a" * 64 not in text


def test_it_redacts_sensitive_extra_fields():
    record = _filtered("saved", token=TEST_TOKEN, config_id=7, webhook_secret="abc")
    assert record.token == "[redacted]"
    assert record.webhook_secret == "[redacted]"
    assert record.config_id == 7
