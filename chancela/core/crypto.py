"""Secrets at rest: a small MultiFernet helper that fails closed.

Keys come from CHANCELA_ENCRYPTION_KEYS (comma-separated Fernet keys, newest first). Values are
stored as ``f1:<fernet token>``; the prefix names the scheme so that a later change of cipher is a
data migration, not a schema change. A value that cannot be decrypted with any configured key
raises :class:`EncryptionKeyError` — it is never returned as-is or replaced by a blank.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

PREFIX = "f1:"


class EncryptionKeyError(Exception):
    """A stored secret cannot be decrypted with the configured keys (wrong or missing key)."""


@lru_cache(maxsize=8)
def _multifernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured(
            "CHANCELA_ENCRYPTION_KEYS is not set: secrets cannot be encrypted or read. "
            "Generate a key with `python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'`."
        )
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "CHANCELA_ENCRYPTION_KEYS holds a value that is not a Fernet key."
        ) from exc


def current_cipher() -> MultiFernet:
    return _multifernet(tuple(settings.ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    return PREFIX + current_cipher().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(stored: str) -> str:
    if not stored.startswith(PREFIX):
        raise EncryptionKeyError("stored secret has an unknown format")
    try:
        return current_cipher().decrypt(stored[len(PREFIX) :].encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise EncryptionKeyError(
            "a stored secret cannot be decrypted with CHANCELA_ENCRYPTION_KEYS "
            "(wrong key, or the key that encrypted it was removed before rotation)"
        ) from exc


def rotate(stored: str) -> str:
    """Re-encrypt a stored value under the newest key (it must be readable by some key)."""
    if not stored.startswith(PREFIX):
        raise EncryptionKeyError("stored secret has an unknown format")
    try:
        token = current_cipher().rotate(stored[len(PREFIX) :].encode("ascii"))
    except InvalidToken as exc:
        raise EncryptionKeyError("a stored secret cannot be decrypted for rotation") from exc
    return PREFIX + token.decode("ascii")


def fingerprint(secret: str | None) -> str:
    """What screens and logs may show of a secret: its last four characters."""
    if not secret:
        return ""
    return "…" + secret[-4:]


class EncryptedTextField(models.TextField):
    """A text column whose value is encrypted in the database and plain in Python.

    Lookups other than isnull make no sense on it (the ciphertext changes on every save).
    """

    description = "Text encrypted at rest with CHANCELA_ENCRYPTION_KEYS"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str | None:
        if value is None:
            return None
        return decrypt(value)

    def to_python(self, value: Any) -> str | None:
        return value

    def get_prep_value(self, value: Any) -> str | None:
        value = super().get_prep_value(value)
        if value is None:
            return None
        return encrypt(value)


def encrypted_fields() -> list[tuple[type[models.Model], EncryptedTextField]]:
    """Every (model, field) pair of the project that stores an encrypted value."""
    from django.apps import apps

    found: list[tuple[type[models.Model], EncryptedTextField]] = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField):
                found.append((model, field))
    return found
