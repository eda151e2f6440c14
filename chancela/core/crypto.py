"""Secrets at rest: a small MultiFernet helper that fails closed.

Keys come from CHANCELA_ENCRYPTION_KEYS (comma-separated Fernet keys, newest first). Values are
stored as ``f1:<fernet token>``; the prefix names the scheme so that a later change of cipher is a
data migration, not a schema change. ``z1:<fernet token>`` is the same cipher over the
zlib-compressed text, for large repetitive values (a webhook's JSON body shrinks about five times,
and so does what the database writes and keeps for it); secrets stay ``f1``. A value that cannot
be decrypted with any configured key raises :class:`EncryptionKeyError` — it is never returned
as-is or replaced by a blank.
"""

from __future__ import annotations

import zlib
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

PREFIX = "f1:"
COMPRESSED_PREFIX = "z1:"


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


def encrypt(plaintext: str, *, compress: bool = False) -> str:
    data = plaintext.encode("utf-8")
    if compress:
        # Level 1: nearly all of the size gain for a fraction of the CPU of the default level.
        return COMPRESSED_PREFIX + current_cipher().encrypt(zlib.compress(data, 1)).decode("ascii")
    return PREFIX + current_cipher().encrypt(data).decode("ascii")


def _scheme(stored: str) -> str:
    for prefix in (PREFIX, COMPRESSED_PREFIX):
        if stored.startswith(prefix):
            return prefix
    raise EncryptionKeyError("stored secret has an unknown format")


def token(stored: str) -> bytes:
    """The Fernet token of a stored value, whatever its scheme."""
    return stored[len(_scheme(stored)) :].encode("ascii")


def decrypt(stored: str) -> str:
    scheme = _scheme(stored)
    try:
        data = current_cipher().decrypt(token(stored))
    except InvalidToken as exc:
        raise EncryptionKeyError(
            "a stored secret cannot be decrypted with CHANCELA_ENCRYPTION_KEYS "
            "(wrong key, or the key that encrypted it was removed before rotation)"
        ) from exc
    if scheme == COMPRESSED_PREFIX:
        data = zlib.decompress(data)  # authenticated by the token: written by us
    return data.decode("utf-8")


def rotate(stored: str) -> str:
    """Re-encrypt a stored value under the newest key (it must be readable by some key)."""
    try:
        rotated = current_cipher().rotate(token(stored))
    except InvalidToken as exc:
        raise EncryptionKeyError("a stored secret cannot be decrypted for rotation") from exc
    return _scheme(stored) + rotated.decode("ascii")


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

    def __init__(self, *args: Any, compress: bool = False, **kwargs: Any) -> None:
        self.compress = compress  # zlib before encrypting (the ``z1`` scheme): large values
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.compress:
            kwargs["compress"] = True
        return name, path, args, kwargs

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
        return encrypt(value, compress=self.compress)


def encrypted_fields() -> list[tuple[type[models.Model], EncryptedTextField]]:
    """Every (model, field) pair of the project that stores an encrypted value."""
    from django.apps import apps

    found: list[tuple[type[models.Model], EncryptedTextField]] = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField):
                found.append((model, field))
    return found
