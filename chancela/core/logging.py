"""A logging filter that redacts secrets and personal data, as a safety net.

Code must not log tokens, webhook secrets, CPF or phone numbers in the first place; this filter
catches what slips through: values under sensitive keys in ``extra``, ``Authorization`` headers,
``access_token=`` query strings, ``sha256=`` HMAC headers, CPF- and phone-shaped numbers, and
anything that looks like a Fernet token.
"""

from __future__ import annotations

import logging
import re
from typing import Any

REDACTED = "[redacted]"

SENSITIVE_KEYS = re.compile(
    r"authorization|access_token|token|secret|hmac|password|cpf|phone|documentation|api_key",
    re.IGNORECASE,
)

_PATTERNS = [
    # Authorization headers and query-string tokens
    (re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?)([^\s\"',}]+)"), r"\1" + REDACTED),
    (re.compile(r"(?i)(access_token=)([^&\s\"']+)"), r"\1" + REDACTED),
    (re.compile(r"(?i)(sha256=)([0-9a-f]{16,})"), r"\1" + REDACTED),
    # Fernet tokens (ciphertext is not secret, but it has no place in logs either)
    (re.compile(r"gAAAAA[0-9A-Za-z_\-=]{20,}"), REDACTED),
    # UUID-shaped values next to the word token
    (
        re.compile(
            r"(?i)(token\W{0,3})([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
        ),
        r"\1" + REDACTED,
    ),
    # CPF, formatted or not
    (re.compile(r"\b\d{3}\.\d{3}\.\d{3}-\d{2}\b"), REDACTED),
    (re.compile(r"(?<![\d-])\d{11}(?![\d-])"), REDACTED),
    # Brazilian phones: (11) 98765-4321, 11987654321, +55 11 98765 4321
    (re.compile(r"\(?\b\d{2}\)?\s?9?\d{4}[-\s]?\d{4}\b"), REDACTED),
]


def redact_text(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _redact_value(key: str, value: Any) -> Any:
    if SENSITIVE_KEYS.search(key):
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: _redact_value(str(k), v) for k, v in value.items()}
    return value


_STANDARD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None)))


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not silence the record
            message = str(record.msg)
        record.msg = redact_text(message)
        record.args = None
        for key, value in list(vars(record).items()):
            if key in _STANDARD_ATTRS or key == "message":
                continue
            setattr(record, key, _redact_value(key, value))
        return True
