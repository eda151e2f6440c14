"""A small fixed-window limiter for public pages, counted in the database.

``throttle_hit(scope=..., key=client_ip, limit=10, window_seconds=600)`` counts one hit and says
whether it is allowed. The key is stored hashed (an IP address is personal data). The count
lives in ``ThrottleBucket`` so that every process and host shares it; a fixed window (not a
sliding one) is enough to stop scraping of a lookup page.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from chancela.core.models import ThrottleBucket


def client_ip(request: HttpRequest) -> str:
    """The client's address: the socket's, or — behind ``CHANCELA_PROXY_COUNT`` trusted proxies —
    the address the outermost of them saw (each proxy appends one to X-Forwarded-For, so the
    ones before it may be forged by the client). Login throttling (django-axes) uses it too."""
    proxies = settings.CHANCELA_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies > 0 and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return str(request.META.get("REMOTE_ADDR", ""))


def _key_hash(scope: str, key: str) -> str:
    return hashlib.sha256(f"{settings.SECRET_KEY}:{scope}:{key}".encode()).hexdigest()


def throttle_hit(
    *, scope: str, key: str, limit: int, window_seconds: int, now: datetime | None = None
) -> bool:
    """Count one hit of ``key`` in ``scope``; True when it is within ``limit`` per window."""
    now = now or timezone.now()
    key_hash = _key_hash(scope, key)
    for _attempt in range(2):
        try:
            with transaction.atomic():
                bucket, _ = ThrottleBucket.objects.select_for_update().get_or_create(
                    scope=scope, key_hash=key_hash, defaults={"window_start": now}
                )
                if now - bucket.window_start >= timedelta(seconds=window_seconds):
                    bucket.window_start, bucket.hits = now, 0
                bucket.hits += 1
                bucket.save(update_fields=["window_start", "hits"])
                return bucket.hits <= limit
        except IntegrityError:  # two first hits at once: the other created the row
            continue
    return False


def throttle_prune(*, older_than: timedelta = timedelta(days=1)) -> int:
    deleted, _ = ThrottleBucket.objects.filter(
        window_start__lt=timezone.now() - older_than
    ).delete()
    return deleted
