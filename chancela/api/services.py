"""Creating, checking and revoking host API keys.

A key looks like ``chk_<prefix>_<secret>``: ``prefix`` (8 hex characters) is stored in clear to
find the row, the SHA-256 of the whole key is stored to check it, and the key itself is shown
once, at creation, and never again.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from chancela.api.errors import ApiKeyError
from chancela.api.models import ApiKey
from chancela.institutions.models import Unit

KEY_PREFIX = "chk_"
# last_used_at is a hint for the admin screen: refresh it at most once a minute per key, so
# that a busy host does not turn every API call into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _hash(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode("utf-8")).hexdigest()


def api_key_create(*, name: str, units: list[Unit], actor: Any = None) -> tuple[ApiKey, str]:
    """Create a key for the given units. Returns the row and the key (to show only once)."""
    name = " ".join((name or "").split())
    if not name:
        raise ApiKeyError(
            "name_required", "Dê um nome à chave, por exemplo “ERP acadêmico”.", "name"
        )
    if len(name) > 120:
        raise ApiKeyError("name_too_long", "O nome tem no máximo 120 caracteres.", "name")
    if not units:
        raise ApiKeyError(
            "units_required", "Escolha ao menos uma unidade que a chave pode usar.", "units"
        )
    for _attempt in range(5):
        prefix = secrets.token_hex(4)
        raw_key = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
        try:
            with transaction.atomic():
                api_key = ApiKey.objects.create(
                    name=name,
                    prefix=prefix,
                    key_hash=_hash(raw_key),
                    created_by=actor if getattr(actor, "is_authenticated", False) else None,
                )
                api_key.units.set(units)
        except IntegrityError:  # prefix collision: draw another
            continue
        return api_key, raw_key
    raise RuntimeError("could not draw a unique API key prefix")  # pragma: no cover


def api_key_authenticate(*, raw_key: str) -> ApiKey:
    """The active key matching ``raw_key``; ApiKeyError ``invalid`` / ``revoked`` otherwise."""
    raw_key = (raw_key or "").strip()
    invalid = ApiKeyError(
        "unauthorized",
        "Chave de API inválida. Envie o cabeçalho Authorization: Bearer <chave>.",
        None,
    )
    if not raw_key.startswith(KEY_PREFIX) or len(raw_key) < len(KEY_PREFIX) + 10:
        raise invalid
    prefix = raw_key[len(KEY_PREFIX) : len(KEY_PREFIX) + 8]
    api_key = ApiKey.objects.filter(prefix=prefix).first()
    if api_key is None or not hmac.compare_digest(api_key.key_hash, _hash(raw_key)):
        raise invalid
    if not api_key.is_active:
        raise ApiKeyError(
            "api_key_revoked",
            "Esta chave de API foi revogada. Peça uma nova ao administrador do Chancela.",
            None,
        )
    now = timezone.now()
    if api_key.last_used_at is None or api_key.last_used_at < now - LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key


def api_key_revoke(*, api_key: ApiKey, actor: Any = None) -> ApiKey:
    """Revoke a key for good (idempotent: revoking twice keeps the first date)."""
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.revoked_by = actor if getattr(actor, "is_authenticated", False) else None
        api_key.save(update_fields=["revoked_at", "revoked_by"])
    return api_key
