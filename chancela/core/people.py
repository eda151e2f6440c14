"""Brazilian personal data: CPF, phone and names — normalising, validating and masking.

Stored forms: CPF as 11 digits, phone as DDD + number (10 or 11 digits, no country code), the
format Clicksign's v3 signer resource documents.
"""

from __future__ import annotations

import functools
import operator
import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

_DIGITS = re.compile(r"\D")


def only_digits(value: str | None) -> str:
    return _DIGITS.sub("", value or "")


def cpf_normalize(value: str | None) -> str:
    return only_digits(value)


def cpf_is_valid(value: str | None) -> bool:
    """True for an 11-digit CPF whose two check digits match (formatted input accepted)."""
    digits = cpf_normalize(value)
    if len(digits) != 11 or digits == digits[0] * 11:
        return False
    numbers = list(map(int, digits))
    for size, weights in _CPF_WEIGHTS:
        check = sum(map(operator.mul, numbers[:size], weights)) * 10 % 11 % 10
        if check != numbers[size]:
            return False
    return True


_CPF_WEIGHTS = ((9, range(10, 1, -1)), (10, range(11, 1, -1)))


def cpf_format(value: str | None) -> str:
    digits = cpf_normalize(value)
    if len(digits) != 11:
        return value or ""
    return f"{digits[:3]}.{digits[3:6]}.{digits[6:9]}-{digits[9:]}"


def cpf_mask(value: str | None) -> str:
    """Show only the middle six digits: ***.456.789-**."""
    digits = cpf_normalize(value)
    if len(digits) != 11:
        return ""
    return f"***.{digits[3:6]}.{digits[6:9]}-**"


def phone_normalize(value: str | None) -> str:
    """DDD + number, without the +55 country code."""
    digits = only_digits(value)
    if len(digits) in (12, 13) and digits.startswith("55"):
        digits = digits[2:]
    return digits


def phone_is_valid(value: str | None) -> bool:
    """A Brazilian landline (10 digits) or mobile (11 digits, 9 after the DDD)."""
    digits = phone_normalize(value)
    if len(digits) not in (10, 11) or digits[0] == "0" or digits[1] == "0":
        return False
    return len(digits) == 10 or digits[2] == "9"


def phone_mask(value: str | None) -> str:
    digits = phone_normalize(value)
    if len(digits) < 10:
        return ""
    return f"({digits[:2]}) *****-{digits[-4:]}"


def name_is_complete(value: str | None) -> bool:
    """At least first and last name, and no digits — Clicksign refuses anything else."""
    text = (value or "").strip()
    if any(map(str.isdigit, text)):
        return False
    return len(text.split()) >= 2


@functools.lru_cache(maxsize=1024)  # a batch checks each address twice: its row, its signer plan
def email_is_valid(value: str) -> bool:
    """Django's e-mail validation, as a yes or no."""
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


def email_mask(value: str | None) -> str:
    text = value or ""
    if "@" not in text:
        return ""
    local, domain = text.split("@", 1)
    return f"{local[:1]}***@{domain}"
