"""Per-key rate limit of the host API: a fixed window counted in the database.

One statement per authenticated call — an upsert that starts a new window or adds one to the
current one and returns the count (``INSERT … ON CONFLICT … RETURNING``, on SQLite ≥ 3.35 and
PostgreSQL alike) — so the count holds across processes and machines and costs one write.
Headers follow the IETF draft "RateLimit header fields for HTTP" (draft-ietf-httpapi-ratelimit-
headers): ``RateLimit-Policy: "api-key";q=<limit>;w=<seconds>`` and
``RateLimit: "api-key";r=<remaining>;t=<seconds to reset>``; a refusal is 429 ``rate_limited``
with ``Retry-After``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction

from chancela.api.errors import ApiKeyError
from chancela.api.models import ApiKey, ApiRateWindow

POLICY = "api-key"

_TABLE = ApiRateWindow._meta.db_table
_UPSERT = f"""
INSERT INTO {_TABLE} (api_key_id, window_start, hits) VALUES (%s, %s, 1)
ON CONFLICT (api_key_id) DO UPDATE SET
    hits = CASE WHEN excluded.window_start > {_TABLE}.window_start THEN 1
                ELSE {_TABLE}.hits + 1 END,
    window_start = CASE WHEN excluded.window_start > {_TABLE}.window_start
                        THEN excluded.window_start ELSE {_TABLE}.window_start END
RETURNING hits, window_start
"""  # noqa: S608 - the table name is ours, the values are parameters


class RateLimited(ApiKeyError):
    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__("rate_limited", message, None)
        self.retry_after = retry_after


@dataclass(frozen=True)
class RateState:
    limit: int
    window: int
    hits: int
    reset: int  # seconds until the window ends

    @property
    def remaining(self) -> int:
        return max(self.limit - self.hits, 0)

    @property
    def exceeded(self) -> bool:
        return self.hits > self.limit

    def refusal(self) -> RateLimited | None:
        """The 429 to answer when this call went over the limit."""
        if not self.exceeded:
            return None
        return RateLimited(
            f"Limite de {self.limit} requisições a cada {self.window} s desta chave de API "
            f"atingido. Tente de novo em {self.reset} s.",
            retry_after=self.reset,
        )

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Policy": f'"{POLICY}";q={self.limit};w={self.window}',
            "RateLimit": f'"{POLICY}";r={self.remaining};t={self.reset}',
        }


def api_key_rate_take(*, api_key: ApiKey, now: float | None = None) -> RateState | None:
    """Count one call of ``api_key``; None when the limit is off (limit 0)."""
    limit = settings.CHANCELA_API_RATE_LIMIT
    window = max(settings.CHANCELA_API_RATE_WINDOW_SECONDS, 1)
    if limit <= 0:
        return None
    now = time.time() if now is None else now
    start = int(now // window) * window
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A count lost in a crash is harmless: do not wait for the WAL flush (~5 ms here).
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
        cursor.execute(_UPSERT, [api_key.pk, start])
        hits, stored_start = cursor.fetchone()
    reset = max(math.ceil(stored_start + window - now), 1)
    return RateState(limit=limit, window=window, hits=hits, reset=reset)
