"""State the Clicksign adapter keeps in the database (shared by every web and worker process)."""

from __future__ import annotations

from django.db import models


class RateLimitBucket(models.Model):
    """The recent requests to one Clicksign account (or one notification endpoint of it).

    ``account`` is a keyed hash of (base URL, token) — never the token. ``entries`` holds one
    ``[slot id, start, end]`` triple per request still inside the sliding window (``end`` is None
    while the request is in flight). Rows are locked (PostgreSQL ``SELECT … FOR UPDATE``; SQLite
    ``BEGIN IMMEDIATE``) only for the few milliseconds it takes to read and write them, never
    across an HTTP call. See :mod:`chancela.clicksign.ratelimit`.
    """

    key = models.CharField(max_length=64, unique=True)
    account = models.CharField(max_length=64, db_index=True)
    scope = models.CharField(max_length=20)
    entries = models.JSONField(default=list)
    # Epoch seconds until which Clicksign told us (429) to send nothing more.
    blocked_until = models.FloatField(null=True, blank=True)
    updated_at = models.FloatField(default=0.0)
    # Counters for the metrics endpoint (account rows only): requests sent, 429s received.
    requests_total = models.BigIntegerField(default=0)
    rate_limited_total = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "janela de limite de requisições da Clicksign"
        verbose_name_plural = "janelas de limite de requisições da Clicksign"

    def __str__(self) -> str:
        return f"{self.scope} {self.account[:8]}… ({len(self.entries)} recentes)"
