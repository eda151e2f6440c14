"""Field validators (CPF, phone, names, data URIs, dates)."""

from __future__ import annotations

import base64
import binascii
import re
from datetime import date, datetime, time
from typing import Any

from .clock import BRT

_CPF_FORMATTED = re.compile(r"^\d{3}\.\d{3}\.\d{3}-\d{2}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DATA_URI = re.compile(r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)(?P<params>(;[\w-]+=[^;,]*)*);base64,")


def cpf_is_valid(value: Any) -> bool:
    """A CPF written as ``000.000.000-00`` whose two check digits are right."""
    if not isinstance(value, str) or not _CPF_FORMATTED.match(value):
        return False
    digits = [int(c) for c in value if c.isdigit()]
    if len(set(digits)) == 1:
        return False
    for size in (9, 10):
        total = sum(d * w for d, w in zip(digits[:size], range(size + 1, 1, -1), strict=True))
        check = (total * 10) % 11 % 10
        if check != digits[size]:
            return False
    return True


def phone_is_valid(value: Any) -> bool:
    """Digits only: DDD + number (10 or 11 digits) or the same with the 55 country code.

    Mobile numbers (11 digits) start with 9 after the DDD; DDDs are 11–99 without a zero.
    """
    if not isinstance(value, str) or not value.isdigit():
        return False
    if len(value) in (12, 13) and value.startswith("55"):
        value = value[2:]
    if len(value) not in (10, 11):
        return False
    if value[0] == "0" or value[1] == "0":
        return False
    if len(value) == 11 and value[2] != "9":
        return False
    return not (len(value) == 10 and value[2] not in "2345")


def name_is_valid(value: Any) -> bool:
    """At least two words, letters only (no digits)."""
    if not isinstance(value, str):
        return False
    words = value.split()
    if len(words) < 2:
        return False
    return not any(c.isdigit() for c in value)


def email_is_valid(value: Any) -> bool:
    return isinstance(value, str) and bool(_EMAIL.match(value))


class DataUriError(ValueError):
    pass


def parse_data_uri(value: Any) -> tuple[str, bytes]:
    """``data:<mime>;base64,<data>`` -> (mime, bytes). Raises DataUriError."""
    if not isinstance(value, str):
        raise DataUriError("not a string")
    match = _DATA_URI.match(value)
    if not match:
        raise DataUriError("not a data URI")
    payload = value[match.end() :]
    try:
        content = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DataUriError("bad base64") from exc
    return match.group("mime").lower(), content


def parse_datetime(value: Any) -> datetime | None:
    """An RFC 3339 / ISO 8601 datetime with or without offset (BRT assumed); None if invalid."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed_date = date.fromisoformat(text)
        except ValueError:
            return None
        parsed = datetime.combine(parsed_date, time.min)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=BRT)
    return parsed


def parse_date(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def is_date_only(value: str) -> bool:
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()))
